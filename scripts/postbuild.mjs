// After `trunk build`: writes dist/frontline.js, the embed loader, with the
// hashed asset names and their Subresource Integrity hashes baked in, so the
// loader keeps one stable URL while the assets it loads are checked.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dist = process.argv[2] ?? 'dist';
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const block = html.match(/<script type="application\/json" id="frontline-assets">(.*?)<\/script>/);
const css = html.match(/<link rel="stylesheet" href="\.\/([^"]+\.css)"/);
if (!block || !css) throw new Error('dist/index.html lacks the asset block or the stylesheet: did trunk build run?');
const names = JSON.parse(block[1]);
const strip = (p) => p.replace(/^\.\//, '');
const assets = { js: strip(names.js), wasm: strip(names.wasm), css: css[1] };
const sri = (file) => `sha384-${createHash('sha384').update(readFileSync(join(dist, file))).digest('base64')}`;
assets.sri = { js: sri(assets.js), wasm: sri(assets.wasm), css: sri(assets.css) };
const source = readFileSync(new URL('../loader/frontline.js', import.meta.url), 'utf8');
if (!source.includes('__FRONTLINE_ASSETS__')) throw new Error('loader/frontline.js lacks the __FRONTLINE_ASSETS__ placeholder');
// A light, safe squeeze (the loader has a 3 KB gzip budget): drop whole-line
// comments and indentation. The source stays readable in loader/.
const squeezed = source
  .replace(/^\/\*![\s\S]*?\*\/\n/, '/*! Frontline loader, source: loader/frontline.js */\n')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('//') && !(line.startsWith('/**') && line.endsWith('*/')))
  .join('\n');
writeFileSync(join(dist, 'frontline.js'), squeezed.replace('__FRONTLINE_ASSETS__', JSON.stringify(assets)));
