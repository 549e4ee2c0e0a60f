// The customer's wizard, driven through the default ruleset the way a
// customer would: the answers come from the partner's own scenarios file, and
// each test asserts what the customer is told.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, afterNextPaint, screenshotPath, watchErrors, harness } from './support.mjs';

const rules = JSON.parse(readFileSync(join(ROOT, 'public', 'rules', 'default.json'), 'utf8'));
const { scenarios } = JSON.parse(readFileSync(join(ROOT, 'public', 'rules', 'default.scenarios.json'), 'utf8'));
const scenario = (name) => scenarios.find((s) => s.name === name) ?? assert.fail(`no scenario "${name}"`);
const vehicleName = (id) => rules.vehicles.find((v) => v.id === id).name.en;

const h = harness();

async function open(options = {}) {
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 }, ...options });
  const page = await context.newPage();
  const errors = await watchErrors(page);
  return { context, page, errors };
}

/** Clicks through a scenario's transcript as a customer would. */
async function walk(page, transcript) {
  await page.goto(h.server.portal);
  await page.getByTestId('start').click();
  await page.getByTestId(`product-${transcript.product}`).click();
  await page.getByTestId(`kind-${transcript.kind}`).click();
  for (const { node, answer } of transcript.answers) {
    const shown = page.locator(`[data-node="${node}"]`);
    await shown.waitFor();
    if (answer === 'fixed') await page.getByTestId('fixed').click();
    else if (answer === 'still_broken') await page.getByTestId('still-broken').click();
    else if (answer === 'continue') await page.getByTestId('continue').click();
    else await shown.getByTestId(`answer-${answer}`).click();
  }
}

async function outcome(page) {
  const section = page.getByTestId('step-outcome');
  await section.waitFor();
  return {
    handler: await section.getAttribute('data-handler'),
    headline: await page.getByTestId('outcome-headline').innerText(),
    rationale: await page.getByTestId('outcome-rationale').innerText(),
  };
}

