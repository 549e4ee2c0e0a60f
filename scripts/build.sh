#!/usr/bin/env bash
# Builds the portal for release into dist/ (offline, with the pinned system
# tools) and prints the size report: each shipped asset raw and gzip.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

step "building the portal (trunk build --release --offline)"
# Trunk's JS minifier cannot parse the wasm-bindgen glue (`export { … as
# default }`): it warns and leaves the file as is on every build, and Trunk
# 0.21.14 has no switch for the Rust pipeline's JS alone (`data-no-minify` is
# read by the CSS/Sass/icon pipelines only; `minify` in Trunk.toml is for
# every asset, and CSS/HTML minification pays). postbuild.mjs squeezes the
# glue instead, so drop exactly that known warning; any other line, and
# Trunk's exit status (pipefail), pass through.
color=never
[ -t 1 ] && color=always
trunk build --release --offline --dist dist --color "$color" 2>&1 |
  { grep -v 'Failed to minify JS: RequiredTokenNotFound' || true; }
node scripts/split.mjs dist
node scripts/postbuild.mjs dist
scripts/size-report.sh dist
