// From the outcome to a request the partner receives exactly once: the form,
// the review, and delivery through the outbox against the reference intake
// server, with its fault injection.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fillMinimalRequest, harness, quietFor, receivedBy, savedRequests, screenshotPath, toDisputeForm, until, watchErrors } from './support.mjs';

const XSS = `<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>"'&`;
const h = harness();

async function faults(spec) {
  const res = await fetch(new URL('_faults', h.server.intake), {
    method: spec ? 'POST' : 'DELETE',
    headers: { 'content-type': 'application/json' },
    body: spec ? JSON.stringify(spec) : undefined,
  });
  assert.ok(res.ok, `faults: ${res.status} ${await res.text()}`);
}

const received = () => receivedBy(h.server);

/** Walks to the review of a request titled `<label> <now>`; returns the title. */
async function toReview(page, label) {
  await toForm(page);
  const title = `${label} ${Date.now()}`;
  await fill(page, title, '');
  await page.getByTestId('to-review').click();
  return title;
}

/** How many requests with this title the intake holds. */
async function copiesOf(title) {
  return (await received()).filter((r) => JSON.stringify(r).includes(title)).length;
}

async function open() {
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = await watchErrors(page);
  return { context, page, errors };
}

/** Walks to the form of a billing dispute (Microsoft commercial support). */
async function toForm(page) {
  await page.goto(h.server.portal);
  await toDisputeForm(page);
  await page.getByTestId('step-form').waitFor();
}

async function fill(page, title, extra = XSS) {
  await page.getByLabel('Your name *').fill(`Ada ${extra}`);
  await page.getByLabel('E-mail *').fill('ada@contoso.example');
  await page.getByLabel('Company *').fill(`Contoso ${extra}`);
  await page.getByTestId('severity-B').check();
  await page.getByLabel('Summary *').fill(title);
  await page.getByLabel('What happens? *').fill(`Invoice 42 charges twice. ${extra}`);
  await page.getByLabel('Business impact').fill(`Finance is blocked. ${extra}`);
  await page.getByLabel('Tenant domain or tenant ID').fill('contoso.onmicrosoft.com');
}

test('the form explains each problem next to its field, tied with aria-describedby', async () => {
  const { context, page, errors } = await open();
  await toForm(page);
  await page.getByTestId('to-review').click();
  assert.match(await page.getByTestId('form-errors').innerText(), /Please correct \d+ field/);
  const email = page.getByLabel('E-mail *');
  assert.equal(await email.getAttribute('aria-invalid'), 'true');
  assert.equal(await page.locator(`#${await email.getAttribute('aria-describedby')}`).innerText(), 'Please fill this in.');
  await email.fill('not-an-address');
  assert.match(await page.locator('#fl-email-error').innerText(), /does not look like an e-mail address/);
  await page.getByLabel('Subscription ID').fill('1234');
  assert.match(await page.locator('#fl-subscription-error').innerText(), /subscription ID looks like/);
  await email.fill('ada@contoso.example');
  assert.equal(await page.locator('#fl-email-error').innerText(), '');
  assert.deepEqual(errors, []);
  await context.close();
});

test('a request is reviewed, sent, acknowledged with a reference, and received exactly once; customer text stays text', async () => {
  const { context, page, errors } = await open();
  await toForm(page);
  const title = `Double charge ${Date.now()}`;
  await fill(page, title);
  await page.getByLabel('Summary *').fill(`${title} ${XSS}`);
  await page.getByTestId('to-review').click();
  await page.getByTestId('step-review').waitFor();
  const review = await page.getByTestId('step-review').innerText();
  assert.ok(review.includes(`Ada ${XSS}`) && review.includes(`${title} ${XSS}`), review);
  await page.screenshot({ path: screenshotPath('review-1280'), fullPage: true });
  await page.getByTestId('send').click();
  await page.getByTestId('step-sent').waitFor();
  const reference = await page.getByTestId('reference').innerText();
  assert.match(reference, /Your reference is FL-\d+/);
  assert.equal(await page.evaluate(() => window.__xss), undefined, 'no customer text ran as code');
  assert.deepEqual(await savedRequests(page), [], 'the outbox forgot the sent request');
  const mine = (await received()).filter((r) => r.title === title || JSON.stringify(r).includes(title));
  assert.equal(mine.length, 1, JSON.stringify(mine));
  assert.deepEqual(errors, []);
  await context.close();
});

