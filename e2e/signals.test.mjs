// What the portal tells the partner's relay beside the request: the
// anti-spam signals on the `json` adapter's call (Frontline-Elapsed-Ms,
// and Frontline-Trap when the honeypot was filled), and, when the ruleset
// opts in with `intake.events_url`, the anonymous funnel events
// (`frontline.events/v1`, sent with navigator.sendBeacon).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { harness, quietFor, toDisputeForm, until, watchErrors } from './support.mjs';

const h = harness();

const EVENTS_SCHEMA = 'frontline.events/v1';

/** What the customer types: none of it may reach an event. */
const TYPED = {
  name: 'Grace Hopper-Funnel',
  email: 'grace.funnel@contoso.example',
  company: 'Contoso Funnel Ltd',
  title: 'Funnel title 7f3a',
  description: 'Funnel description with invoice 4242',
};

async function fillForm(page) {
  await page.getByLabel('Your name *').fill(TYPED.name);
  await page.getByLabel('E-mail *').fill(TYPED.email);
  await page.getByLabel('Company *').fill(TYPED.company);
  await page.getByTestId('severity-C').check();
  await page.getByLabel('Summary *').fill(TYPED.title);
  await page.getByLabel('What happens? *').fill(TYPED.description);
}

/** The default ruleset as served (its intake is this test's), changed by `change`. */
async function servedRules(change = () => {}) {
  const rules = await (await fetch(new URL('rules/default.json', h.server.portal))).json();
  change(rules);
  return rules;
}

/**
 * A page that records its beacons (and every request) and the intake's
 * POSTs with their headers. `rules`: a ruleset to serve instead of the
 * default one; `events`: the events URL, answered 204 by the test, which
 * keeps the bodies it receives.
 */
async function open({ rules, events } = {}) {
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = await watchErrors(page);
  const batches = [];
  const requests = [];
  const intakePosts = [];
  if (rules) {
    await page.route('**/rules/default.json', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(rules) }));
  }
  if (events) {
    await context.route(events, async (route) => {
      const r = route.request();
      batches.push({ method: r.method(), headers: await r.allHeaders(), body: r.postData() });
      await route.fulfill({ status: 204 });
    });
  }
  page.on('request', async (r) => {
    requests.push(r);
    if (r.method() === 'POST' && r.url() === new URL('intake', h.server.intake).href) {
      intakePosts.push({ headers: await r.allHeaders(), body: r.postData() });
    }
  });
  return { context, page, errors, batches, requests, intakePosts };
}

/** As a browser does when the tab is closed or the customer navigates away. */
const pageHide = (page) => page.evaluate(() => window.dispatchEvent(new PageTransitionEvent('pagehide')));

const allEvents = (batches) => batches.flatMap((b) => JSON.parse(b.body).events);

test('with events_url, the funnel receives each step, the escalation and the submission: ids only, never what the customer typed', async () => {
  const events = new URL('events', h.server.intake).href;
  const rules = await servedRules((r) => { r.intake.events_url = events; });
  const { context, page, errors, batches } = await open({ rules, events });
  await page.goto(h.server.portal);
  await page.getByTestId('start').click();
  await page.getByTestId('step-product').waitFor();
  // Batched: the first event goes within 5 s, without waiting for more.
  await until(() => batches.length === 1, 8_000, 'the first batch');
  assert.deepEqual(allEvents(batches), [{ type: 'step', stage: 'product' }]);
  await page.getByTestId('product-m365').click();
  await page.getByTestId('kind-billing').click();
  await page.getByTestId('answer-dispute').click();
  await page.getByTestId('outcome-next').click();
  await fillForm(page);
  await page.getByTestId('to-review').click();
  await page.getByTestId('send').click();
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  // Hiding the page sends what is queued at once; the request was sent:
  // no "abandoned".
  const before = batches.length;
  await pageHide(page);
  await until(() => batches.length > before, 5_000, 'the batch sent on pagehide');
  const pb = { product: 'm365', kind: 'billing' };
  assert.deepEqual(allEvents(batches), [
    { type: 'step', stage: 'product' },
    { type: 'step', stage: 'problem', product: 'm365' },
    { type: 'step', stage: 'diagnosis', ...pb, node: 'billing-what' },
    { type: 'escalated', ...pb, handler: 'vendor_commercial' },
    { type: 'step', stage: 'request', ...pb },
    { type: 'step', stage: 'review', ...pb },
    { type: 'submitted', ...pb },
  ]);
  for (const b of batches) {
    assert.equal(b.method, 'POST');
    // A CORS-safelisted type: a beacon with no preflight.
    assert.equal(b.headers['content-type'], 'text/plain;charset=UTF-8');
    const batch = JSON.parse(b.body);
    assert.deepEqual(Object.keys(batch), ['schema', 'ruleset', 'events']);
    assert.equal(batch.schema, EVENTS_SCHEMA);
    assert.equal(batch.ruleset, rules.id);
    for (const typed of Object.values(TYPED)) assert.ok(!b.body.includes(typed), `${typed} in ${b.body}`);
    // No id of the request, no time: nothing but these members.
    for (const e of batch.events) {
      for (const key of Object.keys(e)) assert.ok(['type', 'stage', 'product', 'kind', 'node', 'handler'].includes(key), key);
    }
  }
  assert.deepEqual(errors, []);
  await context.close();
});

