// After `trunk build`: writes dist/frontline.js, the embed loader, with the
// hashed asset names and their Subresource Integrity hashes baked in, so the
// loader keeps one stable URL while the assets it loads are checked.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { assetBlock, sri } from './dist.mjs';

const dist = process.argv[2] ?? 'dist';
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const block = assetBlock(html);
const css = html.match(/<link\b[^>]*\bhref="?\.\/([^"\s>]+\.css)"?/);
if (!block || !css) throw new Error('dist/index.html lacks the asset block or the stylesheet: did trunk build run?');
const names = JSON.parse(block[1]);
const strip = (p) => p.replace(/^\.\//, '');
const assets = { js: strip(names.js), wasm: strip(names.wasm), css: css[1] };

// The wasm-bindgen glue, squeezed (Trunk's JS minifier fails on it and
// leaves it as is): doc comments, comment lines and indentation go, every
// statement stays on its own line (the glue has no multi-line strings).
// Its SRI hash in index.html follows the new content.
const glue = readFileSync(join(dist, assets.js), 'utf8');
const code = glue.replace(/\/\*\*[\s\S]*?\*\//g, '').split('\n').filter((l) => !l.trim().startsWith('//'));
if (code.some((line) => (line.match(/`/g) || []).length % 2)) {
  throw new Error(`${assets.js}: maybe a multi-line template literal, which the squeeze would alter`);
}
const glueSqueezed = glue
  .replace(/\/\*\*[\s\S]*?\*\//g, '')
  .split('\n')
  .map((line) => line.trim())
  .filter((line) => line && !line.startsWith('//'))
  .join('\n');
writeFileSync(join(dist, assets.js), glueSqueezed + '\n');
const oldSri = sri(glue);
if (!html.includes(oldSri)) throw new Error(`dist/index.html lacks the SRI hash of ${assets.js}`);
writeFileSync(join(dist, 'index.html'), html.replace(oldSri, sri(glueSqueezed + '\n')));

// The default ruleset without insignificant white space: the same tokens, so
// the same JSON (and the same canonical hash); the readable source stays in
// public/rules/.
const rulesFile = join(dist, 'rules', 'default.json');
const rulesText = readFileSync(rulesFile, 'utf8');
let compact = '';
for (let i = 0, inString = false; i < rulesText.length; i++) {
  const c = rulesText[i];
  if (inString) {
    compact += c;
    if (c === '\\') compact += rulesText[++i];
    else if (c === '"') inString = false;
  } else if (c === '"') {
    inString = true;
    compact += c;
  } else if (!' \t\n\r'.includes(c)) {
    compact += c;
  }
}
if (JSON.stringify(JSON.parse(compact)) !== JSON.stringify(JSON.parse(rulesText))) {
  throw new Error('squeezing rules/default.json changed its content');
}
writeFileSync(rulesFile, compact);

const fileSri = (file) => sri(readFileSync(join(dist, file)));
assets.sri = { js: fileSri(assets.js), wasm: fileSri(assets.wasm), css: fileSri(assets.css) };
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
