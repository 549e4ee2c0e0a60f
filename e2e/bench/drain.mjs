// Issue 5's benchmark: 1,000 requests queued in a browser page's outbox are
// drained against the reference intake while it fails 30 % of the attempts
// (503, storing nothing). Counted afterwards in the intake's SQLite file:
// rows received, distinct request ids, duplicates. Prints one Markdown section.
//
// How the queue is made (_drain.mjs, queueRequests): one request goes
// through the real wizard while the intake is down (so it is saved, not
// sent); its saved entry is cloned into 999 more with fresh ids (body `id`
// and `Idempotency-Key`), like requests saved offline over time. Then the portal page is opened and its outbox
// resumes on its own, as after a reload.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, savedRequests, startServer } from '../support.mjs';
import { countStored, faults, queueRequests } from './_drain.mjs';
import { spread, stats } from './_lib.mjs';

const REQUESTS = Number(process.env.DRAIN_REQUESTS || 1000);
const FAULT_RATIO = 0.3;
const RUNS = Number(process.env.DRAIN_RUNS || 3);
const log = (...a) => console.error('  drain:', ...a);

async function run(browser, index) {
  const dir = mkdtempSync(join(tmpdir(), 'frontline-drain-'));
  const db = join(dir, 'intake.sqlite3');
  const server = await startServer({ db });
  let stopped = false;
  const stop = async () => { if (!stopped) { stopped = true; await server.stop(); } };
  try {
    const context = await browser.newContext();
    // 1. The queue, saved while the intake is down.
    log(`run ${index + 1}: queueing`);
    const queued = await queueRequests(context, server, REQUESTS, `Drain ${index}`);
    // 2. The intake is back, failing 30 %; the portal opens and drains.
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
retrying with exponential backoff (base 1 s, capped at 30 s, full jitter); after an
acknowledgement the others waiting for the intake go within 3 s. ${RUNS} runs, \`node e2e/bench/drain.mjs\`
(part of \`make bench\`); median drain time ${spread(drain, 's', 1)}.

| run | received (rows) | distinct requests | duplicates | attempts | answered 503 | drain time | left in storage after 8 s |
|---|---|---|---|---|---|---|---|
${rows.join('\n')}

${ok ? `Every run: received = ${REQUESTS.toLocaleString('en')}, duplicates = 0.` : '**A run lost or duplicated requests: see the table.**'}`);
if (!ok) process.exit(1);
