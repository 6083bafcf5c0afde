// Rego: the same privileged-container check as a native JSON Schema policy and as a Rego policy
// compiled to Wasm, over the same 10,000 workload resources, measured in one process. The Rego
// half runs twice: in the worker thread that enforces the time budget (the default) and inline.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createEngine, defaultSettings, loadInputs, loadPolicies } from '../../dist/index.js';
import { closeRegoRuntimes } from '../../dist/rego/backend.js';
import { defaultRegoSettings } from '../../dist/rego/settings.js';
import { workloadStream } from './kubernetes-workloads.mjs';

const COUNT = Number(process.env.BENCH_DOCS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const policyDir = fileURLToPath(new URL('../../fixtures/rego/bench', import.meta.url));

const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-rego-bench-'));
const file = path.join(dir, 'workloads.yaml');
writeFileSync(file, workloadStream(COUNT));
const { resources } = await loadInputs([file]);
const policies = await loadPolicies({ builtin: false, paths: [policyDir] });

async function engineFor(policyId, rego = {}) {
  const settings = defaultSettings();
  settings.select = [policyId];
  settings.domains.rego = { ...defaultRegoSettings(), ...rego };
  return createEngine(policies, settings);
}

const engines = {
  native: await engineFor('bench-privileged-native'),
  'rego (worker)': await engineFor('bench-privileged-rego', { isolation: 'worker' }),
  'rego (inline)': await engineFor('bench-privileged-rego', { isolation: 'inline' }),
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
async function time(engine) {
  globalThis.gc?.();
  const start = process.hrtime.bigint();
  const result = await engine.evaluate(resources);
  return [Number(process.hrtime.bigint() - start) / 1e6, result];
}

const findings = {};
for (const [name, engine] of Object.entries(engines)) {
  // Warm-up: JIT, ajv code, the worker thread and its module instance.
  const [, result] = await time(engine);
  findings[name] = result.findings.map((finding) => `${finding.resource.id} ${finding.path}`).sort();
}
const reference = JSON.stringify(findings.native);
for (const [name, list] of Object.entries(findings)) {
  if (JSON.stringify(list) !== reference) {
    console.error(
      `${name} reported ${list.length} findings, native ${findings.native.length}: the two policies disagree`,
    );
    process.exitCode = 1;
  }
}

const times = Object.fromEntries(Object.keys(engines).map((name) => [name, []]));
for (let round = 0; round < ROUNDS; round += 1) {
  for (const [name, engine] of Object.entries(engines)) times[name].push((await time(engine))[0]);
}
const ms = Object.fromEntries(Object.entries(times).map(([name, list]) => [name, median(list)]));
console.log(
  `input: ${COUNT} workload documents, ${resources.length} resources; ${findings.native.length} privileged containers found by each`,
);
for (const [name, value] of Object.entries(ms)) {
  console.log(
    `${name.padEnd(14)} ${value.toFixed(0).padStart(6)} ms  = ${((value * 1000) / resources.length).toFixed(1)} µs/resource`,
  );
}
console.log(`ratio rego (worker) / native: ${(ms['rego (worker)'] / ms.native).toFixed(2)}x`);
console.log(
  `ratio rego (inline) / native: ${(ms['rego (inline)'] / ms.native).toFixed(2)}x  (median of ${ROUNDS} rounds)`,
);
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
closeRegoRuntimes();
rmSync(dir, { recursive: true, force: true });
