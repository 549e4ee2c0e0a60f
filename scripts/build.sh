#!/usr/bin/env bash
# Builds the portal for release into dist/ (offline, with the pinned system
# tools) and prints the size report: each shipped asset raw and gzip.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "building the portal (trunk build --release --offline)"
trunk build --release --offline --dist dist
node scripts/postbuild.mjs dist
scripts/size-report.sh dist
