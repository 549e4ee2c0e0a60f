#!/usr/bin/env bash
# `make bench`: measure, on this machine, and write BENCHMARKS.md.
# Timings are benchmarks, never tests: machines are noisy. Each table says
# what was measured, where, when and with which command.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
source scripts/lib.sh

step "rules core, native (frontline bench, release)"
cargo build --release --quiet -p frontline-cli
native=$(target/release/frontline --json bench)

step "rules core, WebAssembly in headless Chromium (release)"
wasm=$(CHROMEDRIVER=/usr/bin/chromedriver cargo test --release -p frontline \
  --target wasm32-unknown-unknown --test bench -- --include-ignored --nocapture 2>&1 |
  sed -n 's/.*BENCH //p' | tail -n 1)
[ -n "$wasm" ] || die "the wasm benchmark printed no result"

step "bundle sizes (release build)"
scripts/build.sh >/dev/null 2>&1 || die "the release build failed: run scripts/build.sh"
sizes=$(scripts/size-report.sh dist)
step "what dominates the wasm (twiggy)"
top=$(scripts/wasm-top.sh)

# Browser benchmarks: each e2e/bench/*.mjs measures one thing against the
# release build and prints one Markdown section (## heading first) on stdout.
step "browser benchmarks (e2e/bench/*.mjs)"
cargo build --release --quiet -p frontline-devserver
browser=""
for bench in e2e/bench/*.mjs; do
  [ -e "$bench" ] || continue
  case "$(basename "$bench")" in _*) continue ;; esac # shared helpers
  step "  $bench"
  section=$(node "$bench") || die "$bench failed"
  browser+="$section"$'\n\n'
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //')
NATIVE="$native" WASM="$wasm" SIZES="$sizes" TOP="$top" BROWSER="$browser" CPU="$cpu" CORES="$(nproc)" \
RUSTC="$(rustc --version)" CHROMIUM="$(/usr/bin/chromium --version 2>/dev/null | head -n1)" \
DATE="$(date -u +%Y-%m-%d)" node - <<'JS'
const fs = require('fs');
const n = JSON.parse(process.env.NATIVE), w = JSON.parse(process.env.WASM);
const f = (x) => x.toFixed(x < 10 ? 2 : 1);
const row = (what, goal, unit, a, b) =>
  `| ${what} | ${goal} | ${f(a.median)} ${unit} (${f(a.min)}–${f(a.max)}) | ${f(b.median)} ${unit} (${f(b.min)}–${f(b.max)}) |`;
const ev = (x) => ({ median: x.median_us, min: x.min_us, max: x.max_us });
const ld = (x) => ({ median: x.median_ms, min: x.min_ms, max: x.max_ms });
const out = `# Benchmarks

Measured by \`make bench\` (scripts/bench.sh), which rewrites this file.
Timings are medians with the min–max spread; they are benchmarks, not tests.

- Date: ${process.env.DATE}
- Machine: ${process.env.CPU}, ${process.env.CORES} cores
- Toolchain: ${process.env.RUSTC}; ${process.env.CHROMIUM} (headless)

## Rules core (issue 3)

Generated rulesets (\`frontline_core::bench\`): a ternary tree of
${n.evaluate.nodes} diagnosis nodes, evaluated along its deepest path
(${n.evaluate.depth} answers); and a ${(n.load.bytes / 1e6).toFixed(2)} MB ruleset, parsed and fully
validated. Native: \`frontline --json bench\` (release), one evaluation per
sample. WebAssembly: \`tests/bench.rs\` in headless Chromium (release build,
\`cargo test --release --target wasm32-unknown-unknown --test bench -- --include-ignored\`),
evaluations timed in batches of 100 because \`performance.now()\` is coarse.

| what | goal | native | wasm in Chromium |
|---|---|---|---|
${row('one evaluation step, 5,000-node ruleset', '≤ 1 ms in wasm', 'µs', ev(n.evaluate), ev(w.evaluate))}
${row('load + validate, 1 MB ruleset', '≤ 50 ms in wasm', 'ms', ld(n.load), ld(w.load))}

## Bundle (release build)

Every file of the release build (\`dist/\`), raw and \`gzip -9\`
(\`scripts/size-report.sh dist\`); the demo pages and the loader are served
but not downloaded by the portal. What the portal downloads when opened is
the glue (\`frontline-*.js\`, which holds the stylesheet), the wasm and
\`rules/default.json\`, which the first screen waits for, then the rest
part (\`frontline-part-rest-*\`), fetched once that screen is shown:
\`e2e/budget.test.mjs\` sums them on every test run, against the 120 KiB
budget (docs/size.md, "Budgets").

\`\`\`
${process.env.SIZES}
\`\`\`

## What dominates the wasm (issue 7)

${process.env.TOP}

${process.env.BROWSER}`.trimEnd() + '\n';
// Sections this script does not measure (the outbox drains, the relay:
// their own scripts write them) are kept as they are.
const headings = new Set(out.match(/^## .*$/gm) || []);
const before = fs.existsSync('BENCHMARKS.md') ? fs.readFileSync('BENCHMARKS.md', 'utf8') : '';
const kept = before.split(/^(?=## )/m).slice(1)
  .filter((section) => !headings.has(section.split('\n')[0]))
  .map((section) => section.trimEnd());
fs.writeFileSync('BENCHMARKS.md', [out.trimEnd(), ...kept].join('\n\n') + '\n');
JS
step "wrote BENCHMARKS.md"