test('503 twice, then 200: retried with the same idempotency key, received exactly once', async () => {
  await faults({ fail_next: { count: 2, status: 503 } });
  const { context, page } = await open();
  const keys = [];
  context.on('request', (r) => {
    if (r.method() === 'POST' && new URL(r.url()).pathname === '/intake') keys.push(r.headers()['idempotency-key']);
  });
  const title = await toReview(page, 'Retry');
  await page.getByTestId('send').click();
  await page.getByTestId('step-queued').waitFor();
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  assert.equal(await copiesOf(title), 1);
  assert.equal(keys.length, 3, `three attempts: ${JSON.stringify(keys)}`);
  assert.equal(new Set(keys).size, 1, 'one idempotency key for every attempt');
  await context.close();
});

test('a 400 is explained, nothing is lost, and the e-mail fallback carries the request', async () => {
  await faults({ fail_next: { count: 1, status: 400 } });
  const { context, page } = await open();
  const title = await toReview(page, 'Refused');
  await page.getByTestId('send').click();
  await page.getByTestId('step-failed').waitFor();
  assert.match(await page.getByTestId('failed-reason').innerText(), /HTTP 400/);
  const mailto = await page.getByTestId('mailto').getAttribute('href');
  assert.ok(mailto.startsWith('mailto:'), mailto);
  assert.ok(decodeURIComponent(mailto).includes(title), 'the e-mail carries the request');
  assert.equal((await savedRequests(page)).length, 1, 'kept in the outbox');
  await page.getByTestId('retry').click();
  await page.getByTestId('step-sent').waitFor();
  assert.equal(await copiesOf(title), 1);
  await context.close();
});

test('a refused request whose tab was closed is shown on the next visit, with its e-mail fallback, and can be retried', async () => {
  await faults({ fail_next: { count: 1, status: 400 } });
  const context = await h.browser.newContext();
  const first = await context.newPage();
  const title = await toReview(first, 'Left behind');
  await first.getByTestId('send').click();
  await first.getByTestId('step-failed').waitFor();
  await first.close(); // the tab goes, and its journey with it (session storage)
  const page = await context.newPage();
  const errors = await watchErrors(page);
  await page.goto(h.server.portal);
  const item = page.getByTestId('earlier-request');
  await item.waitFor();
  assert.match(await item.innerText(), new RegExp(`${title} — not accepted by the support desk`));
  await page.getByRole('button', { name: `Show it: ${title}` }).click();
  await page.getByTestId('step-failed').waitFor();
  const mailto = await page.getByTestId('mailto').getAttribute('href');
  assert.ok(decodeURIComponent(mailto).includes(title), 'the e-mail carries the request');
  await page.getByTestId('retry').click();
  await page.getByTestId('step-sent').waitFor();
  assert.equal(await copiesOf(title), 1);
  // Delivered and shown: a new visit has nothing to list.
  const later = await context.newPage();
  await later.goto(h.server.portal);
  await later.getByTestId('step-welcome').waitFor();
  await quietFor(later, 300, 'no earlier request is listed: an absence no event can prove');
  assert.equal(await later.getByTestId('earlier').count(), 0);
  assert.deepEqual(errors, []);
  await context.close();
});

test('reloading while the server is down: the request is kept and sent once it is back', async () => {
  // Down for longer than the test, so the reload surely happens during the
  // outage; the test ends the outage itself.
  await faults({ down_for_ms: 120_000 });
  const { context, page } = await open();
  const title = await toReview(page, 'Offline');
  await page.getByTestId('send').click();
  await page.getByTestId('step-queued').waitFor();
  await page.reload();
  await page.getByTestId('step-queued').waitFor();
  const [kept] = await savedRequests(page);
  assert.equal(kept?.last_error, 'network error', 'kept across the reload, waiting to be retried');
  await faults(); // the intake is back
  // The retry would come after its backoff (full jitter, up to 30 s after
  // many failed attempts); the connection coming back sends it at once, so
  // the wait below does not depend on how many attempts the outage took.
  await context.setOffline(true);
  await context.setOffline(false);
  await page.getByTestId('step-sent').waitFor({ timeout: 15_000 });
  assert.equal(await copiesOf(title), 1);
  await context.close();
});

