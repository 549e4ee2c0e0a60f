// Shared by the browser benchmarks (e2e/bench/*.mjs; scripts/bench.sh skips
// files starting with "_"). Each bench prints ONE Markdown section on stdout
// and logs progress on stderr.
//
// The bench pages live in public/bench/ and are not part of the shipped build.
// prepareSite() serves a private snapshot of dist/ (so that a rebuild of dist/
// during a run cannot change what is measured), with public/bench/ as bench/,
// the portal's stylesheet (from its glue) as bench/portal.css, the peer widget's bundle
// as bench/peer/web.js and, if asked, the generated 5,000-node ruleset as
// rules/bench-5000.json; the snapshot is removed when the process exits.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import {
  ROOT, firstScreenFiles, glueStylesheet, launchBrowser, openedFiles, portalAssets as assetsOf, startServer,
} from '../support.mjs';

export { ROOT, firstScreenFiles, launchBrowser, openedFiles, startServer };
export const DIST = join(ROOT, 'dist');
/** Runs per measurement; at least 10 (BENCH_RUNS to change). */
export const RUNS = Math.max(10, Number(process.env.BENCH_RUNS) || 12);
export const PEER = { name: '@typebot.io/js', dir: join(ROOT, 'node_modules', '@typebot.io', 'js') };

export const log = (...args) => console.error('  ', ...args);

