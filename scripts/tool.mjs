// Running the build's command-line tools from scripts/split.mjs and
// scripts/merge-chunks.mjs.
import { spawnSync } from 'node:child_process';

/** binaryen's warning about the name subsection wasm-split writes, which it
 * does not know: noise (the names go anyway, or are kept as they are). */
export const UNKNOWN_NAMES = /^warning: unknown name subsection with id \d+ at \d+$/;

/**
 * Runs `cmd` with `args` and returns its standard output. Its error output
 * passes through, less the lines `quiet` matches; a failure throws, naming
 * `who` ran what.
 */
export function run(who, cmd, args, quiet = /^$/) {
  const { status, stdout, stderr } = spawnSync(cmd, args,
    { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 256 << 20 });
  const shown = stderr.split('\n').filter((l) => l && !quiet.test(l));
  if (shown.length) process.stderr.write(`${shown.join('\n')}\n`);
  if (status !== 0) throw new Error(`${who}: ${cmd} failed (${status})`);
  return stdout;
}
