// The partner's side, end to end: a customer's request, sent in the
// browser, reaches the relay (the dev server's intake) and becomes exactly
// one ticket in a help desk through the relay's forwarder, here a local
// fake of Freshdesk's API (crates/fakedesk) on loopback, as `make run` shows.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT, startServer, launchBrowser, watchErrors, toDisputeForm, fillMinimalRequest, receivedBy, until } from './support.mjs';

const KEY = 'fake-freshdesk-api-key';
let desk, deskProcess, server, browser, dir;

/** Starts `frontline-fakedesk --desk freshdesk` on a free port. */
function startDesk() {
  const child = spawn(join(ROOT, 'target', 'release', 'frontline-fakedesk'), ['--port', '0', '--desk', 'freshdesk'],
    { stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`frontline-fakedesk exited with ${code}: ${out}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/listening (\S+)/);
      if (m) { child.removeAllListeners('exit'); resolve({ child, url: m[1] }); }
    });
  });
}

const tickets = async () => (await (await fetch(new URL('_tickets', desk))).json()).tickets;

before(async () => {
  ({ child: deskProcess, url: desk } = await startDesk());
  dir = mkdtempSync(join(tmpdir(), 'frontline-relay-e2e-'));
  const config = join(dir, 'relay.toml');
  writeFileSync(config, `[forward]
backoff_base_ms = 100
backoff_cap_seconds = 2

[destinations.desk]
kind = "freshdesk"
url = "${desk.replace(/\/$/, '')}"
api_key = { env = "E2E_DESK_KEY" }
id_field = "cf_frontline_id"
`);
  server = await startServer({ args: ['--relay-config', config], env: { E2E_DESK_KEY: KEY } });
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await server?.stop();
  deskProcess?.kill();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('a request sent in the browser becomes one ticket at the help desk, with the customer\'s words and the reference', async () => {
  const page = await browser.newPage();
  const errors = await watchErrors(page);
  await page.goto(server.portal);
  await toDisputeForm(page);
  const title = 'Invoice 7781 charged twice <b>not bold</b>';
  await fillMinimalRequest(page, title, 'Line one.\nLine two & <script>alert(1)</script>');
  await page.getByTestId('send').click();
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  const shown = await page.getByTestId('reference').textContent();
  const reference = shown.match(/FL-\d{6}/)?.[0];
  assert.ok(reference, shown);

  const [ticket] = await until(async () => { const t = await tickets(); return t.length ? t : undefined; }, 20_000, 'the ticket');
  const stored = (await receivedBy(server));
  assert.equal(stored.length, 1);
  const id = stored[0].request.id;
  assert.equal(ticket.frontline_id, id, 'the Frontline id is in the field the desk keeps');
  assert.equal(ticket.subject, title);
  assert.ok(ticket.description.includes(`Frontline reference: ${reference}`), ticket.description);
  // Freshdesk's description is HTML: the customer's text arrives escaped.
  assert.ok(ticket.description.includes('&lt;script&gt;alert(1)&lt;/script&gt;'), ticket.description);
  assert.ok(!ticket.description.includes('<script>'));
  // The relay's admin data shows the forward and the desk's ticket id.
  await until(async () => (await receivedBy(server))[0].forwards[0].state === 'done', 10_000, 'the forward to be recorded');
  const forward = (await receivedBy(server))[0].forwards[0];
  assert.equal(forward.destination, 'desk');
  assert.equal(String(forward.ticket_id), String(ticket.key));
  assert.equal((await tickets()).length, 1, 'exactly one ticket');
  assert.deepEqual(errors, []);
  await page.close();
});

test('a request whose hidden field a bot filled is answered, stored as suspected spam, and never reaches the help desk', async () => {
  const before = (await tickets()).length;
  const page = await browser.newPage();
  const errors = await watchErrors(page);
  await page.goto(server.portal);
  await toDisputeForm(page);
  await page.locator('#fl-website').evaluate((el) => { el.value = 'http://cheap-pills.example'; });
  await fillMinimalRequest(page, 'Buy now', 'Spam spam spam');
  await page.getByTestId('send').click();
  await page.getByTestId('step-sent').waitFor({ timeout: 30_000 });
  const held = await until(async () => (await receivedBy(server)).find((r) => r.held), 10_000, 'the held request');
  assert.match(held.held, /hidden field/);
  assert.deepEqual(held.forwards, []);
  assert.equal((await tickets()).length, before, 'no ticket for the bot');
  assert.deepEqual(errors, []);
  await page.close();
});
