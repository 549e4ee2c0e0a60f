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
step "serving: open http://127.0.0.1:$PORT/ (Ctrl-C stops)"
exec target/release/frontline-dev --site dist --port "$PORT" --intake-port "$INTAKE_PORT"