/** median, min and max of a list of numbers. */
export function stats(values) {
  const s = [...values].sort((a, b) => a - b);
  const n = s.length;
  const median = n % 2 ? s[(n - 1) / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
  return { median, min: s[0], max: s[n - 1], n };
}

/** Calls `once(i)` `runs` times in sequence (after `warmup` unrecorded calls); returns the results. */
export async function runN(label, once, { runs = RUNS, warmup = 1 } = {}) {
  const results = [];
  for (let i = -warmup; i < runs; i++) {
    const r = await once(i);
    if (i >= 0) results.push(r);
    log(`${label}: ${i < 0 ? 'warm-up' : `run ${i + 1}/${runs}`}`);
  }
  return results;
}

/** Stats of one field over a list of results. */
export const field = (results, key) => stats(results.map((r) => (typeof key === 'function' ? key(r) : r[key])));

/** A number with a sensible precision. */
export function num(x, digits) {
  if (x === undefined || Number.isNaN(x)) return '–';
  const d = digits ?? (Math.abs(x) >= 100 || Number.isInteger(x) ? 0 : Math.abs(x) >= 10 ? 1 : 2);
  return x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

/** "median (min–max)" with a unit. */
export function spread(s, unit = '', digits) {
  const u = unit ? ` ${unit}` : '';
  if (s.min === s.max) return `${num(s.median, digits)}${u} (all runs)`;
  return `${num(s.median, digits)}${u} (${num(s.min, digits)}–${num(s.max, digits)})`;
}

/** A Markdown table. */
export function table(header, rows) {
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export const KB = (bytes) => `${num(bytes / 1024, 1)} KB`;

/** Raw and gzip -9 bytes of a file. */
export function fileSize(path) {
  const raw = readFileSync(path);
  return { raw: raw.length, gzip: gzipSync(raw, { level: 9 }).length };
}

/** The loader's baked-in asset names ({js, wasm, sri}) in a site directory. */
export const portalAssets = (site = SITE ?? DIST) => assetsOf(site);

/** The portal's stylesheet, which rides in its glue (scripts/postbuild.mjs). */
export function portalStylesheet(site = SITE ?? DIST) {
  const css = glueStylesheet(readFileSync(join(site, portalAssets(site).js), 'utf8'));
  if (css === undefined) throw new Error(`${site}: the glue has no stylesheet export: run scripts/build.sh`);
  return css;
}

/** The served snapshot's directory, once prepareSite() has run. */
export let SITE;

/** Makes the snapshot of dist/ this process serves (see the top of this file). */
export function prepareSite({ bigRuleset = false } = {}) {
  if (SITE) return SITE;
  if (!existsSync(join(ROOT, 'target', 'release', 'frontline-dev'))) {
    throw new Error('target/release/frontline-dev is missing: cargo build --release -p frontline-devserver');
  }
  const dir = mkdtempSync(join(tmpdir(), 'frontline-bench-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
  const site = join(dir, 'site');
  // dist/ may be in the middle of a rebuild: retry until it is complete.
  for (let attempt = 0; ; attempt++) {
    try {
      rmSync(site, { recursive: true, force: true });
      cpSync(DIST, site, { recursive: true });
      const a = portalAssets(site);
      for (const f of [a.js, a.wasm, 'rules/default.json']) readFileSync(join(site, f));
      break;
    } catch (e) {
      if (attempt >= 30) throw new Error(`dist/ is not a complete build (${e.message}): run scripts/build.sh`);
      execFileSync('sleep', ['2']);
    }
  }
  const bench = join(site, 'bench');
  cpSync(join(ROOT, 'public', 'bench'), bench, { recursive: true });
  // The host pages compared must be the same article: embed, peer and the
  // static floor are plain.html plus their own lines, made here.
  const article = readFileSync(join(bench, 'plain.html'), 'utf8');
  const variant = (name, { head = '', body }) => writeFileSync(join(bench, name),
    article.replace('  </head>', `${head}  </head>`).replace('  </body>', `${body}  </body>`));
  variant('embed.html', { body: '    <script src="../frontline.js" data-config="../rules/default.json" defer></script>\n' });
  variant('peer.html', { body: '    <script type="module" src="peer.js"></script>\n' });
  variant('static-first-step.html', {
    head: '    <link rel="stylesheet" href="static-first-step.css" />\n',
    body: readFileSync(join(bench, 'static-first-step.body.html'), 'utf8').replace(/^<!--[\s\S]*?-->\n/, ''),
  });
  writeFileSync(join(bench, 'portal.css'), portalStylesheet(site));
  if (existsSync(join(PEER.dir, 'dist', 'web.js'))) {
    mkdirSync(join(bench, 'peer'), { recursive: true });
    cpSync(join(PEER.dir, 'dist', 'web.js'), join(bench, 'peer', 'web.js'));
  }
  if (bigRuleset) {
    const cli = join(ROOT, 'target', 'release', 'frontline');
    if (!existsSync(cli)) throw new Error('target/release/frontline is missing: cargo build --release -p frontline-cli');
    execFileSync(cli, ['bench', '--nodes', '5000', '--write-ruleset', join(site, 'rules', 'bench-5000.json')],
      { stdio: ['ignore', 'ignore', 'inherit'] });
  }
  SITE = site;
  return site;
}

/** Starts the dev server and Chromium; `fn({server, browser})`; stops both. */
export async function withBrowser(fn) {
  const server = await startServer({ site: SITE ?? prepareSite() });
  const browser = await launchBrowser();
  try {
    return await fn({ server, browser });
  } finally {
    await browser.close();
    await server.stop();
  }
}

/**
 * A fresh browser context and page with the HTTP cache disabled (so every
 * download is real), a CDP session, and the console errors collected.
 */
export async function freshPage(browser, { viewport = { width: 1280, height: 900 }, ...contextOptions } = {}) {
  const context = await browser.newContext({ viewport, ...contextOptions });
  const page = await context.newPage();
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(msg.text()); });
  page.on('pageerror', (err) => errors.push(err.message));
  return { context, page, cdp, errors };
}

/**
 * Counts what the page downloads from now on, through CDP's Network domain:
 * requests and bytes on the wire (encodedDataLength: headers + body as
 * transferred). `since(mark)` gives the totals after a mark.
 */
export function networkMeter(cdp) {
  const requests = new Map();
  cdp.on('Network.requestWillBeSent', (e) => {
    if (!e.request.url.startsWith('data:')) requests.set(e.requestId, { url: e.request.url, bytes: 0, at: requests.size });
  });
  cdp.on('Network.loadingFinished', (e) => { const r = requests.get(e.requestId); if (r) r.bytes = e.encodedDataLength; });
  cdp.on('Network.loadingFailed', (e) => { const r = requests.get(e.requestId); if (r) r.failed = e.errorText; });
  return {
    mark: () => requests.size,
    list: (from = 0) => [...requests.values()].filter((r) => r.at >= from),
    totals(from = 0) {
      const list = this.list(from);
      return { requests: list.length, bytes: list.reduce((a, r) => a + r.bytes, 0) };
    },
  };
}

/** An init script recording long tasks (buffered) in window.__longtasks. */
export const LONGTASKS_INIT = () => {
  window.__longtasks = [];
  try {
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longtasks.push({ start: e.startTime, duration: e.duration });
    }).observe({ type: 'longtask', buffered: true });
  } catch { /* not supported */ }
};

/** Long tasks seen so far: count, total duration and total blocking time (sum of the part over 50 ms). */
export async function longTasks(page, since = 0) {
  const tasks = (await page.evaluate(() => window.__longtasks || [])).filter((t) => t.start >= since);
  return {
    count: tasks.length,
    total: tasks.reduce((a, t) => a + t.duration, 0),
    tbt: tasks.reduce((a, t) => a + Math.max(0, t.duration - 50), 0),
  };
}

/** The machine and browser, for the sections' "how" lines. */
export function machine() {
  let chromium = 'Chromium';
  try { chromium = execFileSync('/usr/bin/chromium', ['--version'], { encoding: 'utf8' }).trim(); } catch { /* keep */ }
  return chromium;
}

/**
 * Visits a host page in a fresh context (cache disabled) without touching it:
 * waits for `load`, for `selector` (the same Playwright wait on every page, so
 * that its injected script costs each the same) and `settleMs` more. Returns
 * requests and bytes (CDP), long tasks and total blocking time, Chromium's
 * script and task time, first contentful paint and the load event's end.
 * `then(page)` may act on the page afterwards (its traffic is counted apart).
 */
export async function visitHost(browser, url, { selector, settleMs = 1000, contextOptions = {}, then } = {}) {
  const { context, page, cdp, errors } = await freshPage(browser, contextOptions);
  await page.addInitScript(LONGTASKS_INIT);
  await cdp.send('Performance.enable');
  const net = networkMeter(cdp);
  await page.goto(url, { waitUntil: 'load' });
  await page.locator(selector).waitFor();
  await page.waitForTimeout(settleMs);
  const metrics = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((m) => [m.name, m.value]));
  const tasks = await longTasks(page);
  const paint = await page.evaluate(() => ({
    fcp: performance.getEntriesByName('first-contentful-paint')[0]?.startTime,
    load: performance.getEntriesByType('navigation')[0]?.loadEventEnd,
  }));
  const totals = net.totals();
  const result = {
    ...totals, urls: net.list().map((r) => new URL(r.url).pathname), longTasks: tasks.count, tbt: tasks.tbt,
    script: metrics.ScriptDuration * 1e3, task: metrics.TaskDuration * 1e3, fcp: paint.fcp, load: paint.load,
  };
  if (then) {
    const mark = net.mark();
    await then(page);
    result.after = net.totals(mark);
    result.afterTasks = await longTasks(page);
  }
  await context.close();
  return { ...result, errors };
}
