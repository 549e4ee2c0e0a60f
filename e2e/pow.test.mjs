// The relay's optional proof of work, solved by the portal: with the
// relay's [abuse.proof_of_work] on (the dev server's --relay-config) and
// the ruleset's intake.challenge_url set, each attempt fetches a challenge,
// solves it with the browser's Web Crypto and carries the solution as
// Frontline-Pow. Without challenge_url the relay refuses each attempt with
// 429 and the request stays in the outbox, waiting, never lost.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  fillMinimalRequest, launchBrowser, receivedBy, savedRequests, startServer, toDisputeForm, watchErrors,
} from './support.mjs';

const COST = 50;
const h = { server: undefined, browser: undefined, dir: undefined };

before(async () => {
  h.dir = mkdtempSync(join(tmpdir(), 'frontline-pow-'));
  const config = join(h.dir, 'relay.toml');
  writeFileSync(config, `[abuse.proof_of_work]\nsecret = { env = "FRONTLINE_E2E_POW_SECRET" }\ncost = ${COST}\n`);
  h.server = await startServer({
    args: ['--relay-config', config],
    env: { FRONTLINE_E2E_POW_SECRET: randomBytes(16).toString('hex') },
  });
  h.browser = await launchBrowser();
});

after(async () => {
  await h.browser?.close();
  await h.server?.stop();
  if (h.dir) rmSync(h.dir, { recursive: true, force: true });
});

const intakeUrl = () => new URL('intake', h.server.intake).href;
const challengeUrl = () => new URL('challenge', h.server.intake).href;

/** The default ruleset as served (its intake is this test's), changed by `change`. */
async function servedRules(change = () => {}) {
  const rules = await (await fetch(new URL('rules/default.json', h.server.portal))).json();
  change(rules);
  return rules;
}

/**
 * A page served `rules` (the default ruleset if absent) that records the
 * intake's POSTs (headers, and the status each got) and the challenges it
 * fetched.
 */
async function open(rules) {
  const context = await h.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const errors = await watchErrors(page);
  if (rules) {
    await page.route('**/rules/default.json', (route) =>
      route.fulfill({ status: 200, contentType: 'application/json', body: JSON.stringify(rules) }));
  }
  const posts = [];
  const challenges = [];
  page.on('request', (r) => {
    if (r.method() === 'POST' && r.url() === intakeUrl()) posts.push({ request: r, headers: r.headers() });
    if (r.method() === 'GET' && r.url() === challengeUrl()) challenges.push(r);
  });
  return { context, page, errors, posts, challenges };
}

const mine = async (title) => (await receivedBy(h.server)).filter((r) => JSON.stringify(r).includes(title));

/** The ALTCHA payload a Frontline-Pow header carries. */
const payload = (header) => JSON.parse(Buffer.from(header, 'base64').toString('utf8'));

test('with challenge_url, the request carries a solved proof of work and is accepted: 201, the reference shown, stored once', async () => {
  const rules = await servedRules((r) => { r.intake.challenge_url = challengeUrl(); });
  const { context, page, errors, posts, challenges } = await open(rules);
  await page.goto(h.server.portal);
  await toDisputeForm(page);
  const title = `Proof of work ${Date.now()}`;
  await fillMinimalRequest(page, title, 'Charged twice for one licence.');
  await page.getByTestId('step-review').waitFor();
  const accepted = page.waitForResponse((r) => r.request().method() === 'POST' && r.url() === intakeUrl());
  await page.getByTestId('send').click();
  assert.equal((await accepted).status(), 201);
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  assert.match(await page.getByTestId('reference').innerText(), /Your reference is FL-\d+/);
  assert.equal((await mine(title)).length, 1, 'the relay stored the request exactly once');
  // One attempt, one challenge fetched before it, one solution with it.
  assert.equal(posts.length, 1);
  assert.equal(challenges.length, 1);
  const header = posts[0].headers['frontline-pow'];
  assert.ok(header, `no Frontline-Pow: ${JSON.stringify(posts[0].headers)}`);
  const { challenge, solution } = payload(header);
  assert.equal(challenge.parameters.algorithm, 'PBKDF2/SHA-256');
  assert.equal(challenge.parameters.cost, COST);
  assert.ok(challenge.signature, 'the challenge went back with its signature');
  assert.ok(Number.isInteger(solution.counter) && solution.counter >= 0, JSON.stringify(solution));
  assert.match(solution.derivedKey, /^00[0-9a-f]{62}$/);
  // The saved call was not changed: the solution went with the attempt only.
  assert.deepEqual(await savedRequests(page), [], 'the outbox forgot the sent request');
  assert.deepEqual(errors, []);
  await context.close();
});

