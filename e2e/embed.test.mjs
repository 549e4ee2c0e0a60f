// Embedding: the one-tag loader on the demo partner site, under the strict
// CSP the dev server sends. Nothing loads before the visitor acts; the portal
// lives in a Shadow DOM that hostile host CSS cannot reach.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer } from 'node:http';
import { ROOT, afterNextPaint, fillMinimalRequest, harness, quietFor, receivedBy, savedRequests, screenshotPath, startServer, toDisputeForm, until, watchErrors } from './support.mjs';

const h = harness();

async function open(path = 'demo/index.html') {
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = await watchErrors(page);
  const requests = [];
  page.on('request', (r) => requests.push(new URL(r.url()).pathname));
  await page.goto(new URL(path, h.server.portal).href);
  return { context, page, errors, requests };
}

test('before the visitor acts: only the page, its own files and the loader; no storage, no cookie', async () => {
  const { context, page, errors, requests } = await open();
  await page.locator('[data-frontline]').waitFor({ state: 'attached' });
  await quietFor(page, 1500, 'nothing but the loader is fetched before the visitor acts: an absence');
  assert.deepEqual(requests.filter((p) => !p.startsWith('/demo/') && p !== '/favicon.svg'), ['/frontline.js']);
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length, document.cookie]), [0, 0, '']);
  assert.deepEqual(errors, []);
  await context.close();
});

