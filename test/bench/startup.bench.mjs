// Start-up cost of the CLI: `parapet --version` and a `check` of one small manifest with the whole
// built-in library, against `node -e 0`, each a fresh process, interleaved round by round so that
// load on a shared machine hits all of them alike. Also the same check with the library compiled
// from YAML at run time (PARAPET_NO_PRECOMPILED=1), to show what the precompiled library saves.
// Usage: npm run bench -- startup   (BENCH_ROUNDS, default 21; medians reported)
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const cli = path.join(root, 'dist/cli/main.js');
const manifest = path.join(root, 'fixtures/clean/web-deployment.yaml');
const rounds = Number(process.env.BENCH_ROUNDS ?? 21);

const cases = [
  { name: 'node -e 0', args: ['-e', '0'] },
  { name: 'parapet --version', args: [cli, '--version'] },
  { name: 'parapet check (1 manifest)', args: [cli, 'check', manifest] },
  {
    name: 'parapet check, library from YAML',
    args: [cli, 'check', manifest],
    env: { PARAPET_NO_PRECOMPILED: '1' },
  },
];

function once({ args, env }) {
  const start = process.hrtime.bigint();
  const out = spawnSync(process.execPath, args, {
    cwd: root,
    env: { ...process.env, NO_COLOR: '1', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  if (out.status !== 0 && out.status !== 1)
    throw new Error(`${args.join(' ')}: exit ${out.status}: ${out.stderr}`);
  return ms;
}

const times = cases.map(() => []);
for (const c of cases) once(c); // warm the file cache
for (let round = 0; round < rounds; round++) {
  // Rotate the order so that no case always runs first (or right after another).
  for (let i = 0; i < cases.length; i++) {
    const index = (i + round) % cases.length;
    times[index].push(once(cases[index]));
  }
}
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
};
const base = median(times[0]);
console.log(`start-up, ${rounds} interleaved rounds, median (min) wall time per process:`);
for (const [i, c] of cases.entries()) {
  const m = median(times[i]);
  const ratio = i === 0 ? '' : `  ${(m / base).toFixed(2)}x node -e 0`;
  console.log(
    `  ${c.name.padEnd(34)} ${m.toFixed(0).padStart(5)} ms (${Math.min(...times[i]).toFixed(0)})${ratio}`,
  );
}
console.log(
  `targets (issue 20): --version at most 1.5x, check at most 5x -> ${(median(times[1]) / base).toFixed(2)}x, ${(median(times[2]) / base).toFixed(2)}x`,
);