test('each retry solves a new challenge: a 503 after the first solution, then accepted with a fresh one', async () => {
  await fetch(new URL('_faults', h.server.intake), {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ fail_next: { count: 1, status: 503 } }),
  });
  const rules = await servedRules((r) => { r.intake.challenge_url = challengeUrl(); });
  const { context, page, errors, posts, challenges } = await open(rules);
  await page.goto(h.server.portal);
  await toDisputeForm(page);
  const title = `Proof of work retried ${Date.now()}`;
  await fillMinimalRequest(page, title, 'Charged twice for one licence.');
  await page.getByTestId('send').click();
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  assert.equal((await mine(title)).length, 1);
  assert.equal(posts.length, 2);
  assert.equal(challenges.length, 2);
  const [first, second] = posts.map((p) => payload(p.headers['frontline-pow']));
  assert.notEqual(first.challenge.signature, second.challenge.signature, 'a fresh challenge for the retry');
  assert.equal(posts[0].headers['idempotency-key'], posts[1].headers['idempotency-key']);
  assert.deepEqual(errors.filter((e) => !e.includes('status of 503')), []);
  await context.close();
});

test('when the challenge cannot be fetched the attempt fails like a network error, and the request is sent once it can be', async () => {
  const rules = await servedRules((r) => { r.intake.challenge_url = challengeUrl(); });
  const { context, page, posts } = await open(rules);
  await page.route(challengeUrl(), (route) => route.abort('connectionrefused'));
  await page.goto(h.server.portal);
  await toDisputeForm(page);
  const title = `Proof of work offline ${Date.now()}`;
  await fillMinimalRequest(page, title, 'Charged twice for one licence.');
  await page.getByTestId('send').click();
  await page.getByTestId('step-queued').waitFor();
  const [kept] = await savedRequests(page);
  assert.equal(kept?.last_error, 'network error');
  assert.equal(posts.length, 0, 'no request without its proof of work');
  await page.unroute(challengeUrl());
  // Back online: what waits out a backoff goes at once.
  await context.setOffline(true);
  await context.setOffline(false);
  await page.getByTestId('step-sent').waitFor({ timeout: 15_000 });
  assert.equal((await mine(title)).length, 1);
  assert.ok(posts[posts.length - 1].headers['frontline-pow']);
  await context.close();
});

test('without challenge_url the relay refuses each attempt with 429 and the request waits in the outbox, not lost', async () => {
  const { context, page, posts, challenges } = await open();
  await page.goto(h.server.portal);
  await toDisputeForm(page);
  const title = `No proof of work ${Date.now()}`;
  await fillMinimalRequest(page, title, 'Charged twice for one licence.');
  const refused = [];
  page.on('response', (r) => {
    if (r.request().method() === 'POST' && r.url() === intakeUrl()) refused.push(r);
  });
  const secondAnswer = page.waitForResponse(() => refused.length >= 2, { timeout: 15_000 });
  await page.getByTestId('send').click();
  await page.getByTestId('step-queued').waitFor();
  // Retried after the 1 s the relay asks for, and refused again.
  await secondAnswer;
  for (const r of refused) {
    assert.equal(r.status(), 429);
    assert.equal(await r.headerValue('retry-after'), '1');
    const problem = await r.json();
    assert.ok(JSON.stringify(problem).includes('headers.Frontline-Pow'), JSON.stringify(problem));
  }
  assert.equal(posts[0].headers['frontline-pow'], undefined);
  assert.equal(challenges.length, 0);
  const [kept] = await savedRequests(page);
  assert.ok(kept, 'kept in the outbox');
  assert.ok(kept.attempts >= 2, JSON.stringify(kept));
  assert.match(kept.last_error, /HTTP 429/);
  assert.notEqual(kept.state.state, 'failed');
  assert.ok(await page.getByTestId('step-queued').or(page.getByTestId('step-sending')).isVisible());
  assert.equal(await page.getByTestId('step-failed').count(), 0);
  assert.equal((await mine(title)).length, 0, 'nothing stored without a proof of work');
  await context.close();
});
