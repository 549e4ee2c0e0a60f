// Accessibility: axe-core (WCAG 2.x A and AA rules) on every screen of the
// wizard, in the light and the dark theme: zero violations allowed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT, afterNextPaint, fillMinimalRequest, harness, toDisputeForm, watchErrors } from './support.mjs';

const AXE = readFileSync(join(ROOT, 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');
const h = harness();

/** Runs axe on the page; returns readable violations. */
async function audit(page, screen) {
  // Evaluated through the DevTools protocol, so the page's strict CSP (which
  // forbids inline scripts) does not stop the audit script.
  if (!(await page.evaluate(() => typeof window.axe !== 'undefined'))) await page.evaluate(AXE);
  const result = await page.evaluate(() =>
    window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'wcag22aa'] } }));
  return result.violations.map((v) =>
    `${screen}: ${v.id} (${v.impact}): ${v.help} — ${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join(', ')}`);
}

async function fetchJson(path, init) {
  const res = await fetch(new URL(path, h.server.intake), init);
  return res.ok;
}

for (const colorScheme of ['light', 'dark']) {
  test(`every screen passes axe in the ${colorScheme} theme`, async () => {
    const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 }, colorScheme });
    const page = await context.newPage();
    const errors = await watchErrors(page);
    const violations = [];
    const check = async (screen, testid) => {
      await page.getByTestId(testid).waitFor();
      violations.push(...(await audit(page, screen)));
    };
    await page.goto(h.server.portal);
    await check('welcome', 'step-welcome');
    await page.getByTestId('start').click();
    await check('product', 'step-product');
    await page.getByTestId('product-m365').click();
    await check('kind', 'step-kind');
    await page.getByTestId('kind-technical').click();
    await check('question', 'step-question');
    // Walk on: a self-help step, then the outcome.
    for (let i = 0; i < 12 && !(await page.getByTestId('step-outcome').count()); i++) {
      if (await page.getByTestId('step-selfhelp').count()) {
        violations.push(...(await audit(page, 'self-help')));
        await page.getByTestId('still-broken').click();
      } else if (await page.getByTestId('continue').count()) {
        await page.getByTestId('continue').click();
      } else {
        await page.locator('[data-testid^=answer-]').last().click();
      }
      await afterNextPaint(page);
    }
    await check('outcome', 'step-outcome');
    await page.getByTestId('outcome-next').click();
    await page.getByTestId('to-review').click();
    await check('form with errors', 'form-errors');
    await fillMinimalRequest(page, 'Audit', 'Checking accessibility');
    await check('review', 'step-review');
    assert.ok(await fetchJson('_faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"fail_next":{"count":1,"status":400}}' }));
    await page.getByTestId('send').click();
    await check('refused', 'step-failed');
    await page.getByTestId('retry').click();
    await check('sent', 'step-sent');
    assert.deepEqual(violations, []);
    // The injected 400 is logged by the browser itself; nothing else may be.
    assert.deepEqual(errors.filter((e) => !e.includes('status of 400')), []);
    await context.close();
  });
}

test('the resolved, queued, earlier-requests and unavailable screens pass axe too', async () => {
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const violations = [];
  // Resolved: the partner's own scenario where a self-help step fixes it.
  const { scenarios } = JSON.parse(readFileSync(join(ROOT, 'public', 'rules', 'default.scenarios.json'), 'utf8'));
  const fixed = scenarios.find((x) => x.name === 'mailbox full fixed by the diagnostic: nothing to send').transcript;
  await page.goto(h.server.portal);
  await page.getByTestId('start').click();
  await page.getByTestId(`product-${fixed.product}`).click();
  await page.getByTestId(`kind-${fixed.kind}`).click();
  for (const { node, answer } of fixed.answers) {
    const shown = page.locator(`[data-node="${node}"]`);
    await shown.waitFor();
    const testid = { fixed: 'fixed', still_broken: 'still-broken', continue: 'continue' }[answer] ?? `answer-${answer}`;
    await shown.getByTestId(testid).click();
  }
  await page.getByTestId('step-resolved').waitFor();
  violations.push(...(await audit(page, 'resolved')));
  // Queued: the intake is down when sending.
  await page.getByTestId('restart').click();
  await toDisputeForm(page);
  await fillMinimalRequest(page, 'Queued audit', 'Checking the queued screen');
  assert.ok(await fetchJson('_faults', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"down_for_ms":3000}' }));
  await page.getByTestId('send').click();
  await page.getByTestId('step-queued').waitFor();
  violations.push(...(await audit(page, 'queued')));
  // The next visit's welcome screen, listing the request still on its way.
  const next = await context.newPage();
  await next.goto(h.server.portal);
  await next.getByTestId('earlier-request').waitFor();
  violations.push(...(await audit(next, 'welcome with an earlier request')));
  await next.close();
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  // The wizard could not be loaded (its part of the code).
  const offline = await context.newPage();
  await offline.route(/frontline-part-wizard-[0-9a-f]+\.wasm$/, (route) => route.abort('internetdisconnected'));
  await offline.goto(h.server.portal);
  await offline.getByTestId('start').click();
  await offline.getByTestId('step-part-failed').waitFor();
  violations.push(...(await audit(offline, 'wizard unavailable')));
  await offline.close();
  // The request form could not be loaded (its part of the code).
  const cut = await context.newPage();
  await cut.route(/frontline-part-request-[0-9a-f]+\.wasm$/, (route) => route.abort('internetdisconnected'));
  await cut.goto(h.server.portal);
  await toDisputeForm(cut);
  await cut.getByTestId('step-part-failed').waitFor();
  violations.push(...(await audit(cut, 'request part unavailable')));
  await cut.close();
  // Unavailable: the ruleset cannot be fetched.
  const other = await context.newPage();
  await other.route('**/rules/default.json', (route) => route.fulfill({ status: 500, body: 'down' }));
  await other.goto(h.server.portal);
  await other.getByTestId('config-problem').waitFor();
  violations.push(...(await audit(other, 'unavailable')));
  assert.deepEqual(violations, []);
  await context.close();
});

test('a keyboard user who changes the language stays on the language switcher', async () => {
  const page = await h.browser.newPage();
  await page.goto(h.server.portal);
  await page.getByTestId('step-welcome').waitFor();
  await page.getByTestId('language').focus();
  await page.keyboard.press('ArrowDown'); // English → Français
  await page.locator('[data-testid=step-welcome] h1').filter({ hasText: 'Comment pouvons-nous vous aider' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement?.dataset.testid), 'language');
  await page.close();
});

test('the audit itself finds a violation when there is one (so its silence means something)', async () => {
  const page = await h.browser.newPage();
  await page.goto(h.server.portal);
  await page.getByTestId('step-welcome').waitFor();
  await page.evaluate(() => document.querySelector('.fl-step').append(document.createElement('input')));
  const violations = await audit(page, 'broken on purpose');
  assert.ok(violations.some((v) => v.includes(': label (')), violations.join('\n'));
  await page.close();
});
