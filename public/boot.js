// Starts the portal on a page served under a strict Content-Security-Policy:
// a same-origin module instead of Trunk's inline script. The asset names come
// from the JSON block Trunk writes (see Trunk.toml `pattern_script`).
const assets = JSON.parse(document.getElementById('frontline-assets').textContent);
const { default: init, mount } = await import(new URL(assets.js, document.baseURI).href);
await init({ module_or_path: new URL(assets.wasm, document.baseURI) });
const container = document.getElementById('frontline');
if (container) {
  // Kept for the page's lifetime; `portal.destroy()` would unmount it.
  window.frontlinePortal = mount(container, container.dataset.config);
} else {
  console.error('Frontline: no element with id "frontline" to mount into');
}
