// After `trunk build`: writes dist/frontline.js, the embed loader, with the
// hashed asset names and their Subresource Integrity hashes baked in, so the
// loader keeps one stable URL while the assets it loads are checked.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minify } from 'terser';
import { assetBlock, sri } from './dist.mjs';

/**
 * Minifies an ES module: two compress passes, local names mangled, and a
 * `new` whose result is unused is dropped (the glue's finalization
 * registries of classes split.mjs removed).
 */
const TERSER = { module: true, compress: { passes: 2, pure_new: true }, mangle: true, format: { comments: false } };

const dist = process.argv[2] ?? 'dist';
const html = readFileSync(join(dist, 'index.html'), 'utf8');
const block = assetBlock(html);
const css = html.match(/<link\b[^>]*\bhref="?\.\/([^"\s>]+\.css)"?/);
if (!block || !css) throw new Error('dist/index.html lacks the asset block or the stylesheet: did trunk build run?');
const names = JSON.parse(block[1]);
const strip = (p) => p.replace(/^\.\//, '');
const assets = { js: strip(names.js), wasm: strip(names.wasm), css: css[1] };

// The wasm-bindgen glue, minified with terser (Trunk's JS minifier fails on
// it and leaves it as is). Only local names shrink: the names the module
// imports and exports are property keys and exports, which terser keeps.
// Its SRI hash in index.html follows the new content.
const glue = readFileSync(join(dist, assets.js), 'utf8');
const glueMin = (await minify(glue, TERSER)).code + '\n';
writeFileSync(join(dist, assets.js), glueMin);
const oldSri = sri(glue);
if (!html.includes(oldSri)) throw new Error(`dist/index.html lacks the SRI hash of ${assets.js}`);
writeFileSync(join(dist, 'index.html'), html.replace(oldSri, sri(glueMin)));

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
// The loader, minified as the classic script it is (it has a 3 KB gzip
// budget) under a line naming its readable source in loader/. The asset
// list goes in after minifying, as one JSON object (tests and benchmarks
// read it back).
const loader = (await minify(source, {
  ...TERSER, module: false, format: { comments: false, preamble: '/*! Frontline loader, source: loader/frontline.js */' },
})).code;
if (!loader.includes('__FRONTLINE_ASSETS__')) throw new Error('minifying the loader lost its __FRONTLINE_ASSETS__ placeholder');
writeFileSync(join(dist, 'frontline.js'), loader.replace('__FRONTLINE_ASSETS__', JSON.stringify(assets)) + '\n');
