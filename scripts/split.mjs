// After `trunk build`, before postbuild.mjs: code splitting. Cuts the parts
// the portal loads only when needed (the wizard, src/app.rs; the request
// part it loads, src/request_part.rs; the reader of the ruleset's rest,
// src/rest_part.rs; and a chunk of code the first two share) out of the
// WebAssembly that Trunk's cargo build linked (with relocations,
// .cargo/config.toml), then puts in dist/, instead of Trunk's glue and
// module:
// - the main module (wasm-bindgen with --keep-lld-exports: the parts link
//   against its table, memory and functions), optimised with wasm-opt;
// - each part, optimised, named by what it holds and its content
//   (frontline-part-request-<hash>.wasm), fetched with its SRI hash; the
//   small chunks of code several parts share are merged into each of them
//   (merge-chunks.mjs), the big one stays a part of its own ("shared");
// - the glue, with wasm-split's small loader inlined, so opening the portal
//   costs no extra request and every byte of code it runs is checked.
// index.html's asset names and hashes follow. Tools: wasm-split-cli
// (scripts/setup.sh pins it), wasm-bindgen and binaryen's wasm-opt (and its
// wasm-dis, wasm-as and wasm-merge).
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assetBlock, hashName, sri } from './dist.mjs';
import { mergeSmallChunks } from './merge-chunks.mjs';
import { UNKNOWN_NAMES, run as runTool } from './tool.mjs';
import { withoutExports } from './wasm-exports.mjs';

const dist = process.argv[2] ?? 'dist';
const linked = 'target/wasm32-unknown-unknown/release/frontline-portal.wasm';
const OPT_FLAGS = readFileSync(new URL('./wasm-opt.flags', import.meta.url), 'utf8').trim().split(/\s+/);
// FRONTLINE_NAMES=1 keeps the function names (a name section, -g) in every
// module, so a CPU profile of the built portal names its functions; never
// for a shipped build (the names more than double the modules' size).
if (process.env.FRONTLINE_NAMES === '1') {
  OPT_FLAGS.splice(0, OPT_FLAGS.length, '-g', ...OPT_FLAGS.filter((f) => f !== '--strip-debug'));
}

/** `text` with `from` replaced by `to`, which must occur exactly once. */
function replaceOnce(text, from, to, what) {
  const at = text.indexOf(from);
  if (at < 0 || text.indexOf(from, at + 1) >= 0) throw new Error(`split: expected exactly one ${what}`);
  return text.slice(0, at) + to + text.slice(at + from.length);
}

/** Runs a tool (`tool.mjs`). */
const run = (cmd, args, quiet) => runTool('split', cmd, args, quiet);

