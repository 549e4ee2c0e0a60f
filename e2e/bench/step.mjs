// Step transition: click an answer → the next screen rendered, its heading
// focused, and the next frame painted; on the default ruleset and on a
// generated 5,000-node one (`frontline bench --write-ruleset`).
// `node e2e/bench/step.mjs` (run by `make bench`); prints one section.
import { RUNS, freshPage, log, num, prepareSite, runN, stats, table, withBrowser } from './_lib.mjs';

/**
 * Installed in the page before its scripts: marks when the page runs a
 * frame's animation callbacks. The portal focuses a new step's heading in
 * one (once the step is drawn), and the frame then being made is the one
 * that paints the step; a callback asked for there would run a frame later.
 */
function trackFrames() {
  const raf = window.requestAnimationFrame.bind(window);
  window.__inFrame = 0;
  window.requestAnimationFrame = (callback) => raf((time) => {
    window.__inFrame++;
    try {
      callback(time);
    } finally {
      window.__inFrame--;
    }
  });
}

/**
 * In the page: clicks `[data-testid=click]` in the portal's shadow root and
 * resolves with the times from the click at which the next screen was ready
 * (`[data-testid=ready]` present and a new step heading focused, as the portal
 * does on every step) and at which the frame showing it was painted: a
 * message (the task after the frame's rendering) posted from that frame's
 * animation callbacks, or, when ready outside them, from the next frame's.
 */
function measureStep([click, ready]) {
  const root = document.querySelector('frontline-portal').shadowRoot;
  const heading = root.querySelector('h1.fl-step__title');
  const headingText = heading?.textContent;
  const target = root.querySelector(`[data-testid="${click}"]`);
  if (!target) return Promise.reject(new Error(`no [data-testid=${click}]`));
  return new Promise((resolve, reject) => {
    let t0;
    let done = false;
    const check = () => {
      const h = root.activeElement;
      if (done || !root.querySelector(`[data-testid="${ready}"]`) || !h?.matches('h1.fl-step__title')) return;
      if (h === heading && h.textContent === headingText) return;
      done = true;
      const t = performance.now();
      observer.disconnect();
      root.removeEventListener('focusin', check);
      const afterPaint = () => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve({ ready: t - t0, painted: performance.now() - t0 });
        channel.port2.postMessage(0);
      };
      if (window.__inFrame) afterPaint();
      else requestAnimationFrame(afterPaint);
    };
    const observer = new MutationObserver(check);
    observer.observe(root, { subtree: true, childList: true, attributes: true, characterData: true });
    root.addEventListener('focusin', check);
    setTimeout(() => { if (!done) reject(new Error(`${click} → ${ready}: nothing within 10 s`)); }, 10000);
    t0 = performance.now();
    target.click();
    check();
  });
}

// [what, clicked test id, test id on the next screen]
const DEFAULT = [
  ['welcome → product', 'start', 'product-m365'],
  ['product → kind of problem', 'product-m365', 'kind-billing'],
  ['kind → first question', 'kind-billing', 'answer-dispute'],
  ['answer → outcome', 'answer-dispute', 'outcome-next'],
  ['outcome → request form', 'outcome-next', 'to-review'],
];
// The generated ruleset's deepest path: n0 -a1-> n1 -a4-> n4 … -a3280-> the end n3280.
const path = [1, 4, 13, 40, 121, 364, 1093, 3280];
const BIG = [
  ['welcome → product', 'start', 'product-p'],
  ['product → kind of problem', 'product-p', 'kind-technical'],
  ['kind → first question', 'kind-technical', 'answer-a1'],
  ...path.slice(0, -1).map((a, i) => ['answer → next question', `answer-a${a}`, `answer-a${path[i + 1]}`]),
  ['answer → outcome', `answer-a${path.at(-1)}`, 'outcome-next'],
  ['outcome → request form', 'outcome-next', 'to-review'],
];

/**
 * Walks `steps` in a fresh page. With `intent`, the pointer first rests on
 * "Start" as a person's does before clicking it, which fetches the
 * wizard (src/app.rs); without, the click itself does.
 */
async function walk(browser, url, steps, { intent = true } = {}) {
  const { context, page, errors } = await freshPage(browser);
  await page.addInitScript(trackFrames);
  await page.goto(url);
  await page.getByTestId('start').waitFor({ timeout: 30000 });
  if (intent) await page.getByTestId('start').hover();
  await page.waitForTimeout(300);
  const out = [];
  for (const [what, click, ready] of steps) {
    out.push({ what, ...(await page.evaluate(measureStep, [click, ready])) });
    await page.waitForTimeout(150); // as a person would: the next click is not in the same frame
  }
  await context.close();
  if (errors.length) throw new Error(`${url}: ${errors.join('; ')}`);
  return out;
}