test('a journey left midway sends "abandoned" once, with where it stopped', async () => {
  const events = new URL('events', h.server.intake).href;
  const rules = await servedRules((r) => { r.intake.events_url = events; });
  const { context, page, errors, batches } = await open({ rules, events });
  await page.goto(h.server.portal);
  await page.getByTestId('start').click();
  await page.getByTestId('product-m365').click();
  await page.getByTestId('kind-billing').click();
  await page.getByTestId('step-question').waitFor();
  // The tab is switched away from: hidden.
  await page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    // As browsers fire it: at the document, bubbling to the window.
    document.dispatchEvent(new Event('visibilitychange', { bubbles: true }));
  });
  await until(() => allEvents(batches).some((e) => e.type === 'abandoned'), 5_000, 'abandoned');
  // Back, then closed: not a second time.
  await page.evaluate(() => { delete document.visibilityState; });
  await pageHide(page);
  await quietFor(page, 300, 'no event proves a second abandoned is never sent: give a beacon on pagehide time to arrive');
  const abandoned = allEvents(batches).filter((e) => e.type === 'abandoned');
  assert.deepEqual(abandoned, [{ type: 'abandoned', stage: 'diagnosis', product: 'm365', kind: 'billing' }]);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the request carries Frontline-Elapsed-Ms on every attempt and no Frontline-Trap; the default ruleset sends no event', async () => {
  const { context, page, errors, requests, intakePosts } = await open();
  await fetch(new URL('_faults', h.server.intake), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fail_next: { count: 1, status: 503 } }),
  });
  const opened = Date.now();
  await page.goto(h.server.portal);
  await toDisputeForm(page);
  await fillForm(page);
  await page.getByTestId('to-review').click();
  await page.getByTestId('step-review').waitFor();
  // The portal mounted before the review was shown: 200 ms on the page's
  // clock from now make Frontline-Elapsed-Ms at least 200.
  const shown = await page.evaluate(() => Date.now());
  await page.waitForFunction((t) => Date.now() - t >= 200, shown);
  await page.getByTestId('send').click();
  const pressed = Date.now();
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  // The first attempt got a 503: the retry carries the same values.
  assert.equal(intakePosts.length, 2);
  const [first, retry] = intakePosts.map((p) => p.headers);
  const elapsed = Number(first['frontline-elapsed-ms']);
  assert.ok(Number.isInteger(elapsed) && elapsed >= 200 && elapsed <= pressed - opened, `${first['frontline-elapsed-ms']} (${pressed - opened} ms between goto and send)`);
  assert.equal(retry['frontline-elapsed-ms'], first['frontline-elapsed-ms']);
  assert.equal(retry['idempotency-key'], first['idempotency-key']);
  assert.equal(first['frontline-trap'], undefined);
  assert.equal(retry['frontline-trap'], undefined);
  // The honeypot is there, off-screen, hidden from assistive technology
  // and out of the tab order, and the default ruleset sends no event at all.
  await pageHide(page);
  await quietFor(page, 5_500, 'no beacon within the flush interval (5 s) after pagehide: an absence no event can prove');
  const beacons = requests.filter((r) => r.resourceType() === 'ping' || (r.postData() ?? '').includes(EVENTS_SCHEMA));
  assert.deepEqual(beacons.map((r) => r.url()), []);
  assert.deepEqual(errors.filter((e) => !e.includes('status of 503')), []);
  await context.close();
});

test('a filled honeypot makes the request carry Frontline-Trap with its value; people never meet the field', async () => {
  const { context, page, errors, intakePosts } = await open();
  await page.goto(h.server.portal);
  await toDisputeForm(page);
  const trap = page.locator('#fl-website');
  assert.equal(await trap.getAttribute('name'), 'website');
  assert.equal(await trap.getAttribute('tabindex'), '-1');
  assert.equal(await trap.getAttribute('autocomplete'), 'off');
  assert.equal(await page.locator('.fl-trap').getAttribute('aria-hidden'), 'true');
  const box = await trap.boundingBox();
  assert.ok(box && box.x + box.width < 0, `the honeypot is on screen: ${JSON.stringify(box)}`);
  // Keyboard users go from the company straight to the severity.
  await page.getByLabel('Company *').focus();
  await page.keyboard.press('Tab');
  assert.match(await page.evaluate(() => document.activeElement?.id), /^fl-severity-/);
  await fillForm(page);
  // What a bot does: set every field's value, events or not.
  await trap.evaluate((input) => { input.value = 'https://cheap-pills.example/'; });
  await page.getByTestId('to-review').click();
  await page.getByTestId('send').click();
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  assert.equal(intakePosts.length, 1);
  assert.equal(intakePosts[0].headers['frontline-trap'], 'https://cheap-pills.example/');
  assert.match(intakePosts[0].headers['frontline-elapsed-ms'], /^\d+$/);
  // The honeypot is not part of the request itself.
  assert.ok(!intakePosts[0].body.includes('cheap-pills'));
  assert.deepEqual(errors, []);
  await context.close();
});
