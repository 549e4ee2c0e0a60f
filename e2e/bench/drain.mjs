// Issue 5's benchmark: 1,000 requests queued in a browser page's outbox are
// drained against the reference intake while it fails 30 % of the attempts
// (503, storing nothing). Counted afterwards in the intake's SQLite file:
// rows received, distinct request ids, duplicates. Prints one Markdown section.
//
// How the queue is made: one request goes through the real wizard while the
// intake is down (so it is saved, not sent); its saved entry is cloned into
// 999 more with fresh ids (body `id` and `Idempotency-Key`), like requests
// saved offline over time. Then the portal page is opened and its outbox
// resumes on its own, as after a reload.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fillMinimalRequest, launchBrowser, savedRequests, startServer, toDisputeForm } from '../support.mjs';
import { spread, stats } from './_lib.mjs';

const REQUESTS = Number(process.env.DRAIN_REQUESTS || 1000);
const FAULT_RATIO = 0.3;
const RUNS = Number(process.env.DRAIN_RUNS || 3);
const log = (...a) => console.error('  drain:', ...a);

async function faults(server, spec) {
  const url = new URL('_faults', server.intake);
  const res = spec
    ? await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) })
    : await fetch(url, { method: 'DELETE' });
  if (!res.ok) throw new Error(`faults ${JSON.stringify(spec)}: HTTP ${res.status}`);
}

/** Rows, distinct request ids and distinct keys in the intake's database. */
function countStored(db) {
  const script = `import sqlite3, sys, json
c = sqlite3.connect(sys.argv[1])
rows, ids, keys = c.execute("select count(*), count(distinct json_extract(body, '$.id')), count(distinct idempotency_key) from requests").fetchone()
print(json.dumps({"rows": rows, "ids": ids, "keys": keys}))`;
  return JSON.parse(execFileSync('python3', ['-c', script, db], { encoding: 'utf8' }));
}

