#!/usr/bin/env bash
# Installs what building and testing Frontline needs, skipping whatever is
# already there at the right version. Safe to run again: a half-finished
# install is repaired by the next run. Prints one line per missing thing.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

TRUNK_VERSION=0.21.14
BINARYEN_VERSION=132

# Installs Debian packages as root; otherwise stops with the exact command.
apt_install() { # what packages...
  local what=$1; shift
  if [ "$(id -u)" = 0 ]; then
    step "installing $what ($*)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
  else
    die "$what missing. Run as root: apt-get update && apt-get install -y $*"
  fi
}

need_cmd() {
  command -v "$1" >/dev/null 2>&1 || die "$1 is not installed: $2"
}

need_cmd cargo "install Rust with rustup (https://rustup.rs), then run this again"
need_cmd rustup "Frontline needs rustup to add the wasm32 target; install Rust with rustup"
need_cmd node "install Node.js 20 or newer (Debian: apt-get install nodejs npm)"
need_cmd npm "install npm (Debian: apt-get install npm)"

# 0. A C compiler: the intake server's SQLite is compiled from C.
if ! command -v cc >/dev/null 2>&1; then
  apt_install "a C compiler, for SQLite" gcc libc6-dev
fi

# 1. The WebAssembly target.
if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  step "adding the wasm32-unknown-unknown target"
  rustup target add wasm32-unknown-unknown
fi

# 1b. The standard library's source and its dependencies, for the release
#     build's size (scripts/build.sh rebuilds std for the portal's
#     WebAssembly). Fetched here because the build itself runs offline.
if [ ! -f "$(std_source)/Cargo.lock" ]; then
  step "adding the rust-src component (the standard library's source)"
  rustup component add rust-src
fi
if ! RUSTC_BOOTSTRAP=1 cargo fetch --offline --manifest-path "$(std_source)/Cargo.toml" >/dev/null 2>&1; then
  step "fetching the standard library's dependencies (first time only)"
  RUSTC_BOOTSTRAP=1 cargo fetch --manifest-path "$(std_source)/Cargo.toml" --quiet
fi

# 2. Trunk, at the one version that builds with this machine's rustc.
if [ "$(trunk --version 2>/dev/null || true)" != "trunk $TRUNK_VERSION" ]; then
  step "installing trunk $TRUNK_VERSION (first time only: about 10 minutes on 2 cores)"
  cargo install trunk --version "$TRUNK_VERSION" --locked
fi

# 3. wasm-bindgen-cli at exactly the wasm-bindgen version in Cargo.lock.
#    Not --locked: a dependency locked by 0.2.130 was yanked.
WB_VERSION=$(wasm_bindgen_version)
[ -n "$WB_VERSION" ] || die "Cargo.lock has no wasm-bindgen entry: run 'cargo generate-lockfile' and commit Cargo.lock"
grep -q "wasm_bindgen = \"$WB_VERSION\"" Trunk.toml ||
  die "Trunk.toml pins another wasm_bindgen than Cargo.lock's $WB_VERSION: make them equal"
if [ "$(wasm-bindgen --version 2>/dev/null || true)" != "wasm-bindgen $WB_VERSION" ] ||
   [ "$(wasm-bindgen-test-runner --version 2>/dev/null || true)" != "wasm-bindgen-test-runner $WB_VERSION" ]; then
  step "installing wasm-bindgen-cli $WB_VERSION (first time only: a few minutes)"
  cargo install wasm-bindgen-cli --version "$WB_VERSION" --force
fi

# 3b. wasm-split-cli, which cuts the request part out of the portal's
#     module (scripts/split.mjs). Must suit wasm_split_helpers in Cargo.lock.
WASM_SPLIT_VERSION=0.2.4
if ! cargo install --list | grep -qx "wasm_split_cli_support v$WASM_SPLIT_VERSION:" ||
   ! command -v wasm-split-cli >/dev/null 2>&1; then
  step "installing wasm-split-cli $WASM_SPLIT_VERSION (first time only: about a minute)"
  cargo install wasm_split_cli_support --version "$WASM_SPLIT_VERSION" --features build-binary --locked
fi

# 4. Chromium and its driver, for the browser tests.
# The relay's tests run a throw-away PostgreSQL server (crates/relay/tests/support/pg.rs).
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt_install "PostgreSQL, for the relay's tests" postgresql
fi

if [ ! -x /usr/bin/chromium ] || [ ! -x /usr/bin/chromedriver ]; then
  apt_install "Chromium and its driver" chromium chromium-driver
fi

# 5. npm dev tools from the committed lockfile: playwright-core, axe-core and
#    binaryen's wasm-opt. `npm ci` only when node_modules does not match.
if ! lock_matches_installed; then
  step "installing npm dev tools (npm ci)"
  npm ci --no-audit --no-fund --loglevel=error
fi
WASM_OPT_VERSION=$(node_modules/.bin/wasm-opt --version 2>/dev/null || true)
case "$WASM_OPT_VERSION" in
  "wasm-opt version $BINARYEN_VERSION "*) ;;
  *) die "node_modules/.bin/wasm-opt is \"$WASM_OPT_VERSION\", not binaryen $BINARYEN_VERSION: run 'rm -rf node_modules' and try again" ;;
esac