test('self-help that works ends with a thank-you and nothing to send', async () => {
  const { context, page, errors } = await open();
  await walk(page, scenario('mailbox full fixed by the diagnostic: nothing to send').transcript);
  await page.getByTestId('step-resolved').waitFor();
  assert.match(await page.getByTestId('step-resolved').innerText(), /Glad it works again/);
  assert.equal(await page.getByTestId('outcome-next').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('a how-to question stays with the partner, with its reason and contact methods', async () => {
  const { context, page, errors } = await open();
  await walk(page, scenario('azure billing question: Northwind answers').transcript);
  const o = await outcome(page);
  assert.equal(o.handler, 'partner');
  assert.equal(o.headline, `${rules.partner.name} handles this for you.`);
  assert.equal(o.rationale, rules.rules.find((r) => r.id === 'how-to').rationale.en);
  assert.ok(await page.getByTestId('contact-email').isVisible());
  assert.deepEqual(errors, []);
  await context.close();
});

test('a service incident is escalated to Microsoft through the partner\'s technical vehicle', async () => {
  const { context, page, errors } = await open();
  const s = scenario('m365 incident on service health: Microsoft technical');
  await walk(page, s.transcript);
  const o = await outcome(page);
  assert.equal(o.handler, 'vendor_technical');
  assert.ok(o.headline.includes(`escalates this to Microsoft through ${vehicleName(s.expect.vehicle)}`), o.headline);
  await page.screenshot({ path: screenshotPath('outcome-technical-1280'), fullPage: true });
  assert.deepEqual(errors, []);
  await context.close();
});

test('a billing dispute goes to Microsoft through commercial support', async () => {
  const { context, page } = await open();
  const s = scenario('m365 billing dispute: Microsoft commercial support');
  await walk(page, s.transcript);
  const o = await outcome(page);
  assert.equal(o.handler, 'vendor_commercial');
  assert.ok(o.headline.includes(vehicleName(s.expect.vehicle)), o.headline);
  await context.close();
});

test('a Marketplace product is sent to its publisher, with the publisher\'s contact', async () => {
  const { context, page } = await open();
  await walk(page, scenario('Marketplace product: its publisher').transcript);
  const o = await outcome(page);
  assert.equal(o.handler, 'publisher');
  assert.match(o.headline, /publisher supports it/);
  assert.ok(await page.getByTestId('outcome-contact').isVisible());
  assert.equal(await page.getByTestId('outcome-responses').count(), 0, 'no deadline: the partner does not take it');
  await context.close();
});

test('a priced severity shows its price before anything is sent', async () => {
  const { context, page } = await open();
  await walk(page, scenario('m365 bug, severity A at night: 24x7, 2 hours, price per incident').transcript);
  await outcome(page);
  assert.match(await page.getByTestId('price-A').innerText(), /€250 per incident/);
  assert.match(await page.getByTestId('response-A').innerText(), /24 hours a day/);
  await context.close();
});

test('out of hours: the welcome screen says when it opens, in the customer\'s own time too', async () => {
  // Saturday 28 November 2026, 12:00 UTC; the customer is in New York.
  const { context, page, errors } = await open({ timezoneId: 'America/New_York' });
  await page.clock.setFixedTime(new Date('2026-11-28T12:00:00Z'));
  await page.goto(h.server.portal);
  const status = await page.getByTestId('open-status').innerText();
  assert.equal(status, 'Closed now. Opens Monday 08:00 (Paris time) — your time: Monday 02:00');
  // And a deadline counted in business hours starts on Monday morning.
  await walk(page, scenario('azure billing question: Northwind answers').transcript);
  assert.match(await page.getByTestId('response-C').innerText(), /by Monday 16:00 \(Paris time\) — your time: Monday 10:00/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('back undoes one step at a time and start over returns to the welcome screen', async () => {
  const { context, page } = await open();
  await walk(page, scenario('azure billing question: Northwind answers').transcript);
  await outcome(page);
  await page.getByTestId('back').click();
  await page.locator('[data-node="billing-what"]').waitFor();
  await page.getByTestId('back').click();
  await page.getByTestId('step-kind').waitFor();
  await page.getByTestId('restart').click();
  await page.getByTestId('step-welcome').waitFor();
  await context.close();
});

test('the whole flow works with the keyboard alone, from welcome to a sent request, and focus follows each new step', async () => {
  const { context, page, errors } = await open();
  await page.goto(h.server.portal);
  await page.getByTestId('step-welcome').waitFor();
  const isFocused = (pred) => page.evaluate(pred);
  // Each new step's heading takes focus a frame after it is drawn: tabbing
  // before that would race it (seen under load), so wait for it first.
  const onHeading = () => page.waitForFunction(() => document.activeElement?.classList.contains('fl-step__title'));
  /** Tabs forward until the element with this id / test id has focus. */
  const tabTo = async (selector) => {
    for (let i = 0; i < 60; i++) {
      if (await page.evaluate((sel) => document.activeElement?.matches(sel), selector)) return;
      await page.keyboard.press('Tab');
    }
    assert.fail(`could not reach ${selector} with Tab`);
  };
  const press = async (selector, key = 'Enter') => { await tabTo(selector); await page.keyboard.press(key); };
  const type = async (id, text) => { await tabTo(`#${id}`); await page.keyboard.type(text); };

  await press('[data-testid=start]');
  await page.getByTestId('step-product').waitFor();
  await onHeading();
  assert.ok(await isFocused(() => document.activeElement?.classList.contains('fl-step__title')), 'focus on the new heading');
  await press('[data-testid=product-m365]');
  await page.getByTestId('step-kind').waitFor();
  await onHeading();
  await press('[data-testid=kind-billing]');
  await page.locator('[data-node="billing-what"]').waitFor();
  await onHeading();
  await press('[data-testid=answer-dispute]');
  await page.getByTestId('step-outcome').waitFor();
  await page.waitForFunction(() => document.activeElement?.dataset.testid === 'outcome-headline');
  assert.match(await page.getByTestId('announcer').innerText(), /escalates this to Microsoft/);
  await press('[data-testid=outcome-next]');
  await page.getByTestId('step-form').waitFor();
  await onHeading();
  await type('fl-name', 'Kay Board');
  await type('fl-email', 'kay@contoso.example');
  await type('fl-company', 'Contoso');
  await press('#fl-severity-B', ' ');
  await type('fl-title', 'Keyboard only');
  await type('fl-description', 'Sent without a mouse.');
  await press('[data-testid=to-review]');
  await page.getByTestId('step-review').waitFor();
  await onHeading();
  await press('[data-testid=send]');
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('reference').innerText(), /FL-\d+/);
  assert.deepEqual(errors, []);
  await context.close();
});

test('the browser\'s back and forward buttons walk the journey', async () => {
  const { context, page, errors } = await open();
  await walk(page, scenario('azure billing question: Northwind answers').transcript);
  await outcome(page);
  await afterNextPaint(page);
  await page.goBack();
  await page.locator('[data-node="billing-what"]').waitFor();
  await page.goBack();
  await page.getByTestId('step-kind').waitFor();
  await page.goForward();
  await page.locator('[data-node="billing-what"]').waitFor();
  await page.goForward();
  assert.equal((await outcome(page)).handler, 'partner');
  assert.deepEqual(errors, []);
  await context.close();
});

/** From the welcome screen to the billing question, then a reload of the tab. */
async function toBillingQuestionThenReload(page) {
  const entries = await page.evaluate(() => history.length);
  await page.getByTestId('start').click();
  await page.getByTestId('product-m365').click();
  await page.getByTestId('kind-billing').click();
  await page.locator('[data-node="billing-what"]').waitFor();
  // A step's history entry is added once the step is painted: a person
  // reloads later than that, this script might not.
  await page.waitForFunction((n) => history.length === n + 3, entries);
  await page.reload();
  await page.locator('[data-node="billing-what"]').waitFor();
}

test('after a reload the journey comes back (read by the wizard once fetched) without taking focus, and the browser\'s back still walks it', async () => {
  const { context, page, errors } = await open();
  await page.goto(h.server.portal);
  await toBillingQuestionThenReload(page);
  assert.equal(await page.locator('[aria-current="step"]').textContent(), 'Diagnosis');
  await afterNextPaint(page); // a focus would be taken at the restored step's frame
  assert.equal(await page.evaluate(() => document.activeElement?.tagName), 'BODY', 'a restored journey does not steal focus');
  await page.goBack();
  await page.getByTestId('step-kind').waitFor();
  await page.goBack();
  await page.getByTestId('step-product').waitFor();
  assert.deepEqual(errors, []);
  await context.close();
});

test('help stays in the same place on every screen (consistent help)', async () => {
  const { context, page } = await open();
  await page.goto(h.server.portal);
  const box = async () => (await page.getByTestId('help').boundingBox());
  const first = await box();
  assert.match(await page.getByTestId('help').innerText(), new RegExp(rules.fallback_contact.email.replace('.', '\\.')));
  await page.getByTestId('start').click();
  await page.getByTestId('product-azure').click();
  assert.deepEqual(await box(), first);
  await page.getByTestId('kind-billing').click();
  assert.deepEqual(await box(), first);
  await context.close();
});

test('in French, the whole journey speaks French, ruleset texts included', async () => {
  const { context, page, errors } = await open({ locale: 'fr-FR' });
  await walk(page, scenario('m365 billing dispute: Microsoft commercial support').transcript);
  const o = await outcome(page);
  assert.match(o.headline, /transmet ce problème à Microsoft via Support des problèmes commerciaux/);
  assert.equal(o.rationale, rules.rules.find((r) => r.id === 'billing-dispute').rationale.fr);
  assert.deepEqual(errors, []);
  await context.close();
});

test('on a phone-sized screen the outcome fits without sideways scrolling', async () => {
  const { context, page } = await open({ viewport: { width: 360, height: 740 } });
  await walk(page, scenario('m365 bug, severity A at night: 24x7, 2 hours, price per incident').transcript);
  await outcome(page);
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 0, `page is ${overflow}px wider than the screen`);
  await page.screenshot({ path: screenshotPath('outcome-technical-360'), fullPage: true });
  await context.close();
});

test('a reload keeps the customer\'s progress, and nothing is stored before they act', async () => {
  const { context, page, errors } = await open();
  await page.goto(h.server.portal);
  await page.getByTestId('step-welcome').waitFor();
  const storedBefore = await page.evaluate(() => ({
    session: sessionStorage.length, local: localStorage.length, cookies: document.cookie,
  }));
  assert.deepEqual(storedBefore, { session: 0, local: 0, cookies: '' });
  await toBillingQuestionThenReload(page);
  await page.getByTestId('restart').click();
  await page.getByTestId('step-welcome').waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'starting over forgets the journey');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a host themes the portal through CSS custom properties, and inputs are at least 16 px', async () => {
  const { context, page } = await open({ viewport: { width: 360, height: 740 } });
  await page.goto(h.server.portal);
  const start = page.getByTestId('start');
  const before = await start.evaluate((el) => getComputedStyle(el).backgroundColor);
  // A constructed stylesheet (the strict CSP forbids inline styles) setting the brand colour.
  await page.evaluate(() => {
    const s = new CSSStyleSheet();
    s.replaceSync(':root { --fl-brand: rgb(120, 20, 90); --fl-radius: 2px; }');
    document.adoptedStyleSheets = [s];
  });
  assert.notEqual(before, 'rgb(120, 20, 90)');
  assert.equal(await start.evaluate((el) => getComputedStyle(el).backgroundColor), 'rgb(120, 20, 90)');
  assert.equal(await start.evaluate((el) => getComputedStyle(el).borderTopLeftRadius), '2px');
  await walk(page, scenario('m365 billing dispute: Microsoft commercial support').transcript);
  await page.getByTestId('outcome-next').click();
  // Not the inputs styled ahead out of sight (inert, removed when idle:
  // `dom::warm_up_inputs`): the query could see them, then not find them.
  const sizes = await page.locator(':is(input:not([type=checkbox]):not([type=radio]), textarea, select):not([inert] *)')
    .evaluateAll((els) => els.map((el) => parseFloat(getComputedStyle(el).fontSize)));
  assert.ok(sizes.length >= 8 && sizes.every((px) => px >= 16), `font sizes: ${sizes}`);
  await context.close();
});

test('first responses skip the coming years\' holidays: New Year 2027, Easter Monday 2030, Christmas 2035', async () => {
  for (const [name, now, due] of [
    ['how-to B at 17:00 on New Year\'s Eve 2026: skips New Year\'s Day 2027 and the weekend', '2026-12-31T16:00:00Z',
      /by Monday 11:00 \(Paris time\) — your time: Monday 05:00/],
    ['how-to B on the Friday before Easter Monday 2030: due Tuesday', '2030-04-19T15:00:00Z', /by Tuesday 11:00 \(counted in business hours\)/],
    ['how-to B on Christmas Eve 2035: skips Christmas Day', '2035-12-24T16:00:00Z',
      /by Wednesday 11:00 \(Paris time\) — your time: tomorrow 19:00/],
  ]) {
    const s = scenario(name);
    const { context, page, errors } = await open({ timezoneId: s.customer_time_zone });
    await page.clock.setFixedTime(new Date(now));
    await walk(page, s.transcript);
    await outcome(page);
    assert.match(await page.getByTestId('response-B').innerText(), due, name);
    assert.deepEqual(errors, []);
    await context.close();
  }
});

test('prices are shown with their currency\'s own decimals: yen have none, dinars three', async () => {
  for (const [currency, amount, shown] of [['JPY', 25000, /¥25000 per incident/], ['KWD', 25125, /KWD 25\.125 per incident/]]) {
    const priced = structuredClone(rules);
    priced.pricing.currency = currency;
    priced.pricing.items[0].amount_minor = amount;
    const { context, page, errors } = await open();
    await page.route('**/rules/default.json', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(priced) }));
    await walk(page, scenario('m365 bug, severity A at night: 24x7, 2 hours, price per incident').transcript);
    await outcome(page);
    assert.match(await page.getByTestId('price-A').innerText(), shown, currency);
    assert.deepEqual(errors, []);
    await context.close();
  }
});
