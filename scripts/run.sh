#!/usr/bin/env bash
# `make run`: install what is missing, build, and serve the portal on
# http://127.0.0.1:8080/ with the reference intake server on :8081.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
scripts/build.sh
source scripts/lib.sh
step "building the local servers"
cargo build --release --quiet -p frontline-devserver
PORT=${FRONTLINE_PORT:-8080}
INTAKE_PORT=${FRONTLINE_INTAKE_PORT:-8081}
for p in "$PORT" "$INTAKE_PORT"; do
  if (: </dev/tcp/127.0.0.1/"$p") 2>/dev/null; then
    die "port $p on 127.0.0.1 is already in use (is 'make run' already running?): stop it, or pick free ports: FRONTLINE_PORT=8090 FRONTLINE_INTAKE_PORT=8091 make run"
  fi
done
# The intake lists what arrived only behind a login: a token of this
# checkout's own, kept out of git (.frontline/ is ignored), unless one is set.
if [ -z "${FRONTLINE_ADMIN_TOKEN:-}" ]; then
  mkdir -p .frontline
  [ -s .frontline/admin-token ] || (umask 077; od -An -N16 -tx1 /dev/urandom | tr -d ' \n' > .frontline/admin-token)
  FRONTLINE_ADMIN_TOKEN=$(cat .frontline/admin-token)
fi
export FRONTLINE_ADMIN_TOKEN
step "serving: open http://127.0.0.1:$PORT/ (Ctrl-C stops)"
step "what arrived: http://127.0.0.1:$INTAKE_PORT/requests (any user name; password: $FRONTLINE_ADMIN_TOKEN)"
exec target/release/frontline-dev --site dist --port "$PORT" --intake-port "$INTAKE_PORT"