const work = mkdtempSync(join(tmpdir(), 'frontline-split-'));
try {
  run('wasm-split-cli', ['--target', 'web', '--out-name', 'portal', linked, work]);
  const folded = mergeSmallChunks(work);
  if (folded.length) console.error(`split: ${folded.length} small shared chunk(s) merged into their parts`);
  const parts = readdirSync(work).filter((f) => f.endsWith('.wasm') && f !== 'portal.wasm');
  if (parts.length === 0) throw new Error('split: no part was cut out (is the `split` feature on?)');
  run('wasm-bindgen', ['--target', 'web', '--keep-lld-exports', '--no-typescript',
    '--out-dir', join(work, 'bg'), '--out-name', 'portal', join(work, 'portal.wasm')]);

  const optimise = (input) => {
    const output = `${input}.opt`;
    run('wasm-opt', [...OPT_FLAGS, input, '-o', output], UNKNOWN_NAMES);
    return readFileSync(output);
  };
  // wasm-streams' classes, which Leptos' server functions bring and
  // wasm-bindgen exports: a client-side portal never makes one. Out of the
  // module (wasm-opt then drops their code) and of the glue (terser then
  // drops the classes).
  // Their exports are `<class>_<method>` and `__wbg_<class>_free`, in lower case.
  const UNUSED_CLASSES = ['IntoUnderlyingByteSource', 'IntoUnderlyingSink', 'IntoUnderlyingSource'];
  const unusedPrefixes = UNUSED_CLASSES.flatMap((c) => [`${c.toLowerCase()}_`, `__wbg_${c.toLowerCase()}_`]);
  const bgWasm = join(work, 'bg', 'portal_bg.wasm');
  const { wasm: stripped, dropped } = withoutExports(readFileSync(bgWasm), (name) => unusedPrefixes.some((p) => name.startsWith(p)));
  if (dropped.length === 0) throw new Error('split: wasm-streams exports not found: check the glue edit below');
  writeFileSync(bgWasm, stripped);
  const mainWasm = optimise(bgWasm);
  const mainName = `frontline-${hashName(mainWasm)}_bg.wasm`;

  // The parts' loader: fetches each part by its content name, checked.
  let loader = readFileSync(join(work, '__wasm_split.js'), 'utf8');
  const written = [[mainName, mainWasm]];
  for (const part of parts) {
    const bytes = optimise(join(work, part));
    // Named for what it holds (`split_request_part.wasm` → "request"; a
    // chunk of code two parts share → "shared") and by its content.
    const label = part.match(/^split_(\w+?)_part\.wasm$/)?.[1] ?? 'shared';
    const name = `frontline-part-${label}-${hashName(bytes)}.wasm`;
    loader = replaceOnce(loader, `fetch(new URL("./${part}", import.meta.url))`,
      `fetch(new URL("./${name}", import.meta.url), { integrity: "${sri(bytes)}" })`, `fetch of ${part}`);
    written.push([name, bytes]);
  }
  // Inlined into the glue: no import of initSync (the glue defines it), no
  // exports; the glue's import of the loader becomes an object of its loads.
  loader = replaceOnce(loader, 'import { initSync } from "./portal.js";\n', '', 'import of initSync');
  const loads = [...loader.matchAll(/^export const (\w+) = /gm)].map((m) => m[1]);
  loader = loader.replace(/^export const /gm, 'const ');
  let glue = readFileSync(join(work, 'bg', 'portal.js'), 'utf8');
  for (const name of UNUSED_CLASSES) {
    glue = replaceOnce(glue, `export class ${name} `, `class ${name} `, `class ${name}`);
    glue = replaceOnce(glue, `if (Symbol.dispose) ${name}.prototype[Symbol.dispose] = ${name}.prototype.free;\n`, '', `${name}'s dispose`);
  }
  // wasm-bindgen imports the loader once per split point that uses it.
  const imports = [...glue.matchAll(/^import \* as (\w+) from "\.\/__wasm_split\.js";?\n/gm)];
  if (imports.length === 0) throw new Error('split: the glue does not import ./__wasm_split.js');
  for (const [line] of imports) glue = glue.replace(line, '');
  glue = replaceOnce(glue, "'portal_bg.wasm'", `'${mainName}'`, 'default module path in the glue');
  glue += `\n// wasm-split's loader for the parts (scripts/split.mjs)\n${loader}\n`;
  const [first, ...others] = imports.map((m) => m[1]);
  glue += `const ${first} = { ${loads.join(', ')} };\n`;
  for (const name of others) glue += `const ${name} = ${first};\n`;
  const glueName = `frontline-${hashName(glue)}.js`;

  // Trunk's glue and module make way; index.html names ours.
  let html = readFileSync(join(dist, 'index.html'), 'utf8');
  const block = assetBlock(html);
  if (!block) throw new Error('split: dist/index.html lacks the asset block: did trunk build run?');
  const old = JSON.parse(block[1]);
  for (const [oldPath, name, bytes] of [[old.js, glueName, glue], [old.wasm, mainName, mainWasm]]) {
    const file = oldPath.replace(/^\.\//, '');
    const oldBytes = readFileSync(join(dist, file));
    if (!html.includes(sri(oldBytes))) throw new Error(`split: dist/index.html lacks the SRI hash of ${file}`);
    html = html.replaceAll(file, name).replaceAll(sri(oldBytes), sri(bytes));
    rmSync(join(dist, file));
  }
  writeFileSync(join(dist, 'index.html'), html);
  writeFileSync(join(dist, glueName), glue);
  for (const [name, bytes] of written) writeFileSync(join(dist, name), bytes);
} finally {
  rmSync(work, { recursive: true, force: true });
}
