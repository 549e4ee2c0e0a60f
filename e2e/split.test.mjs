// Code splitting: the request part (form, review, delivery, courier) is a
// second WebAssembly module. Opening the portal does not fetch it; reaching
// an answer does; a failed or tampered fetch is told to the customer, who
// keeps the journey and can try again.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, harness, watchErrors } from './support.mjs';

const h = harness();
const parts = readdirSync(join(ROOT, 'dist')).filter((f) => /^frontline-part-[0-9a-f]{16}\.wasm$/.test(f));
const isPart = (url) => /\/frontline-part-[0-9a-f]{16}\.wasm$/.test(new URL(url).pathname);

async function open(context) {
  const page = await context.newPage();
  const errors = await watchErrors(page);
  const parts = [];
  page.on('request', (r) => { if (isPart(r.url())) parts.push(new URL(r.url()).pathname.slice(1)); });
  await page.goto(h.server.portal);
  await page.getByTestId('step-welcome').waitFor();
  return { page, errors, parts };
}

async function toOutcome(page) {
  await page.getByTestId('start').click();
  await page.getByTestId('product-m365').click();
  await page.getByTestId('kind-billing').click();
  await page.getByTestId('answer-dispute').click();
  await page.getByTestId('step-outcome').waitFor();
}

const headingFocused = (page, testid) => page.waitForFunction(
  (id) => document.activeElement?.classList.contains('fl-step__title')
    && document.activeElement.closest(`[data-testid="${id}"]`) !== null, testid, { timeout: 5000 });

test('the build has exactly one request part', () => {
  assert.equal(parts.length, 1, `dist/ holds ${parts.join(', ') || 'no part'}`);
});

test('the request part is fetched once an answer is shown, not when the portal opens', async () => {
  const context = await h.browser.newContext();
  const { page, errors, parts: fetched } = await open(context);
  await page.waitForTimeout(300);
  assert.deepEqual(fetched, [], 'opening the portal fetched the request part');
  await toOutcome(page);
  await page.waitForFunction(() => performance.getEntriesByType('resource')
    .some((e) => /frontline-part-/.test(e.name) && e.responseEnd > 0));
  assert.deepEqual(fetched, parts);
  await page.getByTestId('outcome-next').click();
  await page.getByTestId('step-form').waitFor();
  assert.deepEqual(fetched, parts, 'fetched once');
  assert.deepEqual(errors, []);
  await context.close();
});

test('when the request part cannot be fetched, the customer is told, keeps the journey and can try again', async () => {
  const context = await h.browser.newContext();
  let offline = true;
  await context.route((url) => isPart(url.href), (route) => (offline ? route.abort('internetdisconnected') : route.continue()));
  const { page, errors } = await open(context);
  await toOutcome(page);
  await page.getByTestId('outcome-next').click();
  await page.getByTestId('step-part-failed').waitFor();
  await headingFocused(page, 'step-part-failed');
  await page.waitForFunction(() => document.querySelector('[data-testid="announcer"]')?.textContent
    === 'The request form could not be loaded');
  // Back online: the same journey continues to the form.
  offline = false;
  await page.getByTestId('part-retry').click();
  await page.getByTestId('step-form').waitFor();
  await headingFocused(page, 'step-form');
  assert.ok(await page.getByTestId('back').isVisible());
  // The failed fetch is the only error: the portal itself kept running.
  assert.ok(errors.every((e) => /frontline-part-|Failed to fetch|ERR_INTERNET_DISCONNECTED/.test(e)), errors.join('\n'));
  await context.close();
});

test('a request part that fails its integrity check is never run', async () => {
  const context = await h.browser.newContext();
  await context.route((url) => isPart(url.href), async (route) => {
    const response = await route.fetch();
    const body = await response.body();
    body[body.length - 1] ^= 0xff; // one flipped byte
    await route.fulfill({ response, body });
  });
  const { page, errors } = await open(context);
  await toOutcome(page);
  await page.getByTestId('outcome-next').click();
  await page.getByTestId('step-part-failed').waitFor();
  assert.equal(await page.getByTestId('step-form').count(), 0);
  assert.ok(errors.some((e) => /integrity|digest/i.test(e)), `expected an integrity error, got:\n${errors.join('\n')}`);
  await context.close();
});
