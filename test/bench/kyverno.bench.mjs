// Kyverno: the PSS baseline written as Kyverno validate patterns (fixtures/kyverno/pss-baseline)
// against parapet's native PSS baseline policies, on the same 10,000 workload documents, in the
// same process. Both engines check resources already loaded, so the ratio is the rules' cost alone.
// The Kyverno CLI is measured on the same input when it is built (see below).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, defaultSettings, loadInputs, loadPolicies } from '../../dist/index.js';
import { workloadStream } from './kubernetes-workloads.mjs';

const COUNT = Number(process.env.BENCH_DOCS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-kyverno-bench-'));
const file = path.join(dir, 'workloads.yaml');
writeFileSync(file, workloadStream(COUNT));
const { resources } = await loadInputs([file]);

const kyvernoPolicies = await loadPolicies({
  builtin: false,
  paths: [path.join(repo, 'fixtures/kyverno/pss-baseline')],
});
const nativePolicies = (await loadPolicies({ builtin: true })).filter((p) =>
  p.id.startsWith('pss-baseline-'),
);
const kyverno = await createEngine(kyvernoPolicies, defaultSettings());
const native = await createEngine(nativePolicies, defaultSettings());

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(engine) {
  globalThis.gc?.();
  const start = process.hrtime.bigint();
  const result = await engine.evaluate(resources);
  return [Number(process.hrtime.bigint() - start) / 1e6, result];
}

const [, kyvernoWarm] = await time(kyverno);
const [, nativeWarm] = await time(native);
const kyvernoTimes = [];
const nativeTimes = [];
for (let round = 0; round < ROUNDS; round += 1) {
  kyvernoTimes.push((await time(kyverno))[0]);
  nativeTimes.push((await time(native))[0]);
}
const kyvernoMs = median(kyvernoTimes);
const nativeMs = median(nativeTimes);
const failing = (result) => result.findings.filter((f) => f.status === 'fail').length;
console.log(`input: ${COUNT} workload documents, ${resources.length} resources`);
console.log(
  `Kyverno-format PSS baseline: ${kyverno.policies.length} rules (autogen included), ${failing(kyvernoWarm)} failing findings; ${kyvernoMs.toFixed(0)} ms = ${Math.round((COUNT / kyvernoMs) * 1000)} docs/s`,
);
console.log(
  `native PSS baseline: ${native.policies.length} policies, ${failing(nativeWarm)} failing findings; ${nativeMs.toFixed(0)} ms = ${Math.round((COUNT / nativeMs) * 1000)} docs/s`,
);
console.log(
  `ratio Kyverno-format / native: ${(kyvernoMs / nativeMs).toFixed(2)}x (median of ${ROUNDS} rounds)`,
);

// The Kyverno CLI, when built (test/bench/build-kyverno-cli.sh) or on PATH: both CLIs end to end on
// the same file, as fresh processes interleaved round by round, and the failing rule results of
// each, which must be equal for the times to compare like with like.
const cliCandidates = [
  process.env.KYVERNO_CLI,
  path.join(process.env.PARAPET_CACHE ?? '/var/cache/parapet', 'bin', 'kyverno'),
  'kyverno',
].filter(Boolean);
const kyvernoCli = cliCandidates.find(
  (candidate) => spawnSync(candidate, ['version'], { encoding: 'utf8' }).status === 0,
);
if (kyvernoCli) {
  const CLI_ROUNDS = Number(process.env.BENCH_CLI_ROUNDS ?? 3);
  const policyFile = path.join(repo, 'fixtures/kyverno/pss-baseline/pod-security-baseline.yaml');
  const wall = (command, args) => {
    const start = process.hrtime.bigint();
    const run = spawnSync(command, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
    if (run.error) throw run.error;
    return { ms: Number(process.hrtime.bigint() - start) / 1e6, run };
  };
  const parapetArgs = [
    path.join(repo, 'dist/cli/main.js'),
    'check',
    '--no-builtin',
    '--policies',
    policyFile,
    '--format',
    'json',
    file,
  ];
  const kyvernoArgs = ['apply', policyFile, '--resource', file];
  const parapetRuns = [];
  const cliRuns = [];
  for (let round = 0; round < CLI_ROUNDS; round += 1) {
    parapetRuns.push(wall(process.execPath, parapetArgs));
    cliRuns.push(wall(kyvernoCli, kyvernoArgs));
  }
  const report = JSON.parse(parapetRuns[0].run.stdout);
  const parapetFails = report.findings.filter((f) => f.status === 'fail').length;
  const summary = /pass: (\d+), fail: (\d+), warn: (\d+), error: (\d+), skip: (\d+)/.exec(
    cliRuns[0].run.stdout,
  );
  const cliFails = summary ? Number(summary[2]) : NaN;
  const parapetMs = median(parapetRuns.map((r) => r.ms));
  const cliMs = median(cliRuns.map((r) => r.ms));
  console.log(
    `kyverno CLI ${spawnSync(kyvernoCli, ['version'], { encoding: 'utf8' }).stdout.match(/Version: (\S+)/)?.[1] ?? '?'} (${kyvernoCli}), end to end on the same ${COUNT} documents, median of ${CLI_ROUNDS} interleaved rounds:`,
  );
  console.log(
    `  parapet check: ${parapetMs.toFixed(0)} ms = ${Math.round((COUNT / parapetMs) * 1000)} docs/s, ${parapetFails} failing rule results`,
  );
  console.log(
    `  kyverno apply: ${cliMs.toFixed(0)} ms = ${Math.round((COUNT / cliMs) * 1000)} docs/s, ${summary ? `${summary[0]}` : 'no summary line'}`,
  );
  console.log(
    `  ratio kyverno apply / parapet check: ${(cliMs / parapetMs).toFixed(2)}x; failing results ${parapetFails === cliFails ? 'agree' : `DIFFER (parapet ${parapetFails}, kyverno ${cliFails})`}`,
  );
  if (parapetFails !== cliFails) process.exitCode = 1;
} else {
  console.log(
    'kyverno CLI not found (KYVERNO_CLI, /var/cache/parapet/bin/kyverno, PATH): build it with test/bench/build-kyverno-cli.sh; the CLI comparison is skipped',
  );
}
rmSync(dir, { recursive: true, force: true });
