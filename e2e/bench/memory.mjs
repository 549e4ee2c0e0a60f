// Memory: the JavaScript heap and the WebAssembly linear memory of a host
// page with the embed, before open, at the first step and after a complete
// flow (welcome → product → kind → answer → outcome → form → review → send).
// `node e2e/bench/memory.mjs` (run by `make bench`); prints one section.
import { fillMinimalRequest, toDisputeForm } from '../support.mjs';
import { RUNS, field, freshPage, num, portalAssets, prepareSite, runN, table, withBrowser } from './_lib.mjs';

const MB = (bytes) => bytes / (1024 * 1024);

/** The JS heap in use after a full garbage collection (DevTools protocol). */
async function heap(cdp) {
  await cdp.send('HeapProfiler.collectGarbage');
  const { usedSize } = await cdp.send('Runtime.getHeapUsage');
  return usedSize;
}

/** The portal's WebAssembly.Memory size, through its wasm-bindgen glue (initSync() returns the live exports). */
const wasmMemory = (jsUrl) => import(jsUrl).then((m) => m.initSync().memory.buffer.byteLength);

async function once(browser, server, jsUrl) {
  const plainUrl = new URL('bench/plain.html', server.portal).href;
  const embedUrl = new URL('bench/embed.html', server.portal).href;
  const r = {};
  {
    const { context, page, cdp, errors } = await freshPage(browser);
    await page.goto(plainUrl, { waitUntil: 'load' });
    // The same Playwright wait as on the embed page: its injected script lives in the same heap.
    await page.locator('article h1').waitFor();
    await page.waitForTimeout(300);
    r.plain = await heap(cdp);
    await context.close();
    if (errors.length) throw new Error(errors.join('; '));
  }
  const { context, page, cdp, errors } = await freshPage(browser);
  await page.goto(embedUrl, { waitUntil: 'load' });
  await page.locator('[data-frontline] >> .fl-launch').waitFor();
  await page.waitForTimeout(300);
  r.closed = await heap(cdp);
  await page.getByRole('button', { name: 'Help' }).click();
  await page.getByTestId('start').waitFor();
  await page.waitForTimeout(300);
  r.welcome = await heap(cdp);
  r.wasmWelcome = await page.evaluate(wasmMemory, jsUrl);
  await toDisputeForm(page);
  await fillMinimalRequest(page, `Memory benchmark ${Date.now()}`, 'Measuring the memory after a complete flow');
  await page.getByTestId('send').click();
  await page.getByTestId('step-sent').waitFor();
  await page.waitForTimeout(300);
  r.sent = await heap(cdp);
  r.wasmSent = await page.evaluate(wasmMemory, jsUrl);
  await context.close();
  if (errors.length) throw new Error(errors.join('; '));
  return r;
}

const assets = portalAssets(prepareSite());
const results = await withBrowser(({ server, browser }) =>
  runN('memory (plain page; embed closed, open, after a sent request)', () =>
    once(browser, server, new URL(assets.js, server.portal).href)));

const mb = (key) => {
  const s = field(results, (r) => MB(r[key]));
  return s.min === s.max ? `${num(s.median, 2)} MB (all runs)` : `${num(s.median, 2)} MB (${num(s.min, 2)}–${num(s.max, 2)})`;
};
const added = (key) => {
  const s = field(results, (r) => MB(r[key] - r.plain));
  return `${num(s.median, 2)} MB`;
};

console.log(`## Memory (issue 7)

The JavaScript heap in use after a full garbage collection (DevTools
protocol: \`HeapProfiler.collectGarbage\`, then \`Runtime.getHeapUsage\`
\`usedSize\`) and the portal's WebAssembly linear memory
(\`WebAssembly.Memory\` \`buffer.byteLength\`, read through the wasm-bindgen
glue \`${assets.js}\`, whose \`initSync()\` returns the live exports), on the plain
article page (\`public/bench/plain.html\`) and the same page with the embed
(\`bench/embed.html\`): before open, at the first step after the
launcher's click, and after a complete flow (welcome → Microsoft 365 →
billing → dispute → outcome → form → review → send → "Sent", the request
stored by the loopback intake). ${RUNS} runs (plus one warm-up), each in a
fresh browser context; headless Chromium, release build. The linear memory
only grows (pages of 64 KiB are never returned), so its size is the peak
the portal needed. Median (min–max). Command: \`make bench\`
(\`node e2e/bench/memory.mjs\`).

${table(['when', 'JS heap used', 'JS heap added to the plain page', 'WebAssembly memory'], [
    ['plain page, no embed', mb('plain'), '–', '–'],
    ['with the embed, before open', mb('closed'), added('closed'), '– (not loaded)'],
    ['open, first step', mb('welcome'), added('welcome'), mb('wasmWelcome')],
    ['after a complete flow (request sent)', mb('sent'), added('sent'), mb('wasmSent')],
  ])}`);
