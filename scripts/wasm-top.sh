#!/usr/bin/env bash
# What dominates the portal's WebAssembly: twiggy's top items by retained
# size, on the release module optimised exactly as Trunk does (same wasm-opt
# flags from index.html) but keeping function names (-g). Prints Markdown.
# Needs a release build of the wasm (scripts/build.sh) and twiggy
# (installed here if missing: make bench calls this).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh
TWIGGY_VERSION=0.8.0
if ! twiggy --version 2>/dev/null | grep -q " $TWIGGY_VERSION\$"; then
  step "installing twiggy $TWIGGY_VERSION (once)"
  cargo install twiggy --version "$TWIGGY_VERSION" --locked --quiet >&2
fi
wasm=target/wasm32-unknown-unknown/release/frontline-portal.wasm
[ -f "$wasm" ] || die "$wasm is missing: run scripts/build.sh first"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
wasm-bindgen --target web --out-dir "$work" --out-name portal "$wasm" >&2
flags=$(sed -n 's/.*data-wasm-opt-params="\([^"]*\)".*/\1/p' index.html | sed 's/--strip-[a-z-]*//g')
# shellcheck disable=SC2086
wasm-opt -Oz -g $flags "$work/portal_bg.wasm" -o "$work/named.wasm"
echo "Command: \`scripts/wasm-top.sh\` (wasm-bindgen, then \`wasm-opt -Oz -g\` with Trunk's flags, then"
echo "\`twiggy top -n 20 --retained\`). Sizes are raw bytes in the module, before gzip;"
echo "\"retained\" counts everything only reachable through the item. The name"
echo "section (function names) exists only in this analysis build."
echo
echo '```'
twiggy top -n 20 --retained "$work/named.wasm" | cut -c1-150
echo '```'
