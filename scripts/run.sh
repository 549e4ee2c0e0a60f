#!/usr/bin/env bash
# `make run`: install what is missing, build, and serve the portal on
# http://127.0.0.1:8080/ with the relay as its intake on :8081, which
# forwards every request to a fake Freshdesk on :8082 (in memory, on this
# machine): send a request and watch it become a ticket.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
source scripts/lib.sh
step "building the local servers"
cargo build --release --quiet -p frontline-devserver -p frontline-fakedesk
PORT=${FRONTLINE_PORT:-8080}
INTAKE_PORT=${FRONTLINE_INTAKE_PORT:-8081}
DESK_PORT=${FRONTLINE_DESK_PORT:-8082}
for p in "$PORT" "$INTAKE_PORT" "$DESK_PORT"; do
  if (: </dev/tcp/127.0.0.1/"$p") 2>/dev/null; then
    die "port $p on 127.0.0.1 is already in use (is 'make run' already running?): stop it, or pick free ports: FRONTLINE_PORT=8090 FRONTLINE_INTAKE_PORT=8091 FRONTLINE_DESK_PORT=8092 make run"
  fi
done
# The intake lists what arrived only behind a login: a token of this
# checkout's own, kept out of git (.frontline/ is ignored), unless one is set.
mkdir -p .frontline
if [ -z "${FRONTLINE_ADMIN_TOKEN:-}" ]; then
  [ -s .frontline/admin-token ] || (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > .frontline/admin-token)
  FRONTLINE_ADMIN_TOKEN=$(cat .frontline/admin-token)
fi
export FRONTLINE_ADMIN_TOKEN

# The demo destination: a fake Freshdesk, and the relay configuration that
# points at it (scripts/relay-demo.toml reads the key from this variable).
export FRONTLINE_DEMO_DESK_KEY=fake-freshdesk-api-key
RELAY_CONFIG=scripts/relay-demo.toml
if [ "$DESK_PORT" != 8082 ]; then
  RELAY_CONFIG=.frontline/relay-demo.toml
  sed "s|http://127.0.0.1:8082|http://127.0.0.1:$DESK_PORT|" scripts/relay-demo.toml > "$RELAY_CONFIG"
fi

DESK_PID=
DEV_PID=
stop() {
  trap - EXIT INT TERM
  for pid in $DEV_PID $DESK_PID; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap stop EXIT
trap 'stop; exit 130' INT
trap 'stop; exit 143' TERM

target/release/frontline-fakedesk --port "$DESK_PORT" --desk freshdesk >/dev/null &
DESK_PID=$!
for _ in $(seq 50); do
  (: </dev/tcp/127.0.0.1/"$DESK_PORT") 2>/dev/null && break
  kill -0 "$DESK_PID" 2>/dev/null || die "the fake help desk did not start (see above)"
  sleep 0.1
done

step "serving: open http://127.0.0.1:$PORT/ and send a request (Ctrl-C stops)"
step "the relay's admin page: http://127.0.0.1:$INTAKE_PORT/admin (any user name; password: $FRONTLINE_ADMIN_TOKEN)"
step "the fake Freshdesk's tickets: http://127.0.0.1:$DESK_PORT/ (forwarding set in $RELAY_CONFIG)"
target/release/frontline-dev --site dist --port "$PORT" --intake-port "$INTAKE_PORT" \
  --relay-config "$RELAY_CONFIG" &
DEV_PID=$!
# Either server ending ends the run: the other is stopped by the trap.
status=0
wait -n "$DEV_PID" "$DESK_PID" || status=$?
exit "$status"
