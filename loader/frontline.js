/*! Frontline loader: one tag puts the support portal on any page.
 * <script src=".../frontline.js" data-config=".../rules/default.json" defer></script>
 * Draws a launcher; loads the WebAssembly portal only when the visitor shows
 * intent (hover, focus, click). Nothing is stored and nothing else is fetched
 * before that. The portal lives in a Shadow DOM. API: window.Frontline. */
(() => {
  'use strict';
  const ASSETS = __FRONTLINE_ASSETS__;
  const script = document.currentScript;
  const base = new URL('.', script.src);
  const at = (path) => new URL(path, base).href;
  // data-config is a URL as written in the page; the default sits beside the loader.
  const config = script.dataset.config ? new URL(script.dataset.config, document.baseURI).href : at('rules/default.json');
  let app; // the wasm module's exports, once loaded
  const sheet = (css) => { const s = new CSSStyleSheet(); s.replaceSync(css); return s; };
  let portalCss;

  let glue; // the glue's checked preload, once

  /** Starts the download of the portal's JavaScript glue, checked (once).
   * import() takes no integrity: a modulepreload with it fills the module map
   * first, so the import in load() gets the checked module or fails. That
   * import joins the preload's fetch (one module map entry per URL) instead
   * of waiting for its load event, which comes milliseconds later; a refused
   * script fails both, and the preload says why. */
  function preloadGlue() {
    glue ||= (() => {
      const preload = document.createElement('link');
      preload.rel = 'modulepreload';
      preload.href = at(ASSETS.js);
      preload.integrity = ASSETS.sri.js;
      preload.crossOrigin = 'anonymous';
      preload.fetchPriority = 'high'; // a preload's default is low
      const preloaded = new Promise((ok, fail) => { preload.onload = ok; preload.onerror = () => fail(new Error('the portal script failed its integrity check')); });
      preloaded.catch(() => {}).finally(() => preload.remove());
      document.head.append(preload);
      return preloaded;
    })();
    return glue;
  }

  /** Loads the portal's code and styles once, checking their integrity. */
  function load() {
    app ||= (async () => {
      // The downloads start together, in the order they are needed (each
      // fetch() takes the page a moment): the glue (which holds the
      // stylesheet) must run first, then the module, which compiles as it
      // streams in.
      const preloaded = preloadGlue();
      const wasm = fetch(at(ASSETS.wasm), { integrity: ASSETS.sri.wasm }).then((r) => {
        if (!r.ok) throw new Error(`HTTP ${r.status} for ${r.url}`);
        // Streaming needs the wasm media type; a server without it still works.
        return /^application\/wasm\b/.test(r.headers.get('content-type'))
          ? WebAssembly.compileStreaming(r) : r.arrayBuffer().then((b) => WebAssembly.compile(b));
      });
      wasm.catch(() => {}); // reported below, once awaited
      const mod = await import(at(ASSETS.js)).catch((e) => preloaded.then(() => { throw e; }));
      await mod.default({ module_or_path: await wasm });
      portalCss = sheet(mod.stylesheet);
      return mod;
    })();
    return app;
  }

  const LAUNCHER_CSS = `:host{all:initial}
.fl-launch{position:fixed;right:20px;bottom:20px;z-index:2147483000;font:600 16px/1 system-ui,sans-serif;
padding:14px 20px;border-radius:999px;border:0;cursor:pointer;color:var(--fl-brand-contrast,#fff);background:var(--fl-brand,#0b5cad);
box-shadow:0 4px 16px rgba(0,0,0,.25)}
.fl-launch:focus-visible{outline:3px solid var(--fl-focus,#1a73e8);outline-offset:3px}
.fl-panel-host{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:min(420px,calc(100vw - 24px));
max-height:min(720px,calc(100vh - 110px));overflow:auto;border-radius:14px;background:var(--fl-bg,#f6f7f9);
box-shadow:0 8px 32px rgba(0,0,0,.3)}
.fl-panel-host[hidden]{display:none}
@media (max-width:480px){.fl-panel-host{right:12px;bottom:76px}}`;

  /** Mounts a portal into `parent`, inside the shadow root `root` of `host`. */
  async function mountInto(host, root, parent = root) {
    const rules = host.getAttribute('config') || config;
    // Fetched and read beside the code, then handed to the portal: its text
    // if it is here (the welcome screen is drawn at once), else the promise
    // of it or of the failed response (the portal reports a failure).
    preloadGlue(); // first: the glue must arrive and run before the rest
    let text;
    const ruleset = fetch(rules).then((r) => (r.ok ? r.text() : r));
    ruleset.then((t) => { text = t; }, () => {});
    const mod = await load();
    // Its bytes are usually here before the code, but its text is read in
    // tasks of the page's own, which can wait behind the code's (a third of
    // the opens measured): a moment's wait for them draws the welcome
    // screen at once rather than a loading line first (~7 ms sooner).
    if (typeof text !== 'string') await Promise.race([ruleset, new Promise((ok) => setTimeout(ok, 50))]).catch(() => {});
    root.adoptedStyleSheets = [...root.adoptedStyleSheets, portalCss];
    const div = document.createElement('div');
    parent.append(div);
    const portal = mod.mount(div, rules, typeof text === 'string' ? text : ruleset);
    host.dispatchEvent(new CustomEvent('frontline:ready', { bubbles: true, composed: true }));
    return portal;
  }

  // Inline mode: <frontline-portal config="..."></frontline-portal>.
  if (!customElements.get('frontline-portal')) {
    customElements.define('frontline-portal', class extends HTMLElement {
      connectedCallback() {
        if (this.shadowRoot) return;
        const root = this.attachShadow({ mode: 'open' });
        mountInto(this, root).then((p) => { this.portal = p; });
      }
      disconnectedCallback() { this.portal?.destroy(); this.portal = undefined; }
    });
  }

  if (script.dataset.launcher === 'off') return;
  const host = document.createElement('div');
  host.setAttribute('data-frontline', '');
  const root = host.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = [sheet(LAUNCHER_CSS)];
  const button = document.createElement('button');
  button.className = 'fl-launch';
  button.type = 'button';
  button.textContent = script.dataset.label || 'Help';
  button.setAttribute('aria-expanded', 'false');
  const panel = document.createElement('div');
  panel.className = 'fl-panel-host';
  panel.hidden = true;
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', button.textContent);
  root.append(panel, button);
  let portal;
  let mounting;
  let prefilled;
  let locale;
  const handlers = [];
  const emit = (name, detail = {}) =>
    host.dispatchEvent(new CustomEvent(`frontline:${name}`, { bubbles: true, composed: true, detail }));
  const intent = () => { load().catch((e) => console.error('Frontline: could not load the portal', e)); };
  button.addEventListener('pointerenter', intent, { once: true });
  button.addEventListener('focus', intent, { once: true });
  /** Mounts the launcher's portal once, however many times it is asked for. */
  const ensurePortal = () => (mounting ||= mountInto(host, root, panel).then((p) => {
    if (prefilled) p.prefill(prefilled);
    if (locale) p.setLocale(locale);
    return (portal = p);
  }));
  async function open() {
    await ensurePortal().catch((e) => { console.error('Frontline: could not start', e); });
    panel.hidden = false;
    button.setAttribute('aria-expanded', 'true');
    emit('open');
  }
  function close() {
    panel.hidden = true;
    button.setAttribute('aria-expanded', 'false');
    emit('close');
    button.focus();
  }
  const toggle = () => (panel.hidden ? open() : close());
  button.addEventListener('click', toggle);
  root.addEventListener('keydown', (e) => { if (e.key === 'Escape' && !panel.hidden) close(); });
  // The one exception to "nothing before the visitor acts": a request saved
  // on an earlier visit and not yet delivered. Then the portal starts hidden
  // and resumes sending (reading storage writes nothing).
  // Saved requests live under "frontline.outbox:<id>" (the first version:
  // "frontline.outbox"); only those still to send wake the portal, not one
  // refused for good (the customer was told) nor one unreadable.
  const pending = () => {
    try {
      return Object.keys(localStorage).some((k) => k.startsWith('frontline.outbox') &&
        /"state":"(pending|sending)"/.test(localStorage.getItem(k)));
    } catch { return false; }
  };
  // Storage is read once the page is idle, not while it loads: a page's
  // first read of a storage is a synchronous round trip to the browser
  // (session storage: 0.7–7 ms measured here). Session storage holds the
  // journey the portal's first screen looks for, so reading it now takes
  // that wait off the open. Nothing is written.
  const whenIdle = window.requestIdleCallback
    ? (f) => requestIdleCallback(f, { timeout: 2000 })
    : (f) => setTimeout(f, 0);
  const attach = () => {
    document.body.append(host);
    whenIdle(() => {
      if (!host.isConnected) return; // destroyed meanwhile
      if (pending()) {
        ensurePortal().catch((e) => console.error('Frontline: could not resume sending', e));
      }
      try { sessionStorage.getItem('frontline'); } catch { /* blocked: the portal copes */ }
    });
  };
  if (document.body) attach(); else document.addEventListener('DOMContentLoaded', attach, { once: true });

  window.Frontline = {
    open, close, toggle,
    /** Fills the request form: {name, email, phone, company, tenant, subscription_id, product}. */
    prefill(fields) { prefilled = JSON.stringify(fields || {}); portal?.prefill(prefilled); },
    setLocale(tag) { locale = String(tag); portal?.setLocale(locale); },
    /** ready, open, close, step, resolved, escalated, submitted, queued, failed: handler(detail). */
    on(name, handler) {
      const listener = (e) => handler(e.detail);
      host.addEventListener(`frontline:${name}`, listener);
      handlers.push([`frontline:${name}`, listener]);
    },
    destroy() {
      portal?.destroy();
      portal = undefined;
      mounting = undefined;
      handlers.splice(0).forEach(([type, listener]) => host.removeEventListener(type, listener));
      host.remove();
      delete window.Frontline;
    },
  };
})();
