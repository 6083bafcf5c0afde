// Peak memory of `parapet check` writing each report format for about a million findings (35,000
// generated workloads, ~50 MB of YAML). Each format runs in its own process under /usr/bin/time,
// so the peak RSS is that run's alone. Usage: npm run build && node test/bench/reports-million.mjs
// [FORMAT...]; BENCH_DOCS sets the number of workloads.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { workloadStream } from './kubernetes-workloads.mjs';

const COUNT = Number(process.env.BENCH_DOCS ?? 35_000);
const all = ['text', 'json', 'sarif', 'junit', 'policy-report', 'markdown', 'html', 'github'];
const formats = process.argv.length > 2 ? process.argv.slice(2) : all;
const cli = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-bench-million-'));
try {
  const input = path.join(dir, 'workloads.yaml');
  writeFileSync(input, workloadStream(COUNT));
  console.log(`${COUNT} workloads, ${(statSync(input).size / 1024 / 1024).toFixed(1)} MiB of YAML`);
  console.log(
    `${'format'.padEnd(14)} ${'exit'.padStart(4)} ${'peak RSS MiB'.padStart(13)} ${'seconds'.padStart(8)} ${'report MiB'.padStart(11)}`,
  );
  for (const format of formats) {
    const output = path.join(dir, `report.${format}`);
    const run = spawnSync(
      '/usr/bin/time',
      ['-f', '%M %e', process.execPath, cli, 'check', input, '--format', format, '--output', output],
      { encoding: 'utf8', maxBuffer: 1 << 24 },
    );
    const last = run.stderr.trim().split('\n').at(-1) ?? '';
    const [kib, seconds] = last.split(' ').map(Number);
    let size = 0;
    try {
      size = statSync(output).size;
    } catch {
      // no report: the run failed, its exit code and stderr say why
    }
    console.log(
      `${format.padEnd(14)} ${String(run.status).padStart(4)} ${(kib / 1024).toFixed(0).padStart(13)} ${seconds.toFixed(1).padStart(8)} ${(size / 1024 / 1024).toFixed(1).padStart(11)}`,
    );
    if (format === 'text' && size) console.log(`  ${readFileSync(output, 'utf8').trimEnd().split('\n').at(-1)}`);
    if (run.status !== 1) console.log(`  ${run.stderr.trim().split('\n').slice(0, 3).join('\n  ')}`);
    rmSync(output, { force: true });
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
