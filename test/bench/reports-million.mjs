// Peak memory of `parapet check` writing each report format for about a million findings
// (BENCH_DOCS generated workloads, default 35,000, ~50 MB of YAML; 90,000 give ~1,000,000 findings).
// Each format runs in its own process under /usr/bin/time, so the peak RSS is that run's alone.
// A reference process that reads the same documents as one JSON text and JSON.parse's them runs
// first and last, so every format is also given as a ratio to it measured in the same run.
// Usage: npm run build && node test/bench/reports-million.mjs [FORMAT...]
import { spawnSync } from 'node:child_process';
import {
  closeSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { workloadStream } from './kubernetes-workloads.mjs';

const COUNT = Number(process.env.BENCH_DOCS ?? 35_000);
const all = ['text', 'json', 'sarif', 'junit', 'policy-report', 'markdown', 'html', 'github'];
const formats = process.argv.length > 2 ? process.argv.slice(2) : all;
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

/** Runs one command under /usr/bin/time: [exit, peak RSS MiB, seconds, stderr]. */
function measure(args) {
  const run = spawnSync('/usr/bin/time', ['-f', '%M %e', process.execPath, ...args], {
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  const last = run.stderr.trim().split('\n').at(-1) ?? '';
  const [kib, seconds] = last.split(' ').map(Number);
  return [run.status, kib / 1024, seconds, run.stderr];
}

const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-bench-million-'));
try {
  const input = path.join(dir, 'workloads.yaml');
  const yamlText = workloadStream(COUNT);
  writeFileSync(input, yamlText);
  // The same documents as one JSON array, written a document at a time so the generator stays small.
  const jsonInput = path.join(dir, 'workloads.json');
  const fd = openSync(jsonInput, 'w');
  writeSync(fd, '[');
  yamlText.split('\n---\n').forEach((doc, i) => writeSync(fd, (i ? ',' : '') + JSON.stringify(parse(doc))));
  writeSync(fd, ']');
  closeSync(fd);
  console.log(
    `${COUNT} workloads, ${(statSync(input).size / 1024 / 1024).toFixed(1)} MiB of YAML (${(statSync(jsonInput).size / 1024 / 1024).toFixed(1)} MiB as JSON)`,
  );
  const referenceScript = `const d = JSON.parse(require('fs').readFileSync(${JSON.stringify(jsonInput)}, 'utf8')); if (!d.length) process.exit(3);`;
  const reference = () => measure(['-e', referenceScript]);
  const [refExit, refMiB, refSeconds] = reference();
  console.log(
    `reference (read + JSON.parse of the JSON): exit ${refExit}, ${refMiB.toFixed(0)} MiB, ${refSeconds.toFixed(1)} s`,
  );
  console.log(
    `${'format'.padEnd(14)} ${'exit'.padStart(4)} ${'peak RSS MiB'.padStart(13)} ${'x ref'.padStart(6)} ${'seconds'.padStart(8)} ${'x ref'.padStart(6)} ${'report MiB'.padStart(11)}`,
  );
  for (const format of formats) {
    const output = path.join(dir, `report.${format}`);
    const [status, mib, seconds, stderr] = measure([
      cli,
      'check',
      input,
      '--format',
      format,
      '--output',
      output,
    ]);
    let size = 0;
    try {
      size = statSync(output).size;
    } catch {
      // no report: the run failed, its exit code and stderr say why
    }
    console.log(
      `${format.padEnd(14)} ${String(status).padStart(4)} ${mib.toFixed(0).padStart(13)} ${(mib / refMiB).toFixed(2).padStart(6)} ${seconds.toFixed(1).padStart(8)} ${(seconds / refSeconds).toFixed(1).padStart(6)} ${(size / 1024 / 1024).toFixed(1).padStart(11)}`,
    );
    if (format === 'text' && size)
      console.log(`  ${readFileSync(output, 'utf8').trimEnd().split('\n').at(-1)}`);
    if (status !== 1) console.log(`  ${stderr.trim().split('\n').slice(0, 3).join('\n  ')}`);
    rmSync(output, { force: true });
  }
  const [, endMiB, endSeconds] = reference();
  console.log(`reference again at the end: ${endMiB.toFixed(0)} MiB, ${endSeconds.toFixed(1)} s`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
