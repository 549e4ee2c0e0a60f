# Shared helpers for the scripts in this folder. Source it; don't run it.

# node_modules/.bin first, so Trunk finds binaryen 132's wasm-opt and never
# Debian's; ~/.cargo/bin for trunk and wasm-bindgen.
export PATH="$PWD/node_modules/.bin:$HOME/.cargo/bin:$PATH"

step() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# The wasm-bindgen version Cargo.lock resolved.
wasm_bindgen_version() {
  awk '/^name = "wasm-bindgen"$/ { getline; gsub(/version = |"/, ""); print; exit }' Cargo.lock
}

# Where rustup keeps the standard library's source (the rust-src component).
std_source() {
  echo "$(rustc --print sysroot)/lib/rustlib/src/rust/library"
}

# True when node_modules holds exactly what package-lock.json asks for.
lock_matches_installed() {
  [ -f node_modules/.package-lock.json ] || return 1
  node -e '
    const want = require("./package-lock.json").packages, have = require("./node_modules/.package-lock.json").packages;
    for (const [k, v] of Object.entries(want)) { if (k && (!have[k] || have[k].version !== v.version)) process.exit(1); }
  ' 2>/dev/null
}
