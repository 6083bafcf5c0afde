// Runs one measurement of a benchmark script in a fresh process (so peak RSS and heap state are its
// own) and returns the JSON the child printed. Shared by the Terraform and cost benchmarks.
import { spawnSync } from 'node:child_process';

/** `node SCRIPT --child MODE FILE ROUNDS`, parsed from the child's stdout. */
export function runChild(script, mode, file, rounds) {
  const out = spawnSync(
    process.execPath,
    ['--expose-gc', '--max-old-space-size=4096', script, '--child', mode, file, String(rounds)],
    { encoding: 'utf8', maxBuffer: 1 << 20 },
  );
  if (out.status !== 0) throw new Error(`${mode} run failed: ${out.stderr}`);
  return JSON.parse(out.stdout);
}