const site = prepareSite({ bigRuleset: true });
const { statSync } = await import('node:fs');
const bigBytes = statSync(`${site}/rules/bench-5000.json`).size;
const runs = await withBrowser(async ({ server, browser }) => {
  const url = (n) => new URL(`bench/portal-${n}.html`, server.portal).href;
  return runN('step transitions (default, then 5,000 nodes)', async () => ({
    small: await walk(browser, url('default'), DEFAULT),
    big: await walk(browser, url('bench-5000'), BIG),
    cold: await walk(browser, url('default'), DEFAULT.slice(0, 1), { intent: false }),
  }));
});

const kinds = [...new Set(BIG.map(([what]) => what))];
const pooled = (which, what, key) => {
  const values = runs.flatMap((r) => r[which].filter((s) => s.what === what).map((s) => s[key]));
  return values.length ? stats(values) : undefined;
};
const cell = (s) => (s ? `${num(s.median, 1)} ms (${num(s.min, 1)}–${num(s.max, 1)})` : '–');
const all = (which, key) => stats(runs.flatMap((r) => r[which].map((s) => s[key])));
const worstMedian = (which, key) => Math.max(...kinds.map((k) => pooled(which, k, key)?.median ?? 0));
const GOAL = 16;
const met = (which, key) => worstMedian(which, key) <= GOAL;
log(`worst medians: default ${worstMedian('small', 'ready')} / ${worstMedian('small', 'painted')}, big ${worstMedian('big', 'ready')} / ${worstMedian('big', 'painted')}`);

console.log(`## Step transition (issue 7)

From a click on an answer (or a step's button) to the next screen: ready
(drawn, with its heading focused) and painted. Measured in the page:
\`performance.now()\` at a programmatic \`click()\`, a \`MutationObserver\` and
\`focusin\` on the portal's shadow root until the next screen's control is
present and a new heading has focus, then a message for the painted frame.
The portal focuses a new step's heading in the animation callbacks of the
frame that paints the step (once it is drawn), so "ready" includes waiting
for that frame (headless Chromium makes one at most every 16.7 ms), and the
message, posted there, runs once that frame is painted; were the heading
focused outside a frame, the message would be posted from the next frame's
callbacks (\`requestAnimationFrame\`). (Until 2026-11-24 the message was
always posted from a \`requestAnimationFrame\` callback, which, asked for
inside a frame's callbacks, runs a frame later: "painted" then counted the
frame after the one that painted the step.)
Inline portal (\`public/bench/portal-*.html\`), release build, loopback; on the
default ruleset (\`rules/default.json\`, Microsoft 365 → billing → dispute →
outcome → form) and on the generated 5,000-node ruleset
(\`frontline bench --nodes 5000 --write-ruleset\`, ${num(bigBytes / 1e6, 2)} MB; its deepest path,
8 answers). ${RUNS} runs (plus one warm-up), each in a fresh browser context,
${runs[0].small.length} + ${runs[0].big.length} transitions per run with 150 ms between clicks; "answer → next question"
pools the 7 per run. Median (min–max). Command: \`make bench\`
(\`node e2e/bench/step.mjs\`).

${table(['transition', 'default: ready', 'default: painted', '5,000 nodes: ready', '5,000 nodes: painted'],
    [...kinds.map((k) => [k, cell(pooled('small', k, 'ready')), cell(pooled('small', k, 'painted')), cell(pooled('big', k, 'ready')), cell(pooled('big', k, 'painted'))]),
      ['**every transition**', `**${cell(all('small', 'ready'))}**`, `**${cell(all('small', 'painted'))}**`, `**${cell(all('big', 'ready'))}**`, `**${cell(all('big', 'painted'))}**`]])}

Goal: ≤ ${GOAL} ms per transition. Ready: ${met('small', 'ready') && met('big', 'ready') ? '**met**' : '**not met**'}, the slowest
transition's median is ${num(worstMedian('small', 'ready'), 1)} ms (default) and ${num(worstMedian('big', 'ready'), 1)} ms (5,000 nodes).
Painted: ${met('small', 'painted') && met('big', 'painted') ? '**met**' : '**not met**'}, the slowest medians are ${num(worstMedian('small', 'painted'), 1)} ms and ${num(worstMedian('big', 'painted'), 1)} ms (frame wait included).

The steps after the welcome screen are a module of their own, fetched when
the pointer reaches "Start" (or focus does): above, the pointer rests on it
300 ms before the click, as a person's does. Clicked with no such intent
first (a programmatic click, so the click itself fetches and compiles the
part), welcome → product takes ${cell(pooled('cold', 'welcome → product', 'ready'))} ready and
${cell(pooled('cold', 'welcome → product', 'painted'))} painted, on loopback.`);
