// Host page cost before open: what the one-tag embed adds to a partner's
// plain article page while the visitor has not touched the launcher.
// `node e2e/bench/host-cost.mjs` (run by `make bench`); prints one section.
import {
  DIST, KB, fileSize, RUNS, field, log, num, prepareSite, runN, spread, stats, table, visitHost, withBrowser,
} from './_lib.mjs';
import { join } from 'node:path';

const SETTLE_MS = 1000; // after `load`: anything the embed would fetch or run by itself shows up here

async function visit(browser, url, embedded) {
  const r = await visitHost(browser, url, { selector: embedded ? '[data-frontline] >> .fl-launch' : 'article h1', settleMs: SETTLE_MS });
  if (r.errors.length) throw new Error(`${url}: ${r.errors.join('; ')}`);
  return r;
}

prepareSite();
const results = await withBrowser(async ({ server, browser }) => {
  const plainUrl = new URL('bench/plain.html', server.portal).href;
  const embedUrl = new URL('bench/embed.html', server.portal).href;
  return runN('host cost (plain, then with the embed)', async (i) => {
    // Alternate the order so that drift does not favour either page.
    const first = i % 2 ? [embedUrl, true] : [plainUrl, false];
    const second = i % 2 ? [plainUrl, false] : [embedUrl, true];
    const a = await visit(browser, ...first);
    const b = await visit(browser, ...second);
    return i % 2 ? { plain: b, embed: a } : { plain: a, embed: b };
  });
});

const row = (what, key, unit, digits, fmt = (s) => spread(s, unit, digits)) => {
  const p = field(results, (r) => r.plain[key]);
  const e = field(results, (r) => r.embed[key]);
  const d = field(results, (r) => r.embed[key] - r.plain[key]);
  return [what, fmt(p), fmt(e), fmt(d)];
};
const kb = (s) => (s.min === s.max ? `${KB(s.median)} (all runs)` : `${KB(s.median)} (${KB(s.min)}–${KB(s.max)})`);
const isPage = (u) => u.startsWith('/bench/') && u.endsWith('.html');
const extra = [...new Set(results.flatMap((r) => r.embed.urls.filter((u) => !isPage(u) && !r.plain.urls.includes(u))))];
const loaderBytes = stats(results.map((r) => {
  const plainBytes = r.plain.bytes;
  return r.embed.bytes - plainBytes;
}));
log(`extra requests: ${extra.join(', ')}; loader bytes ${loaderBytes.median}`);

console.log(`## Host page cost before open (issue 7)

What the one-tag embed (\`<script src="frontline.js" data-config=… defer>\`)
adds to a partner's plain article page before the visitor opens the portal:
\`public/bench/plain.html\` (an article with its stylesheet and one SVG figure)
versus \`bench/embed.html\` (the same page plus the tag), served by the
release dev server under the strict CSP, in headless Chromium on loopback.
Each of ${RUNS} runs (plus one warm-up) loads both pages, in alternating order,
each in a fresh browser context with the HTTP cache disabled; it waits for
\`load\` (and the launcher) and ${SETTLE_MS} ms more, without touching the page.
Bytes and requests come from the DevTools protocol (\`Network.loadingFinished\`
\`encodedDataLength\`: headers and body as transferred, uncompressed here as
the dev server does not compress); long tasks from a \`PerformanceObserver\`
(\`longtask\`), total blocking time is the sum of their parts over 50 ms;
script and task time are Chromium's \`Performance.getMetrics\`
\`ScriptDuration\`/\`TaskDuration\` for the whole visit. Median (min–max);
the last column is the per-run difference. Command: \`make bench\`
(\`node e2e/bench/host-cost.mjs\`).

${table(['what', 'plain page', 'with the embed', 'added by the embed'], [
    row('requests', 'requests', '', 0),
    row('bytes transferred', 'bytes', '', 0, kb),
    row('long tasks (≥ 50 ms)', 'longTasks', '', 0),
    row('total blocking time', 'tbt', 'ms', 0),
    row('main-thread script time', 'script', 'ms', 1),
    row('main-thread task time', 'task', 'ms', 1),
    row('first contentful paint', 'fcp', 'ms', 1),
    row('\`load\` event end', 'load', 'ms', 1),
  ])}

Requests the embed adds: ${extra.map((u) => `\`${u}\``).join(', ') || 'none'}
(the loader only: nothing else is fetched, stored or run before the visitor
shows intent; ${num(loaderBytes.median / 1024, 1)} KB on the wire uncompressed,
${KB(fileSize(join(DIST, 'frontline.js')).gzip)} with \`gzip -9\`).`);
