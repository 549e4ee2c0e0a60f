#!/usr/bin/env bash
# What dominates the portal's WebAssembly: twiggy's top items by retained
# size, on the release modules split and optimised as scripts/split.mjs does
# (same wasm-opt flags) but keeping function names (-g). Prints Markdown.
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
# The same split as scripts/split.mjs: the module opened first, then the parts
# (without merging the small shared chunks into them: they are left out here).
wasm-split-cli --target web --out-name portal "$wasm" "$work" >&2
wasm-bindgen --target web --keep-lld-exports --keep-debug --out-dir "$work/bg" --out-name portal "$work/portal.wasm" >&2
flags=$(sed 's/--strip-[a-z-]*//g' scripts/wasm-opt.flags)
# shellcheck disable=SC2086
wasm-opt -g $flags "$work/bg/portal_bg.wasm" -o "$work/main.wasm"
for part in wizard request rest; do
  # shellcheck disable=SC2086
  wasm-opt -g $flags "$work/split_${part}_part.wasm" -o "$work/$part.wasm" 2>/dev/null
done
echo "Command: \`scripts/wasm-top.sh\` (split as the build does, then \`wasm-opt -g\` with the"
echo "build's flags, then \`twiggy top -n 20 --retained\`). Sizes are raw bytes in the module,"
echo "before gzip; \"retained\" counts everything only reachable through the item. The name"
echo "section (function names) exists only in this analysis build."
for m in main wizard request rest; do
  echo
  case $m in
    main) echo "The module loaded when the portal opens:" ;;
    wizard) echo "The wizard (with the Leptos runtime), loaded when the customer heads for Start:" ;;
    request) echo "The request part, loaded at an answer:" ;;
    rest) echo "The rest part (the reader of the ruleset's lists the welcome screen does not show), loaded once it is shown:" ;;
  esac
  echo
  echo '```'
  twiggy top -n 20 --retained "$work/$m.wasm" | cut -c1-150
  echo '```'
done