test('reloading in the middle of a send: the new page takes the request over at once, not after its lease', async () => {
  await faults({ delay_ms: 3000 }); // every attempt is slow
  const { context, page } = await open();
  const title = await toReview(page, 'Cut off');
  await page.getByTestId('send').click();
  await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('frontline.outbox:')
    && JSON.parse(localStorage.getItem(k)).entries[0].state.state === 'sending'));
  const [leased] = await savedRequests(page);
  await page.reload(); // the attempt is cut off; its lease (a minute) is left behind
  const reloaded = Date.now();
  await page.getByTestId('step-sent').waitFor({ timeout: 20_000 });
  assert.ok(Date.now() < leased.state.lease_until, 'sent before the lease ran out');
  assert.ok(Date.now() - reloaded < 15_000, `sent ${Date.now() - reloaded} ms after the reload`);
  assert.equal(await copiesOf(title), 1);
  await context.close();
});

test('two open tabs never send the same request twice', async () => {
  await faults({ down_for_ms: 3000 });
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const accepted = [];
  context.on('response', (res) => {
    const req = res.request();
    if (req.method() === 'POST' && new URL(req.url()).pathname === '/intake' && res.status() < 300) {
      accepted.push(req.headers()['idempotency-key']);
    }
  });
  const first = await context.newPage();
  const title = await toReview(first, 'Two tabs');
  await first.getByTestId('send').click();
  await first.getByTestId('step-queued').waitFor();
  // A second tab of the same site picks up the same saved outbox.
  const second = await context.newPage();
  await second.goto(h.server.portal);
  await first.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  await quietFor(second, 1500, 'the second tab sends no second copy: an absence no event can prove');
  assert.equal(accepted.length, 1, `accepted sends: ${JSON.stringify(accepted)}`);
  assert.equal(await copiesOf(title), 1);
  await context.close();
});

test('offline when sending: saved, then sent when the browser is back online', async () => {
  const { context, page } = await open();
  const title = await toReview(page, 'Offline browser');
  await context.setOffline(true);
  await page.getByTestId('send').click();
  await page.getByTestId('step-queued').waitFor();
  assert.equal((await savedRequests(page)).length, 1, 'saved before sending');
  await context.setOffline(false);
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  assert.equal(await copiesOf(title), 1);
  await context.close();
});

test('back online, a request waiting out a long backoff is sent at once', async () => {
  const { context, page } = await open();
  const title = await toReview(page, 'Long backoff');
  // Another page of the same site, to change storage the way another tab would.
  const other = await context.newPage();
  await other.goto(new URL('favicon.svg', h.server.portal).href);
  await context.setOffline(true);
  await page.getByTestId('send').click();
  await page.getByTestId('step-queued').waitFor();
  await page.waitForFunction(() => Object.keys(localStorage).some((k) => k.startsWith('frontline.outbox:')
    && JSON.parse(localStorage.getItem(k)).entries[0].last_error === 'network error'));
  // As if it had been offline for long: the next attempt an hour away.
  await other.evaluate(() => {
    const key = Object.keys(localStorage).find((k) => k.startsWith('frontline.outbox:'));
    const saved = JSON.parse(localStorage.getItem(key));
    Object.assign(saved.entries[0], { state: { state: 'pending' }, attempts: 12, next_attempt_at: Date.now() + 3_600_000 });
    localStorage.setItem(key, JSON.stringify(saved));
  });
  await quietFor(page, 1_500, 'the first retry would have been due by now: nothing is sent before the hour');
  assert.equal(await copiesOf(title), 0);
  await context.setOffline(false);
  await page.getByTestId('step-sent').waitFor({ timeout: 5_000 });
  assert.equal(await copiesOf(title), 1);
  await context.close();
});

