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
# The WebAssembly is built with the standard library compiled for it, for
# size, and a panic stops the module at once instead of formatting a message
# first: no panic strings, no file paths, none of core::fmt that only panics
# used (measured 19.7 KB less gzip on the module opened first, 174.0 →
# 154.3 KB, when this was added). Both are unstable options of this pinned toolchain, which
# RUSTC_BOOTSTRAP lets a stable compiler use, as the Linux kernel's
# Rust build does; only this release build uses them: tests, clippy and
# the CLI build as usual, with panic messages. A panic in the shipped
# module still stops it, as panic = "abort" did, but the console shows
# "unreachable" instead of the message: reproduce with a debug build.
# rust-src and std's dependencies come from scripts/setup.sh.
export RUSTC_BOOTSTRAP=1
export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
export CARGO_UNSTABLE_BUILD_STD_FEATURES=optimize_for_size
# Added to .cargo/config.toml's flags for the target (cargo joins the lists).
export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS="-Zunstable-options -Cpanic=immediate-abort"

color=never
[ -t 1 ] && color=always
trunk build --release --offline --dist dist --color "$color" 2>&1 |
  { grep -v 'Failed to minify JS: RequiredTokenNotFound' || true; }
node scripts/split.mjs dist
node scripts/postbuild.mjs dist
scripts/size-report.sh dist