async function run(browser, index) {
  const dir = mkdtempSync(join(tmpdir(), 'frontline-drain-'));
  const db = join(dir, 'intake.sqlite3');
  const server = await startServer({ db });
  let stopped = false;
  const stop = async () => { if (!stopped) { stopped = true; await server.stop(); } };
  try {
    const context = await browser.newContext();
    // 1. One real request, saved while the intake is down.
    await faults(server, { down_for_ms: 600_000 });
    const first = await context.newPage();
    await first.goto(server.portal);
    await toDisputeForm(first);
    await fillMinimalRequest(first, `Drain ${index}`, 'Queued for the drain benchmark');
    log(`run ${index + 1}: queueing`);
    await first.getByTestId('send').click();
    await first.getByTestId('step-queued').waitFor();
    await first.close();
    // 2. Clone it into the full queue, from a same-origin page that runs no portal.
    const writer = await context.newPage();
    await writer.goto(new URL('favicon.svg', server.portal).href);
    const queued = await writer.evaluate((n) => {
      const keys = Object.keys(localStorage).filter((k) => k.startsWith('frontline.outbox:'));
      if (keys.length !== 1) throw new Error(`expected one saved request, found ${keys.length}`);
      const saved = JSON.parse(localStorage.getItem(keys[0]));
      localStorage.removeItem(keys[0]);
      const now = Date.now();
      for (let i = 0; i < n; i++) {
        const id = crypto.randomUUID();
        const entry = structuredClone(saved.entries[0]);
        const body = JSON.parse(entry.outgoing.body);
        body.id = id;
        body.problem.title = `${body.problem.title} #${i + 1}`;
        entry.id = id;
        entry.outgoing.body = JSON.stringify(body);
        entry.outgoing.headers = entry.outgoing.headers.map(([k, v]) => [k, k.toLowerCase() === 'idempotency-key' ? id : v]);
        Object.assign(entry, { attempts: 0, created_at: now, next_attempt_at: now, state: { state: 'pending' }, last_error: null });
        localStorage.setItem(`frontline.outbox:${id}`, JSON.stringify({ version: saved.version, entries: [entry] }));
      }
      return Object.keys(localStorage).filter((k) => k.startsWith('frontline.outbox:')).length;
    }, REQUESTS);
    await writer.close();
    if (queued !== REQUESTS) throw new Error(`queued ${queued}, wanted ${REQUESTS}`);
    // 3. The intake is back, failing 30 %; the portal opens and drains.
    await faults(server, null);
    await faults(server, { fail_ratio: FAULT_RATIO, status: 503 });
    const accepted = new Set();
    const statuses = {};
    let attempts = 0;
    let drainedAt = 0;
    let resolveDrained;
    const drained = new Promise((r) => { resolveDrained = r; });
    const page = await context.newPage();
    page.on('console', (m) => { if (process.env.DRAIN_DEBUG) log(`console ${m.type()}: ${m.text()}`); });
    const progress = setInterval(() => log(`  ${accepted.size} accepted, ${attempts} attempts, ${JSON.stringify(statuses)}`), 5000);
    page.on('response', (res) => {
      const req = res.request();
      if (req.method() !== 'POST' || new URL(req.url()).pathname !== '/intake') return;
      attempts++;
      statuses[res.status()] = (statuses[res.status()] || 0) + 1;
      if (res.status() < 300) accepted.add(req.headers()['idempotency-key']);
      if (res.status() === 400 && process.env.DRAIN_DEBUG) res.text().then((t) => log('400:', t));
      if (accepted.size === REQUESTS && !drainedAt) { drainedAt = performance.now(); resolveDrained(); }
    });
    page.on('requestfailed', (req) => {
      if (new URL(req.url()).pathname === '/intake') statuses.failed = (statuses.failed || 0) + 1;
    });
    log(`run ${index + 1}: ${queued} saved; draining`);
    const started = performance.now();
    await page.goto(server.portal);
    let timer;
    const timeout = new Promise((_, no) => { timer = setTimeout(() => no(new Error(`not drained after 10 min: ${accepted.size} accepted`)), 600_000); });
    // The timer is cleared, or node would wait for it after the last run (10 minutes).
    await Promise.race([drained, timeout]).finally(() => clearTimeout(timer));
    clearInterval(progress);
    const seconds = (drainedAt - started) / 1000;
    // Acknowledged requests nobody shows are forgotten a few seconds later.
    await page.waitForTimeout(8000);
    const left = (await savedRequests(page)).length;
    await context.close();
    await stop(); // SQLite is read once the server is gone
    const stored = countStored(db);
    log(`run ${index + 1}: ${seconds.toFixed(1)} s, ${attempts} attempts, ${JSON.stringify(statuses)}, stored ${JSON.stringify(stored)}, left ${left}`);
    return { seconds, attempts, statuses, stored, left };
  } finally {
    await stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

const browser = await launchBrowser();
const runs = [];
try {
  for (let i = 0; i < RUNS; i++) runs.push(await run(browser, i));
} finally {
  await browser.close();
}
const drain = stats(runs.map((r) => r.seconds));
const rows = runs.map((r, i) => {
  const dup = r.stored.rows - r.stored.ids;
  const s503 = r.statuses[503] || 0;
  return `| ${i + 1} | ${r.stored.rows} | ${r.stored.ids} | ${dup} | ${r.attempts} | ${s503} (${((100 * s503) / r.attempts).toFixed(1)} %) | ${r.seconds.toFixed(1)} s | ${r.left} |`;
});
const ok = runs.every((r) => r.stored.rows === REQUESTS && r.stored.ids === REQUESTS && r.stored.keys === REQUESTS);
console.log(`## Outbox drain under faults (issue 5)

${REQUESTS.toLocaleString('en')} requests saved in a page's outbox (one real request from the
wizard, cloned with fresh ids), then the portal opened against the reference
intake answering 503 to ${FAULT_RATIO * 100} % of attempts at random (storing nothing).
Drain time: from opening the page to the last request acknowledged. Counted
afterwards in the intake's SQLite file. The outbox sends at most 4 at once,
retrying with exponential backoff (base 1 s, full jitter). ${RUNS} runs, \`node e2e/bench/drain.mjs\`
(part of \`make bench\`); median drain time ${spread(drain, 's', 1)}.

| run | received (rows) | distinct requests | duplicates | attempts | answered 503 | drain time | left in storage after 8 s |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

${ok ? `Every run: received = ${REQUESTS.toLocaleString('en')}, duplicates = 0.` : '**A run lost or duplicated requests: see the table.**'}`);
if (!ok) process.exit(1);