test('once the intake acknowledges one request, the others waiting out a backoff for it follow within seconds', async () => {
  await faults({ down_for_ms: 120_000 });
  const { context, page } = await open(); // its failed fetch is logged, as it should be
  const title = await toReview(page, 'Recovered');
  await page.getByTestId('send').click();
  await page.getByTestId('step-queued').waitFor();
  await page.close();
  // What a long outage leaves in the outbox, written from a page of the same
  // site that runs no portal: two requests waiting out a 25 s backoff after
  // 503s, one refused for good (waiting for the customer), and one due now.
  const other = await context.newPage();
  await other.goto(new URL('favicon.svg', h.server.portal).href);
  const kinds = ['waiting 1', 'waiting 2', 'refused', 'due'];
  await other.evaluate((kinds) => {
    const key = Object.keys(localStorage).find((k) => k.startsWith('frontline.outbox:'));
    const saved = JSON.parse(localStorage.getItem(key));
    localStorage.removeItem(key);
    const now = Date.now();
    const states = {
      'waiting 1': { attempts: 6, next_attempt_at: now + 25_000, state: { state: 'pending' }, last_error: 'HTTP 503' },
      'waiting 2': { attempts: 7, next_attempt_at: now + 25_000, state: { state: 'pending' }, last_error: 'HTTP 503' },
      refused: { attempts: 1, next_attempt_at: now, state: { state: 'failed', status: 400, reason: 'the intake refused the request as invalid' }, last_error: 'the intake refused the request as invalid' },
      due: { attempts: 0, next_attempt_at: now, state: { state: 'pending' }, last_error: null },
    };
    for (const kind of kinds) {
      const id = crypto.randomUUID();
      const entry = structuredClone(saved.entries[0]);
      const body = JSON.parse(entry.outgoing.body);
      body.id = id;
      body.problem.title = `${body.problem.title} ${kind}`;
      Object.assign(entry, { id, created_at: now }, states[kind]);
      entry.outgoing.body = JSON.stringify(body);
      entry.outgoing.headers = entry.outgoing.headers.map(([k, v]) => [k, k.toLowerCase() === 'idempotency-key' ? id : v]);
      localStorage.setItem(`frontline.outbox:${id}`, JSON.stringify({ version: saved.version, entries: [entry] }));
    }
  }, kinds);
  await faults(); // the intake is back
  const started = Date.now();
  const later = await context.newPage();
  const laterErrors = await watchErrors(later);
  await later.goto(h.server.portal);
  // The one due now is acknowledged; the two waiting follow within the
  // 3 s spread, not at the end of their 25 s.
  const arrived = async () => (await Promise.all(['waiting 1', 'waiting 2', 'due'].map((k) => copiesOf(`${title} ${k}`))));
  await until(async () => (await arrived()).every((n) => n > 0), 20_000, 'the three requests').catch(() => {});
  const seconds = (Date.now() - started) / 1000;
  assert.deepEqual(await arrived(), [1, 1, 1], `received once each, after ${seconds} s`);
  assert.ok(seconds < 12, `the waiting ones arrived ${seconds} s after the intake was back, not within seconds`);
  // The refused one still waits for the customer, unsent.
  assert.equal(await copiesOf(`${title} refused`), 0);
  const left = await savedRequests(later);
  const refused = left.find((e) => JSON.parse(e.outgoing.body).problem.title.endsWith('refused'));
  assert.equal(refused?.state.state, 'failed', 'a refusal is not retried by itself');
  assert.equal(refused?.attempts, 1);
  assert.deepEqual(laterErrors, []);
  await context.close();
});

test('a dropped connection is retried, and the request is received exactly once', async () => {
  await faults({ drop_connection_next: 2 });
  const { context, page } = await open();
  const title = await toReview(page, 'Dropped');
  await page.getByTestId('send').click();
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  assert.equal(await copiesOf(title), 1);
  await context.close();
});

test('stored but unacknowledged (503 after storing): the retry is deduplicated by its idempotency key', async () => {
  await faults({ fail_after_store_next: 1 });
  const { context, page } = await open();
  const title = await toReview(page, 'Stored then 503');
  await page.getByTestId('send').click();
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  assert.equal(await copiesOf(title), 1);
  await context.close();
});

