// Kyverno: the PSS baseline written as Kyverno validate patterns (fixtures/kyverno/pss-baseline)
// against parapet's native PSS baseline policies, on the same 10,000 workload documents, in the
// same process. Both engines check resources already loaded, so the ratio is the rules' cost alone.
// The Kyverno CLI is measured on the same input when `kyverno` is on PATH.
import { execFileSync, spawnSync } from 'node:child_process';
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

const cli = spawnSync('kyverno', ['version'], { encoding: 'utf8' });
if (cli.status === 0) {
  const start = process.hrtime.bigint();
  try {
    execFileSync(
      'kyverno',
      [
        'apply',
        path.join(repo, 'fixtures/kyverno/pss-baseline/pod-security-baseline.yaml'),
        '--resource',
        file,
      ],
      {
        stdio: 'ignore',
        maxBuffer: 1 << 30,
      },
    );
  } catch {
    // kyverno apply exits non-zero when a policy fails; the time is what counts here
  }
  const cliMs = Number(process.hrtime.bigint() - start) / 1e6;
  console.log(
    `kyverno apply (CLI) on the same file: ${cliMs.toFixed(0)} ms; ratio to parapet's Kyverno-format run: ${(cliMs / kyvernoMs).toFixed(2)}x`,
  );
} else {
  console.log('kyverno CLI not on PATH: the CLI comparison is skipped');
}
rmSync(dir, { recursive: true, force: true });
