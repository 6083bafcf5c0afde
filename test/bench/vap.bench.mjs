// ValidatingAdmissionPolicy: the PSS baseline written as one CEL policy (fixtures/vap/pss-baseline)
// against parapet's native PSS baseline policies, on the same 10,000 workload documents, in the same
// process. Both engines check resources already loaded, so the ratio is the rules' cost alone
// (expressions compiled once at load; each document evaluates the compiled programs).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, defaultSettings, loadInputs, loadPolicies } from '../../dist/index.js';
import { workloadStream } from './kubernetes-workloads.mjs';

const COUNT = Number(process.env.BENCH_DOCS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-vap-bench-'));
const file = path.join(dir, 'workloads.yaml');
writeFileSync(file, workloadStream(COUNT));
const { resources } = await loadInputs([file]);

const vapPolicies = await loadPolicies({
  builtin: false,
  paths: [path.join(repo, 'fixtures/vap/pss-baseline')],
});
const nativePolicies = (await loadPolicies({ builtin: true })).filter((p) =>
  p.id.startsWith('pss-baseline-'),
);
const vap = await createEngine(vapPolicies, defaultSettings());
const native = await createEngine(nativePolicies, defaultSettings());

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(engine) {
  globalThis.gc?.();
  const start = process.hrtime.bigint();
  const result = await engine.evaluate(resources);
  return [Number(process.hrtime.bigint() - start) / 1e6, result];
}

const [, vapWarm] = await time(vap);
const [, nativeWarm] = await time(native);
const vapTimes = [];
const nativeTimes = [];
for (let round = 0; round < ROUNDS; round += 1) {
  vapTimes.push((await time(vap))[0]);
  nativeTimes.push((await time(native))[0]);
}
const vapMs = median(vapTimes);
const nativeMs = median(nativeTimes);
const failingResources = (result) =>
  new Set(result.findings.filter((f) => f.status === 'fail').map((f) => f.resource.id)).size;
const errors = vapWarm.findings.filter((f) => f.status === 'error').length;
console.log(`vap: ${resources.length} resources, ${ROUNDS} rounds (median)`);
console.log(
  `  CEL (1 VAP, 11 validations): ${vapMs.toFixed(0)} ms, ${Math.round((resources.length / vapMs) * 1000)} docs/s, ${failingResources(vapWarm)} resources denied`,
);
console.log(
  `  native pss-baseline-* (${native.policies.length} policies): ${nativeMs.toFixed(0)} ms, ${failingResources(nativeWarm)} resources failing`,
);
console.log(`  ratio CEL/native: ${(vapMs / nativeMs).toFixed(2)}x`);
if (errors > 0) {
  console.error(`  ${errors} evaluation errors in the CEL policy`);
  process.exitCode = 1;
}
rmSync(dir, { recursive: true, force: true });
