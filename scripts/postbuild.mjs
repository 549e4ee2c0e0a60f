// After `trunk build`: writes dist/frontline.js, the embed loader, with the
// hashed asset names and their Subresource Integrity hashes baked in, so the
// loader keeps one stable URL while the assets it loads are checked.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { minify } from 'terser';
import { assetBlock, hashName, sri } from './dist.mjs';

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
const assets = { js: strip(names.js), wasm: strip(names.wasm) };

// The wasm-bindgen glue, rewritten in four ways:
// - minified with terser (Trunk's JS minifier fails on it and leaves it as
//   is). Only local names shrink: the names the module imports and exports
//   are property keys and exports, which terser keeps;
// - its first line is Chrome's explicit compile hint: nearly every function
//   of the glue runs as the portal opens, and V8 then compiles them all
//   while the file streams in, off the main thread, instead of one by one
//   on first call on it (the mount 0.8 ms shorter, the code ready ~0.5 ms
//   later: docs/size.md, "How it opens"). Other browsers read a comment;
// - the portal's stylesheet (Trunk's minified style/portal.css) rides in it
//   as its `stylesheet` export, which the embed loader adopts into the
//   portal's shadow root: one request fewer when the portal opens (1–2 ms
//   on loopback, where a request costs more than its bytes), checked by
//   the glue's SRI hash. index.html keeps its <link>: a page's own
//   document.adoptedStyleSheets belong to the page, which may replace them;
// - it is named again after what it now holds (a change to the styles alone
//   must give it a new URL, or a cache would keep the old file), and
//   index.html's name and SRI hash for it follow.
const glue = readFileSync(join(dist, assets.js), 'utf8');
const stylesheet = readFileSync(join(dist, css[1]), 'utf8');
const glueMin = `//# allFunctionsCalledOnLoad\n${(await minify(glue, TERSER)).code}\nexport const stylesheet=${JSON.stringify(stylesheet)};\n`;
const glueName = `frontline-${hashName(glueMin)}.js`;
writeFileSync(join(dist, glueName), glueMin);
rmSync(join(dist, assets.js));
const oldSri = sri(glue);
if (!html.includes(oldSri)) throw new Error(`dist/index.html lacks the SRI hash of ${assets.js}`);
writeFileSync(join(dist, 'index.html'),
  html.replace(oldSri, sri(glueMin)).replaceAll(assets.js, glueName));
assets.js = glueName;

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
assets.sri = { js: fileSri(assets.js), wasm: fileSri(assets.wasm) };
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
