// Shared by the outbox drain benchmarks (drain.mjs, drain_outage.mjs):
// fault injection, a queue of saved requests, and counting what the intake
// stored.
import { execFileSync } from 'node:child_process';
import { fillMinimalRequest, toDisputeForm } from '../support.mjs';

/** Sets the reference intake's faults (`spec`), or clears them (`null`). */
export async function faults(server, spec) {
  const url = new URL('_faults', server.intake);
  const res = spec
    ? await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(spec) })
    : await fetch(url, { method: 'DELETE' });
  if (!res.ok) throw new Error(`faults ${JSON.stringify(spec)}: HTTP ${res.status}`);
}

/** Rows, distinct request ids and distinct keys in the intake's database. */
export function countStored(db) {
  const script = `import sqlite3, sys, json
c = sqlite3.connect(sys.argv[1])
rows, ids, keys = c.execute("select count(*), count(distinct json_extract(body, '$.id')), count(distinct idempotency_key) from requests").fetchone()
print(json.dumps({"rows": rows, "ids": ids, "keys": keys}))`;
  return JSON.parse(execFileSync('python3', ['-c', script, db], { encoding: 'utf8' }));
}

/**
 * Saves `n` requests in the outbox of `context`'s origin, none sent: one goes
 * through the real wizard while the intake is down (so it is saved, not
 * sent); its saved entry is cloned into the others with fresh ids (body `id`
 * and `Idempotency-Key`), like requests saved offline over time. Leaves the
 * intake down; returns how many are saved.
 */
export async function queueRequests(context, server, n, title) {
  await faults(server, { down_for_ms: 600_000 });
  const first = await context.newPage();
  await first.goto(server.portal);
  await toDisputeForm(first);
  await fillMinimalRequest(first, title, 'Queued for the drain benchmark');
  await first.getByTestId('send').click();
  await first.getByTestId('step-queued').waitFor();
  await first.close();
  // Cloned from a same-origin page that runs no portal.
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
  }, n);
  await writer.close();
  if (queued !== n) throw new Error(`queued ${queued}, wanted ${n}`);
  return queued;
}