test('once the page is idle, the loader reads session storage (the open then skips its first-use round trip) and writes nothing', async () => {
  const context = await h.browser.newContext();
  await context.addInitScript(() => {
    window.__storage = [];
    for (const op of ['getItem', 'setItem', 'removeItem', 'clear']) {
      const original = Storage.prototype[op];
      Storage.prototype[op] = function (...args) {
        window.__storage.push([this === window.sessionStorage ? 'session' : 'local', op, args[0] ?? null]);
        return original.apply(this, args);
      };
    }
  });
  const page = await context.newPage();
  const errors = await watchErrors(page);
  await page.goto(new URL('demo/index.html', h.server.portal).href);
  await page.locator('[data-frontline]').waitFor({ state: 'attached' });
  await page.waitForFunction(() => window.__storage.some(([area]) => area === 'session'));
  const ops = await page.evaluate(() => window.__storage);
  assert.deepEqual(ops.filter(([area]) => area === 'session'), [['session', 'getItem', 'frontline']]);
  assert.deepEqual(ops.filter(([, op]) => op !== 'getItem'), [], 'nothing written');
  assert.deepEqual(await page.evaluate(() => [localStorage.length, sessionStorage.length]), [0, 0]);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the launcher opens the portal in a Shadow DOM, under the strict CSP, with no violation', async () => {
  const { context, page, errors } = await open();
  const opened = page.evaluate(() => new Promise((resolve) => document.addEventListener('frontline:ready', () => resolve(true), { once: true })));
  await page.getByRole('button', { name: 'Help' }).click();
  assert.equal(await opened, true);
  await page.getByTestId('step-welcome').waitFor();
  assert.equal(await page.evaluate(() => document.querySelector('[data-testid=step-welcome]')), null, 'not in the light DOM');
  await page.screenshot({ path: screenshotPath('embed-demo-1280') });
  await page.getByTestId('start').click();
  await page.getByTestId('product-azure').click();
  await page.getByTestId('step-kind').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('hostile host CSS does not change the portal, and the portal\'s CSS does not change the host', async () => {
  const { context, page } = await open();
  const hostBefore = await page.evaluate(() => getComputedStyle(document.querySelector('h1')).fontFamily);
  await page.getByRole('button', { name: 'Help' }).click();
  const title = page.locator('[data-testid=step-welcome] h1');
  await title.waitFor();
  const style = () => title.evaluate((el) => { const s = getComputedStyle(el); return [s.color, s.fontFamily, s.fontSize]; });
  const before = await style();
  // Constructed stylesheets are not inline styles, so the CSP allows this hostile rule.
  await page.evaluate(() => {
    const s = new CSSStyleSheet();
    s.replaceSync('* { all: revert !important; color: red !important; font-family: monospace !important; }');
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, s];
  });
  assert.deepEqual(await style(), before);
  await page.evaluate(() => { document.adoptedStyleSheets = []; });
  assert.equal(await page.evaluate(() => getComputedStyle(document.querySelector('h1')).fontFamily), hostBefore);
  await context.close();
});

test('the inline mode mounts the portal on a dedicated support page', async () => {
  const { context, page, errors } = await open('demo/support.html');
  await page.getByTestId('step-welcome').waitFor();
  assert.equal(await page.locator('[data-frontline]').count(), 0, 'no launcher with data-launcher="off"');
  assert.deepEqual(errors, []);
  await context.close();
});

test('the host API opens, closes, toggles and destroys the widget, leaving nothing behind', async () => {
  const { context, page, errors } = await open();
  const events = await page.evaluateHandle(() => {
    const seen = [];
    window.Frontline.on('open', () => seen.push('open'));
    window.Frontline.on('close', () => seen.push('close'));
    return seen;
  });
  await page.evaluate(() => window.Frontline.open());
  await page.getByTestId('step-welcome').waitFor();
  await page.evaluate(() => window.Frontline.close());
  assert.deepEqual(await events.jsonValue(), ['open', 'close']);
  await page.evaluate(() => window.Frontline.toggle());
  await page.getByTestId('step-welcome').waitFor();
  await page.evaluate(() => window.Frontline.toggle());
  await page.getByTestId('step-welcome').waitFor({ state: 'hidden' });
  assert.deepEqual(await events.jsonValue(), ['open', 'close', 'open', 'close']);
  await page.evaluate(() => window.Frontline.destroy());
  assert.equal(await page.locator('[data-frontline]').count(), 0);
  assert.equal(await page.evaluate(() => typeof window.Frontline), 'undefined');
  assert.deepEqual(errors, []);
  await context.close();
});

for (const when of ['while the wizard is on its way', 'once the wizard is mounted']) {
  test(`destroy() ${when} leaves no window listener behind`, async () => {
    const { context, page, errors } = await open();
    const cdp = await context.newCDPSession(page);
    const windowListeners = async () => {
      const { result } = await cdp.send('Runtime.evaluate', { expression: 'window' });
      const { listeners } = await cdp.send('DOMDebugger.getEventListeners', { objectId: result.objectId });
      return listeners.map((l) => l.type).sort();
    };
    const before = await windowListeners();
    await page.evaluate(() => window.Frontline.open());
    await page.getByTestId('step-welcome').waitFor();
    await page.getByTestId('start').click();
    if (when === 'once the wizard is mounted') await page.getByTestId('step-product').waitFor();
    assert.ok((await windowListeners()).length > before.length, 'the open portal listens to the window');
    await page.evaluate(() => window.Frontline.destroy());
    // The wizard may still arrive after destroy(): it must not mount then.
    await quietFor(page, 300, 'a wizard arriving after destroy() must not mount: an absence');
    assert.deepEqual(await windowListeners(), before);
    assert.deepEqual(errors, []);
    await context.close();
  });
}

test('destroy() between a new step and its next frame: no error', async () => {
  // Each new step focuses its heading at the next frame; a host page that
  // destroys the widget before that frame must not make it read the
  // unmounted wizard (it did: "unreachable", a WebAssembly panic).
  const { context, page, errors } = await open();
  await page.evaluate(() => window.Frontline.open());
  const start = page.getByTestId('start');
  await start.hover(); // brings the wizard
  await page.waitForFunction(() => performance.getEntriesByType('resource').some((e) => /frontline-part-wizard-/.test(e.name) && e.responseEnd > 0));
  await quietFor(page, 300, 'compiled and mounted: the page shows no sign of it (a wizard not yet mounted would make the click below a no-op)');
  await start.evaluate((button) => {
    button.click();
    // After the step is drawn (a few microtasks), before its frame.
    let hops = 0;
    const hop = () => (++hops < 50 ? queueMicrotask(hop) : window.Frontline.destroy());
    queueMicrotask(hop);
  });
  await page.locator('[data-frontline]').waitFor({ state: 'detached' });
  await afterNextPaint(page); // the frame that focused the heading has passed
  assert.equal(await page.locator('[data-frontline]').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('events fire in order with ids and outcomes only; prefill fills the form; setLocale switches language', async () => {
  const { context, page, errors } = await open();
  await page.evaluate(() => {
    window.seen = [];
    for (const name of ['ready', 'open', 'close', 'step', 'resolved', 'escalated', 'submitted', 'queued', 'failed']) {
      window.Frontline.on(name, (detail) => window.seen.push([name, detail ?? null]));
    }
    window.Frontline.prefill({ name: 'Ada Lovelace', email: 'ada@contoso.example', company: 'Contoso', product: 'm365' });
  });
  await page.getByRole('button', { name: 'Help' }).click();
  await page.getByTestId('start').click();
  // The prefilled product skips the product step.
  await page.getByTestId('kind-billing').click();
  await page.getByTestId('answer-dispute').click();
  await page.getByTestId('outcome-next').click();
  assert.equal(await page.getByLabel('Your name *').inputValue(), 'Ada Lovelace');
  assert.equal(await page.getByLabel('E-mail *').inputValue(), 'ada@contoso.example');
  assert.equal(await page.getByLabel('Company *').inputValue(), 'Contoso');
  await page.getByTestId('severity-C').check();
  await page.getByLabel('Summary *').fill('Embedded request');
  await page.getByLabel('What happens? *').fill('Sent from the launcher');
  await page.getByTestId('to-review').click();
  await page.getByTestId('send').click();
  await page.getByTestId('step-sent').waitFor();
  await page.waitForFunction(() => window.seen.some(([n]) => n === 'submitted'));
  const seen = await page.evaluate(() => window.seen);
  assert.deepEqual(seen.map(([n]) => n), ['ready', 'open', 'step', 'step', 'escalated', 'step', 'step', 'submitted']);
  assert.deepEqual(seen[2][1], { stage: 'problem', product: 'm365' });
  assert.deepEqual(seen[3][1], { stage: 'diagnosis', node: 'billing-what' });
  assert.equal(seen[4][1].handler, 'vendor_commercial');
  assert.match(seen[7][1].reference, /^FL-\d+$/);
  assert.doesNotMatch(JSON.stringify(seen), /Ada|contoso\.example|Embedded request/, 'no personal data in events');
  await page.evaluate(() => window.Frontline.setLocale('fr'));
  await page.getByText('Demande envoyée').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('a request saved on an earlier visit is sent on the next page view, without any click', async () => {
  await fetch(new URL('_faults', h.server.intake), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"down_for_ms":60000}' });
  const { context, page } = await open();
  await page.evaluate(() => window.Frontline.open());
  await toDisputeForm(page);
  const title = `Next visit ${Date.now()}`;
  await fillMinimalRequest(page, title, 'Saved while the desk was down');
  await page.getByTestId('send').click();
  await page.getByTestId('step-queued').waitFor();
  await fetch(new URL('_faults', h.server.intake), { method: 'DELETE' }); // the desk is back
  // The visitor leaves, and later opens another page of the site.
  await page.goto('about:blank');
  const later = await context.newPage();
  await page.close();
  await later.goto(new URL('demo/index.html', h.server.portal).href);
  const arrived = async () => (await receivedBy(h.server)).filter((r) => JSON.stringify(r).includes(title)).length;
  await until(async () => (await arrived()) > 0, 15_000, 'the saved request').catch(() => {});
  assert.equal(await arrived(), 1);
  assert.equal(await later.locator('[data-frontline]').evaluate((el) => el.shadowRoot.querySelector('.fl-panel-host').hidden), true, 'still closed');
  // Acknowledged and shown by no screen: forgotten soon after, so later
  // page views load nothing but the loader again.
  await until(async () => (await savedRequests(later)).length === 0, 15_000, 'the outbox to empty').catch(() => {});
  assert.deepEqual(await savedRequests(later), []);
  const again = await context.newPage();
  const loaded = [];
  again.on('request', (r) => loaded.push(new URL(r.url()).pathname));
  await again.goto(new URL('demo/index.html', h.server.portal).href);
  await quietFor(again, 1000, 'nothing but the loader is fetched: an absence');
  assert.ok(!loaded.some((p) => p.endsWith('.wasm')), `nothing but the loader: ${loaded.join(', ')}`);
  await context.close();
});

test('several portals on one page work independently, and removing one (SPA navigation) cleans it up', async () => {
  const { context, page, errors } = await open('demo/support.html');
  await page.getByTestId('step-welcome').waitFor();
  await page.evaluate(() => {
    const second = document.createElement('frontline-portal');
    second.setAttribute('config', '../rules/default.json');
    second.id = 'second';
    document.querySelector('main').append(second);
  });
  await page.waitForFunction(() => document.querySelectorAll('frontline-portal').length === 2
    && [...document.querySelectorAll('frontline-portal')].every((el) => el.shadowRoot?.querySelector('[data-testid=step-welcome]')));
  const first = page.locator('frontline-portal').first();
  const second = page.locator('#second');
  await first.getByTestId('start').click();
  await first.getByTestId('step-product').waitFor();
  assert.equal(await second.getByTestId('step-welcome').count(), 1, 'the second one did not move');
  // An SPA leaves the page: the element goes, the portal with it.
  await page.evaluate(() => document.querySelector('#second').remove());
  assert.equal(await page.locator('frontline-portal').count(), 1);
  await page.evaluate(() => {
    const again = document.createElement('frontline-portal');
    again.setAttribute('config', '../rules/default.json');
    document.querySelector('main').append(again);
  });
  await page.waitForFunction(() => [...document.querySelectorAll('frontline-portal')].every((el) => el.shadowRoot?.querySelector('.fl-portal')));
  assert.deepEqual(errors, []);
  await context.close();
});

test('the ruleset\'s theme restyles the embedded portal, still with no CSP violation', async () => {
  const { context, page, errors } = await open();
  const rules = JSON.parse(readFileSync(join(ROOT, 'public', 'rules', 'default.json'), 'utf8'));
  rules.theme = { brand: '#7a1f5c', brand_contrast: '#ffffff', radius: '3px' };
  await page.route('**/rules/default.json', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(rules) }));
  await page.getByRole('button', { name: 'Help' }).click();
  const start = page.getByTestId('start');
  await start.waitFor();
  assert.equal(await start.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(122, 31, 92)');
  assert.equal(await start.evaluate((el) => getComputedStyle(el).borderTopLeftRadius), '3px');
  assert.deepEqual(errors, []);
  await context.close();
});

test('destroying the widget while a retry is pending: no error later, and the request stays saved', async () => {
  await fetch(new URL('_faults', h.server.intake), { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"down_for_ms":60000}' });
  const { context, page, errors } = await open();
  await page.evaluate(() => window.Frontline.open());
  await toDisputeForm(page);
  await fillMinimalRequest(page, `Destroyed ${Date.now()}`, 'Pending when destroyed');
  await page.getByTestId('send').click();
  await page.getByTestId('step-queued').waitFor();
  await page.evaluate(() => window.Frontline.destroy());
  await quietFor(page, 4000, "past the first retries' backoff: no error, and the request stays saved");
  assert.equal((await savedRequests(page)).length, 1);
  assert.deepEqual(errors.filter((e) => !e.includes('Failed to load resource') && !e.includes('ERR_')), []);
  await context.close();
});

test('a tampered portal script is refused (Subresource Integrity)', async () => {
  const { context, page, errors } = await open();
  await page.route(/\/frontline-[0-9a-f]+\.js$/, async (route) => {
    const res = await route.fetch();
    await route.fulfill({ response: res, body: `${await res.text()}\n// tampered` });
  });
  await page.getByRole('button', { name: 'Help' }).click();
  await until(() => errors.some((e) => /integrity/i.test(e)), 5_000, 'the integrity error').catch(() => {});
  assert.equal(await page.getByTestId('step-welcome').count(), 0, 'the portal did not start');
  assert.ok(errors.some((e) => /integrity/i.test(e)), errors.join('\n'));
  await context.close();
});

test('a host page themes the embedded portal with --fl-* custom properties on its element', async () => {
  const { context, page } = await open('demo/support.html');
  await page.getByTestId('step-welcome').waitFor();
  await page.evaluate(() => {
    const s = new CSSStyleSheet();
    s.replaceSync('frontline-portal { --fl-brand: rgb(1, 92, 60); }');
    document.adoptedStyleSheets = [s];
  });
  assert.equal(await page.getByTestId('start').evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(1, 92, 60)');
  await context.close();
});

test('a partner page on another origin embeds the portal with the snippet from docs/embedding.md, under its strict CSP', async () => {
  // The partner's page: its own origin (another loopback port), the one tag
  // pointing at the portal's origin, and the CSP docs/embedding.md tells partners to send.
  let page_html = '';
  let csp = '';
  const partner = createServer((req, res) => {
    if (req.url !== '/') { res.writeHead(404).end(); return; }
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-security-policy': csp }).end(page_html);
  });
  await new Promise((ok) => partner.listen(0, '127.0.0.1', ok));
  const partnerOrigin = `http://127.0.0.1:${partner.address().port}`;
  const server = await startServer({ allowOrigins: [partnerOrigin] });
  const assets = new URL(server.portal).origin;
  const intake = new URL(server.intake).origin;
  csp = `default-src 'self'; script-src 'self' ${assets} 'wasm-unsafe-eval'; style-src 'self'; `
    + `connect-src 'self' ${assets} ${intake}; img-src 'self' data:`;
  page_html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><link rel="icon" href="data:,"><title>Northwind IT</title></head>
<body><h1>Northwind IT</h1><p>A partner site on another origin.</p>
<script src="${assets}/frontline.js" data-config="${assets}/rules/default.json" defer></script></body></html>`;
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  try {
    const page = await context.newPage();
    const errors = await watchErrors(page);
    const origins = new Set();
    page.on('request', (r) => origins.add(new URL(r.url()).origin));
    await page.goto(`${partnerOrigin}/`);
    await page.getByRole('button', { name: 'Help' }).click();
    await page.getByTestId('step-welcome').waitFor();
    await toDisputeForm(page);
    const title = `Cross-origin ${Date.now()}`;
    await fillMinimalRequest(page, title, 'Sent from a page on another origin');
    await page.getByTestId('send').click();
    await page.getByTestId('step-sent').waitFor();
    assert.deepEqual(errors, [], 'no console error and no CSP violation');
    assert.deepEqual([...origins].sort(), [partnerOrigin, assets, intake].sort(), 'no other origin contacted');
    const stored = await receivedBy(server);
    assert.equal(stored.filter((r) => JSON.stringify(r).includes(title)).length, 1);
  } finally {
    await context.close();
    await server.stop();
    partner.close();
  }
});
