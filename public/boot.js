// Starts the portal on a page served under a strict Content-Security-Policy:
// a same-origin module instead of Trunk's inline script. The asset names come
// from the JSON block Trunk writes (see Trunk.toml `pattern_script`).
const assets = JSON.parse(document.getElementById('frontline-assets').textContent);
const container = document.getElementById('frontline');
// The ruleset is fetched beside the code and handed to the portal: its text
// if it is here by then, else the promise (the portal reports a failure).
const config = container?.dataset.config;
let text;
const ruleset = config ? fetch(config).then((r) => (r.ok ? r.text() : r)) : undefined;
ruleset?.then((t) => { text = t; }, () => {});
const { default: init, mount } = await import(new URL(assets.js, document.baseURI).href);
await init({ module_or_path: new URL(assets.wasm, document.baseURI) });
// Its text is read in tasks that can wait behind the code's: a moment's
// wait for it draws the welcome screen at once, not a loading line first.
if (ruleset && typeof text !== 'string') await Promise.race([ruleset, new Promise((ok) => setTimeout(ok, 50))]).catch(() => {});
if (container) {
  // Kept for the page's lifetime; `portal.destroy()` would unmount it.
  window.frontlinePortal = mount(container, config, typeof text === 'string' ? text : ruleset);
} else {
  console.error('Frontline: no element with id "frontline" to mount into');
}
