// Shared by the end-to-end specs: start the dev server on free loopback
// ports, launch Debian's Chromium headless, and collect console errors.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach } from 'node:test';
import { mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
export const ARTIFACTS = join(ROOT, 'e2e', 'artifacts');

/**
 * The stylesheet a built glue carries as its `stylesheet` export (put there
 * by scripts/postbuild.mjs), or undefined when it has none.
 */
export function glueStylesheet(glueText) {
  const m = glueText.match(/\nexport const stylesheet=("(?:[^"\\]|\\.)*");\n$/);
  return m ? JSON.parse(m[1]) : undefined;
}
mkdirSync(join(ARTIFACTS, 'screenshots'), { recursive: true });

/**
 * Starts `frontline-dev` on free ports; resolves with its URLs and a stop().
 * `site`: the directory served (default dist/; the benchmarks serve a snapshot);
 * `db`: the intake's SQLite file (default in memory); `allowOrigins`: pages on
 * other origins the intake accepts requests from; `args`: more options of
 * frontline-dev (`['--relay-config', file]`); `env`: more environment
 * variables for it (the secrets a relay configuration names).
 */
export function startServer({ site = join(ROOT, 'dist'), db = ':memory:', allowOrigins = [], args = [], env = {} } = {}) {
  const bin = join(ROOT, 'target', 'release', 'frontline-dev');
  // The intake lists what arrived only to whoever holds this token.
  const adminToken = randomBytes(16).toString('hex');
  const child = spawn(bin, ['--site', site, '--port', '0', '--intake-port', '0',
    '--exit-on-stdin-eof', '--exit-after', '900', '--db', db, '--enable-faults',
    ...allowOrigins.flatMap((o) => ['--allow-origin', o]), ...args],
  { stdio: ['pipe', 'pipe', 'inherit'], env: { ...process.env, ...env, FRONTLINE_ADMIN_TOKEN: adminToken } });
  return new Promise((resolve, reject) => {
    let out = '';
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`frontline-dev exited early with ${code}: ${out}`)));
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const m = out.match(/ready portal=(\S+) intake=(\S+)/);
      if (m) {
        child.removeAllListeners('exit');
        resolve({
          portal: m[1],
          intake: m[2],
          adminToken,
          stop: () => new Promise((done) => { child.once('exit', done); child.stdin.end(); }),
        });
      }
    });
  });
}

/** The requests the intake of `server` (from `startServer`) holds, logged in. */
export async function receivedBy(server) {
  const res = await fetch(new URL('requests.json', server.intake), { headers: { authorization: `Bearer ${server.adminToken}` } });
  if (!res.ok) throw new Error(`requests.json: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()).requests;
}

/** Debian's Chromium, headless, with the flags this sandbox needs. */
export function launchBrowser() {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

/**
 * Records console errors, uncaught exceptions and Content-Security-Policy
 * violations of a page: a healthy page has none of them.
 */
export async function watchErrors(page) {
  const errors = [];
  page.on('console', (msg) => { if (msg.type() === 'error') errors.push(`console: ${msg.text()}`); });
  page.on('pageerror', (err) => errors.push(`uncaught: ${err.message}`));
  await page.exposeFunction('__frontlineCspViolation', (what) => errors.push(`csp: ${what}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) =>
      window.__frontlineCspViolation(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`));
  });
  return errors;
}

export function screenshotPath(name) {
  return join(ARTIFACTS, 'screenshots', `${name}.png`);
}

/**
 * One dev server and one browser for a whole test file, started before its
 * first test and stopped after its last: `const h = harness();` then
 * `h.server.portal`, `h.browser.newPage()`.
 */
export function harness() {
  const h = { server: undefined, browser: undefined };
  before(async () => {
    h.server = await startServer();
    h.browser = await launchBrowser();
  });
  // Every test starts with no injected fault, whatever the last one left
  // behind (even when it failed halfway).
  beforeEach(async () => {
    await fetch(new URL('_faults', h.server.intake), { method: 'DELETE' });
  });
  after(async () => {
    await h.browser?.close();
    await h.server?.stop();
  });
  return h;
}

/** From the welcome screen to the request form of a Microsoft 365 billing dispute. */
export async function toDisputeForm(page) {
  await page.getByTestId('start').click();
  await page.getByTestId('product-m365').click();
  await page.getByTestId('kind-billing').click();
  await page.getByTestId('answer-dispute').click();
  await page.getByTestId('outcome-next').click();
}

/** Fills the form's required fields (severity C), then goes to the review. */
export async function fillMinimalRequest(page, title, description) {
  await page.getByLabel('Your name *').fill('Ada');
  await page.getByLabel('E-mail *').fill('ada@contoso.example');
  await page.getByLabel('Company *').fill('Contoso');
  await page.getByTestId('severity-C').check();
  await page.getByLabel('Summary *').fill(title);
  await page.getByLabel('What happens? *').fill(description);
  if (await page.locator('#fl-accept-price').count()) await page.locator('#fl-accept-price').check();
  await page.getByTestId('to-review').click();
}

/** The requests a page has saved in its outbox (one `frontline.outbox:<id>` key each). */
export function savedRequests(page) {
  return page.evaluate(() => Object.keys(localStorage)
    .filter((k) => k.startsWith('frontline.outbox:'))
    .map((k) => JSON.parse(localStorage.getItem(k)).entries[0]));
}

/**
 * Resolves once the page has painted a frame and run the tasks that frame
 * posted: a step's history entry is added then (after the step is painted,
 * src/app.rs), so a test that walks the browser's history waits for it.
 */
export function afterNextPaint(page) {
  return page.evaluate(() => new Promise((done) => requestAnimationFrame(() => setTimeout(done, 0))));
}

/** The asset names the build baked into the loader ({js, wasm, sri}) of a
 * built site (`dist/`, or a copy of it). */
export function portalAssets(site) {
  const loader = readFileSync(join(site, 'frontline.js'), 'utf8');
  const m = loader.match(/(\{"js":.*?"sri":\{.*?\}\})/);
  if (!m) throw new Error(`${site}/frontline.js has no asset list: run scripts/build.sh`);
  return JSON.parse(m[1]);
}

/** What the portal's first screen waits for: the glue (which holds the
 * stylesheet), the module and the default ruleset. */
export function firstScreenFiles(site) {
  const a = portalAssets(site);
  return [a.js, a.wasm, 'rules/default.json'];
}

/** The part fetched once the first screen is shown, when idle: the reader
 * of the ruleset's rest. */
export const restPart = (site) => readdirSync(site).filter((f) => f.startsWith('frontline-part-rest-'));

/** Everything the portal downloads when opened: the first screen's files,
 * then the rest part. */
export const openedFiles = (site) => [...firstScreenFiles(site), ...restPart(site)];

/**
 * Polls `check` (sync or async) every 50 ms until it returns a truthy value,
 * which it resolves with; throws `timed out waiting for <what>` after `ms`.
 */
export async function until(check, ms, what) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/**
 * A bounded wait for something that must NOT happen: no event can prove an
 * absence, so the test lets `ms` pass and then checks nothing happened.
 * `why` says what the quiet period covers (it documents the call site).
 */
export async function quietFor(page, ms, why) {
  if (!why) throw new Error('quietFor needs a reason');
  await page.waitForTimeout(ms);
}
