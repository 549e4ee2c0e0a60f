// Removes exports from a WebAssembly module by name: the export section is
// rewritten without them, every other byte kept; wasm-opt then drops the
// code only they kept alive. Used by split.mjs.

/** The unsigned LEB128 at `at`: [value, offset after it]. */
function uleb(bytes, at) {
  let value = 0;
  let shift = 0;
  let byte;
  do {
    byte = bytes[at++];
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
  } while (byte & 0x80);
  return [value, at];
}

/** `value` as unsigned LEB128 bytes. */
function ulebBytes(value) {
  const out = [];
  do {
    const low = value % 128;
    value = Math.floor(value / 128);
    out.push(value > 0 ? low | 0x80 : low);
  } while (value > 0);
  return out;
}

const EXPORT_SECTION = 7;

/** `wasm` without the exports for which `drop(name)` is true, and their names. */
export function withoutExports(wasm, drop) {
  const decoder = new TextDecoder();
  for (let at = 8; at < wasm.length;) { // after the magic number and version
    const [size, body] = uleb(wasm, at + 1);
    const end = body + size;
    if (wasm[at] !== EXPORT_SECTION) {
      at = end;
      continue;
    }
    let [count, p] = uleb(wasm, body);
    const kept = [];
    let keptCount = 0;
    const dropped = [];
    while (count-- > 0) {
      const start = p;
      const [length, name] = uleb(wasm, p);
      const text = decoder.decode(wasm.subarray(name, name + length));
      p = uleb(wasm, name + length + 1)[1]; // the kind byte, then the index
      if (drop(text)) {
        dropped.push(text);
      } else {
        kept.push(...wasm.subarray(start, p));
        keptCount++;
      }
    }
    const entries = [...ulebBytes(keptCount), ...kept];
    const bytes = [EXPORT_SECTION, ...ulebBytes(entries.length), ...entries];
    const out = new Uint8Array(at + bytes.length + (wasm.length - end));
    out.set(wasm.subarray(0, at), 0);
    out.set(bytes, at);
    out.set(wasm.subarray(end), at + bytes.length);
    return { wasm: out, dropped };
  }
  return { wasm, dropped: [] };
}