test('an outbox saved by the first version (one key for all) is taken over and delivered once', async () => {
  await faults({ down_for_ms: 3000 });
  const { context, page } = await open();
  const title = await toReview(page, 'Legacy outbox');
  await page.getByTestId('send').click();
  await page.getByTestId('step-queued').waitFor();
  // Rewrite what was saved the way the first version stored it, then reload.
  await page.evaluate(() => {
    const keys = Object.keys(localStorage).filter((k) => k.startsWith('frontline.outbox:'));
    const entries = keys.map((k) => JSON.parse(localStorage.getItem(k)).entries[0]);
    keys.forEach((k) => localStorage.removeItem(k));
    localStorage.setItem('frontline.outbox', JSON.stringify({ version: 1, entries }));
  });
  await page.reload();
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  assert.equal(await page.evaluate(() => localStorage.getItem('frontline.outbox')), null, 'the old key is gone');
  assert.deepEqual(await savedRequests(page), []);
  assert.equal(await copiesOf(title), 1);
  await context.close();
});

test('a browser that will not save the request says so, sends nothing, and offers the e-mail fallback', async () => {
  const { context, page, errors } = await open();
  await page.addInitScript(() => {
    const setItem = Storage.prototype.setItem;
    Storage.prototype.setItem = function (key, value) {
      if (String(key).startsWith('frontline.outbox')) throw new DOMException('full', 'QuotaExceededError');
      return setItem.call(this, key, value);
    };
  });
  const title = await toReview(page, 'Storage full');
  await page.getByTestId('send').click();
  await page.getByText('would not save your request').waitFor();
  const mailto = await page.getByTestId('not-saved-mailto').getAttribute('href');
  assert.ok(decodeURIComponent(mailto).includes(title), 'the e-mail carries the request');
  await page.getByTestId('step-review').waitFor(); // still on the review: nothing was taken away
  await quietFor(page, 1000, 'a request that could not be saved is not sent: an absence');
  assert.equal(await copiesOf(title), 0, 'not sent unsaved');
  assert.deepEqual(errors.filter((e) => !e.includes('could not save the request')), []);
  await context.close();
});

test('when Web Locks refuse (a rejected promise), the request is still sent, once', async () => {
  const { context, page } = await open();
  await page.addInitScript(() => {
    navigator.locks.request = () => Promise.reject(new DOMException('blocked', 'SecurityError'));
  });
  const title = await toReview(page, 'Locks refused');
  await page.getByTestId('send').click();
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  assert.equal(await copiesOf(title), 1);
  await context.close();
});

test('a partner without the vehicle keeps a Microsoft 365 outage, says so, and the request records the downgrade', async () => {
  // As served (its intake points at this test's intake server).
  const rules = await (await fetch(new URL('rules/default.json', h.server.portal))).json();
  rules.partner.competencies = [];
  rules.partner.contracts = [];
  const { context, page, errors } = await open();
  await page.route('**/rules/default.json', (route) => route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(rules) }));
  await page.goto(h.server.portal);
  await page.getByTestId('start').click();
  await page.getByTestId('product-m365').click();
  await page.getByTestId('kind-technical').click();
  await page.locator('[data-node="m365-health"]').getByTestId('answer-incident').click();
  const section = page.getByTestId('step-outcome');
  await section.waitFor();
  assert.equal(await section.getAttribute('data-handler'), 'partner');
  const why = await page.getByTestId('outcome-rationale').innerText();
  assert.match(why, /^Northwind Cloud Services handles this request itself: escalation to the vendor's technical support is not part of the support it provides/);
  // Nothing on the screen, the reasoning included, promises an escalation.
  await page.locator('.fl-trace summary').click();
  assert.doesNotMatch(await section.innerText(), /escalates it to Microsoft/);
  await page.getByTestId('outcome-next').click();
  const title = `Outage kept ${Date.now()}`;
  await fillMinimalRequest(page, title, 'Exchange is down for everyone');
  await page.getByTestId('send').click();
  await page.getByTestId('step-sent').waitFor();
  const mine = (await received()).filter((r) => JSON.stringify(r).includes(title));
  assert.equal(mine.length, 1);
  const { decision } = mine[0].request.outcome;
  assert.deepEqual([decision.handler, decision.vehicle, decision.downgraded_from], ['partner', null, 'vendor_technical']);
  // The intake re-checks with its own ruleset, whose partner has the
  // vehicle: verify names the downgrade among the differences.
  const fields = mine[0].verification.differences.map((d) => d.field);
  assert.ok(fields.includes('outcome.downgraded_from'), JSON.stringify(fields));
  assert.deepEqual(errors, []);
  await context.close();
});
