// A peer widget: Typebot's embed library (@typebot.io/js, a published
// chat/support widget whose whole bundle ships in the npm package), measured
// like Frontline on the same plain host page, side by side.
// `node e2e/bench/peer.mjs` (run by `make bench`); prints one section.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  KB, PEER, RUNS, field, fileSize, log, num, openedFiles, portalAssets, prepareSite, runN, spread, table, visitHost, withBrowser,
} from './_lib.mjs';

const SETTLE_MS = 1000;
const peerVersion = JSON.parse(readFileSync(join(PEER.dir, 'package.json'), 'utf8')).version;
const site = prepareSite();
const assets = portalAssets(site);

/** The Frontline launcher's click, then the first step's primary button. */
async function openFrontline(page) {
  await page.locator('[data-frontline] >> .fl-launch').click();
  await page.getByTestId('start').waitFor();
  await page.waitForTimeout(300);
}

const results = await withBrowser(async ({ server, browser }) => {
  const url = (name) => new URL(`bench/${name}.html`, server.portal).href;
  let cspErrors = [];
  const runs = await runN(`peer (${PEER.name}) versus Frontline on the same page`, async (i) => {
    const order = i % 2 ? ['peer', 'embed', 'plain'] : ['plain', 'embed', 'peer'];
    const r = {};
    for (const which of order) {
      if (which === 'plain') r.plain = await visitHost(browser, url('plain'), { selector: 'article h1', settleMs: SETTLE_MS });
      if (which === 'embed') {
        r.embed = await visitHost(browser, url('embed'), { selector: '[data-frontline] >> .fl-launch', settleMs: SETTLE_MS, then: openFrontline });
      }
      if (which === 'peer') {
        // Typebot injects <style> elements and style attributes, which the strict
        // CSP refuses (measured once below); it is measured with the CSP bypassed,
        // as a host page without a strict CSP would run it.
        r.peer = await visitHost(browser, url('peer'), { selector: 'typebot-bubble >> button', settleMs: SETTLE_MS, contextOptions: { bypassCSP: true } });
      }
    }
    for (const k of ['plain', 'embed', 'peer']) if (r[k].errors.length) throw new Error(`${k}: ${r[k].errors.join('; ')}`);
    return r;
  });
  const strict = await visitHost(browser, url('peer'), { selector: 'typebot-bubble >> button', settleMs: 300 });
  cspErrors = strict.errors.filter((e) => /Content Security Policy/.test(e));
  return { runs, cspErrors };
});
const { runs } = results;

const peerBundle = fileSize(join(PEER.dir, 'dist', 'web.js'));
const loader = fileSize(join(site, 'frontline.js'));
const portal = openedFiles(site).map((f) => fileSize(join(site, f)));
const portalGz = portal.reduce((a, s) => a + s.gzip, 0);
const portalRaw = portal.reduce((a, s) => a + s.raw, 0);
const extraUrls = (key) => [...new Set(runs.flatMap((r) => r[key].urls.filter((u) => !u.endsWith('.html') && !r.plain.urls.includes(u))))];
const added = (key, f, fmt) => fmt(field(runs, (r) => f(r[key]) - f(r.plain)));
const kb = (s) => (s.min === s.max ? `${KB(s.median)}` : `${KB(s.median)} (${KB(s.min)}–${KB(s.max)})`);
const n0 = (s) => (s.min === s.max ? num(s.median, 0) : spread(s, '', 0));
const ms = (s) => spread(s, 'ms', 1);
log(`peer urls ${extraUrls('peer').join(', ')}; csp errors ${results.cspErrors.length}`);

console.log(`## A peer widget: ${PEER.name} ${peerVersion} (issue 7)

The peer is Typebot's embed library, [\`${PEER.name}\`](https://www.npmjs.com/package/@typebot.io/js)
version ${peerVersion} from the npm registry (a dev dependency in package.json): a
chat/support widget (a "bubble" launcher opening a conversational flow, the
same shape as Frontline's guided diagnosis) whose whole code ships in the
package as one ES module, \`dist/web.js\` (Solid.js web components, no
dependencies). It is started as its README says, \`Typebot.initBubble(…)\`,
from a same-origin module (\`public/bench/peer.js\`, one extra small request a
real host would inline). Its conversation comes from Typebot's server
(\`apiHost\`), which is not reachable offline, so only its load before open is
measured; Frontline is measured before open and after the launcher's click up
to the first step. Same plain article page (\`public/bench/plain.html\`,
\`embed.html\`, \`peer.html\`), same method as "Host page cost before open":
${RUNS} runs (plus one warm-up) of the three pages in alternating order, fresh
browser contexts with the HTTP cache disabled, \`load\` + ${SETTLE_MS} ms, bytes from
the DevTools protocol (uncompressed on the wire here), long tasks from a
\`PerformanceObserver\`. Under the dev server's strict CSP the peer is refused
its styles (${results.cspErrors.length} CSP violation(s): it injects \`<style>\` elements and
style attributes, so it needs \`style-src 'unsafe-inline'\`); it is measured
with the CSP bypassed (Playwright \`bypassCSP\`), as such a host would run it.
Median (min–max) of what each adds to the plain page. Command: \`make bench\`
(\`node e2e/bench/peer.mjs\`).

${table(['what', 'Frontline, before open', 'Frontline, opened (first step)', `${PEER.name} ${peerVersion}, loaded (closed)`], [
    ['shipped code a host downloads (raw / gzip -9)', `loader ${KB(loader.raw)} / ${KB(loader.gzip)}`,
      `+ portal ${KB(portalRaw)} / ${KB(portalGz)} (glue with its stylesheet, wasm, ruleset; then the ruleset's rest reader)`, `\`dist/web.js\` ${KB(peerBundle.raw)} / ${KB(peerBundle.gzip)}`],
    ['requests added', added('embed', (x) => x.requests, n0), `+ ${n0(field(runs, (r) => r.embed.after.requests))}`, added('peer', (x) => x.requests, n0)],
    ['bytes added (uncompressed)', added('embed', (x) => x.bytes, kb), `+ ${kb(field(runs, (r) => r.embed.after.bytes))}`, added('peer', (x) => x.bytes, kb)],
    ['long tasks (≥ 50 ms)', n0(field(runs, (r) => r.embed.longTasks)), `+ ${n0(field(runs, (r) => r.embed.afterTasks.count - r.embed.longTasks))}`, n0(field(runs, (r) => r.peer.longTasks))],
    ['total blocking time', ms(field(runs, (r) => r.embed.tbt)), `+ ${ms(field(runs, (r) => r.embed.afterTasks.tbt - r.embed.tbt))}`, ms(field(runs, (r) => r.peer.tbt))],
    ['main-thread script time added', added('embed', (x) => x.script, ms), '–', added('peer', (x) => x.script, ms)],
    ['\`load\` event end added', added('embed', (x) => x.load, ms), '–', added('peer', (x) => x.load, ms)],
  ])}

Requests each adds before open: Frontline ${extraUrls('embed').map((u) => `\`${u}\``).join(', ')}; the peer
${extraUrls('peer').map((u) => `\`${u}\``).join(', ')}. The peer's whole bundle
(${KB(peerBundle.gzip)} gzip) is downloaded and run on every page view; Frontline's
${KB(loader.gzip)} loader is, and its ${KB(portalGz)} gzip portal only when the visitor opens it.`);
