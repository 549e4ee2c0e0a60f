// The static floor (e2e/bench/open.mjs): what "open the portal" would cost
// with no WebAssembly at all. On click: fetch the portal's stylesheet, put the
// welcome screen's static markup (the <template>) into a Shadow DOM panel
// like the loader's, focus its heading, and dispatch `bench:ready`.
const PANEL_CSS = `:host{all:initial}
.fl-panel-host{position:fixed;right:20px;bottom:84px;z-index:2147483000;width:min(420px,calc(100vw - 24px));
max-height:min(720px,calc(100vh - 110px));overflow:auto;border-radius:14px;background:var(--fl-bg,#f6f7f9);
box-shadow:0 8px 32px rgba(0,0,0,.3)}`;
const button = document.getElementById('bench-launch');
button.addEventListener('click', async () => {
  const css = await fetch(new URL('portal.css', document.baseURI)).then((r) => r.text());
  const panelSheet = new CSSStyleSheet();
  panelSheet.replaceSync(PANEL_CSS);
  const portalSheet = new CSSStyleSheet();
  portalSheet.replaceSync(css);
  const host = document.createElement('div');
  host.setAttribute('data-bench-static', '');
  const root = host.attachShadow({ mode: 'open' });
  root.adoptedStyleSheets = [panelSheet, portalSheet];
  const panel = document.createElement('div');
  panel.className = 'fl-panel-host';
  panel.setAttribute('role', 'dialog');
  panel.setAttribute('aria-label', 'Help');
  panel.append(document.getElementById('bench-welcome').content.cloneNode(true));
  root.append(panel);
  document.body.append(host);
  root.querySelector('h1').focus();
  host.dispatchEvent(new CustomEvent('bench:ready', { bubbles: true, composed: true }));
}, { once: true });
