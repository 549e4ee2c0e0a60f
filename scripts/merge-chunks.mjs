// Part of the code splitting (split.mjs): folds wasm-split's small shared
// chunks into the parts that need them.
//
// wasm-split puts the code two or more parts use, and only they, in a chunk
// of its own, fetched with each of them. With three parts a few chunks are a
// handful of generic functions and strings (~0.1–1.5 KB), each one more
// request, integrity check and instantiation whenever a part loads. Such a
// chunk is merged into every part that needs it instead, and no longer
// fetched. That is sound because a chunk only writes its functions into
// fixed slots of the main module's table and its data at fixed addresses of
// the shared memory: loading two parts that both hold it writes the same
// read-only bytes and equivalent functions twice. A chunk with data that can
// change (non-empty `.data` or `.bss`) would be reset by the second write:
// it is refused. Big chunks stay shared (merging would download them twice).
//
// Tools: binaryen's wasm-dis, wasm-as and wasm-merge (scripts/setup.sh).
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UNKNOWN_NAMES, run } from './tool.mjs';
import { withoutExports } from './wasm-exports.mjs';

/** Chunks under this size are merged into their parts (raw bytes, before
 * wasm-opt: ~4× what is shipped). */
export const MERGE_BELOW = 16 << 10;

/** What the parts import from the main module, re-exported by a part for
 * its chunks while merging, then dropped. */
const LINK = '__wasm_split';

/** The build's features (wasm-opt.flags), not `-all`: with every feature
 * on, binaryen writes encodings (compact imports) that wasm-opt then refuses. */
const FEATURES = readFileSync(new URL('./wasm-opt.flags', import.meta.url), 'utf8').trim().split(/\s+/)
  .filter((f) => f.startsWith('--enable-'));

const binaryen = (tool, args) => run('merge-chunks', tool, [...FEATURES, ...args], UNKNOWN_NAMES);

/** The module's imports from the main module: [kind, name, index text]. */
function linkImports(wat) {
  return [...wat.matchAll(/^ \(import "__wasm_split" "([^"]+)" \((memory|table|global|func) (\$[^\s)]+)/gm)]
    .map(([, name, kind, id]) => ({ name, kind, id }));
}

/**
 * Merges the small chunks in `dir` (wasm-split's output: `chunk_N.wasm`,
 * `split_<name>.wasm`, `__wasm_split.js`) into their parts, rewriting the
 * loader so they are no longer fetched. Returns the names of the merged
 * chunks.
 */
export function mergeSmallChunks(dir) {
  const loaderPath = join(dir, '__wasm_split.js');
  let loader = readFileSync(loaderPath, 'utf8');
  const small = [...loader.matchAll(/const (__chunk_(\d+)) = makeLoad\(/g)]
    .map(([, variable, n]) => ({ variable, file: `chunk_${n}.wasm` }))
    .filter((c) => statSync(join(dir, c.file)).size < MERGE_BELOW);
  if (small.length === 0) return [];
  const wats = new Map();
  for (const chunk of small) {
    const wat = binaryen('wasm-dis', [join(dir, chunk.file)]);
    for (const m of wat.matchAll(/^ \(data \$(\.data|\.bss)\S* \(i32\.const \d+\) "([^"]*)"\)/gm)) {
      if (m[2] !== '') throw new Error(`merge-chunks: ${chunk.file} holds mutable data (${m[1]}): it cannot be loaded twice`);
    }
    wats.set(chunk.variable, wat);
  }
  // Each part's loader: `export const __wasm_split_load_<name> = wrapAsyncCb(makeLoad(() => {
  // ... fetch(new URL("./split_<name>.wasm" ... }, [deps]));`
  const parts = [...loader.matchAll(/fetch\(new URL\("\.\/(split_\w+\.wasm)"[^]*?\n, \[([^\]]*)\]\)\)/g)];
  for (const [whole, file, depList] of parts) {
    const deps = depList.split(',').map((d) => d.trim()).filter(Boolean);
    const merged = deps.filter((d) => wats.has(d));
    if (merged.length === 0) continue;
    const partPath = join(dir, file);
    let wat = binaryen('wasm-dis', [partPath]);
    // The part re-exports what it imports, under a module name of its own,
    // so that the chunks' imports resolve to the very same imports.
    const imports = linkImports(wat);
    const lastImport = [...wat.matchAll(/^ \(import .*\n/gm)].at(-1);
    const reexports = imports.map((i) => ` (export "${i.name}" (${i.kind} ${i.id}))\n`).join('');
    wat = wat.slice(0, lastImport.index + lastImport[0].length) + reexports + wat.slice(lastImport.index + lastImport[0].length);
    const work = (name) => join(dir, `merge-${name}`);
    writeFileSync(work('part.wat'), wat);
    binaryen('wasm-as', [work('part.wat'), '-o', work('part.wasm')]);
    const args = [work('part.wasm'), 'part'];
    for (const variable of merged) {
      const chunkWat = wats.get(variable).replaceAll(`(import "${LINK}" `, '(import "part" ');
      for (const i of linkImports(wats.get(variable))) {
        if (!imports.some((p) => p.name === i.name)) throw new Error(`merge-chunks: ${variable} imports ${i.name}, which ${file} does not`);
      }
      writeFileSync(work(`${variable}.wat`), chunkWat);
      binaryen('wasm-as', [work(`${variable}.wat`), '-o', work(`${variable}.wasm`)]);
      args.push(work(`${variable}.wasm`), variable);
    }
    binaryen('wasm-merge', [...args, '-o', work('merged.wasm')]);
    const names = new Set(imports.map((i) => i.name));
    const { wasm, dropped } = withoutExports(readFileSync(work('merged.wasm')), (name) => names.has(name));
    if (dropped.length !== names.size) throw new Error(`merge-chunks: ${file}'s re-exports were not all found`);
    writeFileSync(partPath, wasm);
    for (const f of ['part.wat', 'part.wasm', 'merged.wasm', ...merged.flatMap((v) => [`${v}.wat`, `${v}.wasm`])]) rmSync(work(f));
    const kept = deps.filter((d) => !wats.has(d));
    loader = loader.replace(whole, whole.slice(0, whole.lastIndexOf('[')) + `[${kept.join(', ')}]))`);
  }
  for (const { variable, file } of small) {
    if (new RegExp(`\\b${variable}\\b(?! = makeLoad)`).test(loader)) throw new Error(`merge-chunks: ${variable} is still needed`);
    const at = loader.indexOf(`const ${variable} = makeLoad(`);
    const start = loader.lastIndexOf('\n', at - 2) + 1; // its comment line: the parts that need it
    if (!loader.startsWith('/*', start)) throw new Error(`merge-chunks: no comment line before ${variable}`);
    const end = loader.indexOf('\n, []);\n', at) + '\n, []);\n'.length;
    loader = loader.slice(0, start) + loader.slice(end);
    rmSync(join(dir, file));
  }
  writeFileSync(loaderPath, loader);
  return small.map((c) => c.file);
}
