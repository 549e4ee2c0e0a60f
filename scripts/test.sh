#!/usr/bin/env bash
# `make test`: install what is missing, then run every test layer and end with
# one line "N passed, N failed" summing them all. Exits non-zero on any failure.
#
# Layers: 1. cargo test (native crates)  2. wasm-bindgen-test in headless
# Chromium  3. Playwright end-to-end against the release build  4. fmt and
# clippy (native and wasm32). Logs go to e2e/artifacts/logs/.
set -uo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh || { echo "0 passed, 1 failed"; exit 1; }
source scripts/lib.sh

# A CI run compiles everything once: incremental caches would only take disk.
if [ "${CI:-}" = true ]; then export CARGO_INCREMENTAL=0; fi
step "disk: $(df -h --output=avail . | tail -1 | tr -d ' ') free before the tests"

LOGS=e2e/artifacts/logs
mkdir -p "$LOGS"
passed=0
failed=0
failed_layers=()
layer_started=$SECONDS

# Adds a cargo-test style log's "test result:" counts to the totals. A run
# that failed without reporting a failed test (say, a compile error) counts
# as one failure, so nothing can fail silently.
tally_cargo() { # name status log
  local name=$1 status=$2 log=$3 p f
  read -r p f < <(grep -E '^test result:' "$log" |
    sed -E 's/.* ([0-9]+) passed; ([0-9]+) failed.*/\1 \2/' |
    awk '{p += $1; f += $2} END {print p + 0, f + 0}')
  if [ "$status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  record "$name" "$p" "$f"
}

record() { # name passed failed
  local took=$((SECONDS - layer_started))
  passed=$((passed + $2))
  failed=$((failed + $3))
  [ "$3" -eq 0 ] || failed_layers+=("$1")
  printf '    %s: %d passed, %d failed (%ds)\n' "$1" "$2" "$3" "$took"
  layer_started=$SECONDS
}

check() { # name command...  (a check is one test)
  local name=$1; shift
  step "$name"
  if "$@" >"$LOGS/$name.log" 2>&1; then record "$name" 1 0; else cat "$LOGS/$name.log"; record "$name" 0 1; fi
}

step "1/4 native tests (cargo test --workspace)"
cargo test --workspace --no-fail-fast --color never 2>&1 | tee "$LOGS/cargo-test.log"
tally_cargo "cargo test" "${PIPESTATUS[0]}" "$LOGS/cargo-test.log"

step "2/4 component tests in headless Chromium (wasm-bindgen-test)"
CHROMEDRIVER=/usr/bin/chromedriver WASM_BINDGEN_TEST_TIMEOUT=120 \
  cargo test -p frontline --target wasm32-unknown-unknown --no-fail-fast --color never 2>&1 | tee "$LOGS/wasm-test.log"
tally_cargo "wasm-bindgen-test" "${PIPESTATUS[0]}" "$LOGS/wasm-test.log"

step "3/4 end-to-end tests in headless Chromium (Playwright)"
if scripts/build.sh 2>&1 | tee "$LOGS/build.log" && [ "${PIPESTATUS[0]}" -eq 0 ] &&
   cargo build --release --quiet -p frontline-devserver -p frontline-fakedesk 2>&1 | tee -a "$LOGS/build.log" && [ "${PIPESTATUS[0]}" -eq 0 ]; then
  node --test --test-concurrency=1 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$LOGS/e2e.tap" \
    e2e/
  e2e_status=$?
  p=$(grep -E '^# pass ' "$LOGS/e2e.tap" | awk '{print $3}')
  f=$(grep -E '^# fail ' "$LOGS/e2e.tap" | awk '{print $3}')
  p=${p:-0}; f=${f:-0}
  if [ "$e2e_status" -ne 0 ] && [ "$f" -eq 0 ]; then f=1; fi
  record "playwright" "$p" "$f"
else
  record "release build" 0 1
fi

step "4/4 formatting and lints"
check "cargo fmt --check" cargo fmt --all --check
check "clippy native" cargo clippy --workspace --all-targets --color never -- -D warnings
check "clippy wasm32 (app)" cargo clippy -p frontline --target wasm32-unknown-unknown --all-targets --color never -- -D warnings
check "clippy wasm32 (app, split build)" cargo clippy -p frontline --target wasm32-unknown-unknown --features split --bins --color never -- -D warnings
# Core's tests use native-only dev-dependencies (proptest, chrono-tz): lint its library for wasm32.
check "clippy wasm32 (core)" cargo clippy -p frontline-core --target wasm32-unknown-unknown --lib --color never -- -D warnings

step "disk: target/ holds $(du -sh target 2>/dev/null | cut -f1); $(df -h --output=avail . | tail -1 | tr -d ' ') free"
if [ "${#failed_layers[@]}" -gt 0 ]; then
  printf 'failed: %s\n' "${failed_layers[*]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
