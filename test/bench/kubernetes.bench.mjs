// Kubernetes: the whole built-in library over >= 10,000 workload manifests, against plain YAML
// parsing of the same text, measured in the same process (ratios survive noisy machines).
import { mkdtempSync, writeFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { createEngine, defaultSettings, loadInputs, loadPolicies } from '../../dist/index.js';
import { workloadStream } from './kubernetes-workloads.mjs';

const COUNT = Number(process.env.BENCH_DOCS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-bench-'));
const file = path.join(dir, 'workloads.yaml');
const text = workloadStream(COUNT);
writeFileSync(file, text);

const policies = await loadPolicies({ builtin: true });
const engine = await createEngine(policies, defaultSettings());

function parseOnly() {
  let n = 0;
  for (const doc of parseAllDocuments(text)) if (doc.toJS()) n += 1;
  return n;
}

// The same documents as one JSON text: V8's native JSON.parse of it is the floor any loader of
// these documents in JavaScript stands on (a YAML parser written in JavaScript only does more).
const jsonText = JSON.stringify(parseAllDocuments(text).map((doc) => doc.toJS()));
function jsonParseOnly() {
  return JSON.parse(jsonText).length;
}

async function loadOnly() {
  const inputs = await loadInputs([file]);
  return inputs.resources.length;
}

async function fullCheck() {
  const inputs = await loadInputs([file]);
  const result = await engine.evaluate(inputs.resources, { notices: inputs.notices });
  return result;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const time = async (fn) => {
  globalThis.gc?.();
  const start = process.hrtime.bigint();
  const out = await fn();
  return [Number(process.hrtime.bigint() - start) / 1e6, out];
};

// Warm up both paths once (JIT, ajv code caches).
parseOnly();
const [, warm] = await time(fullCheck);
jsonParseOnly();
const parseTimes = [];
const jsonTimes = [];
const loadTimes = [];
const checkTimes = [];
for (let round = 0; round < ROUNDS; round += 1) {
  parseTimes.push((await time(async () => parseOnly()))[0]);
  jsonTimes.push((await time(async () => jsonParseOnly()))[0]);
  loadTimes.push((await time(loadOnly))[0]);
  checkTimes.push((await time(fullCheck))[0]);
}
const parseMs = median(parseTimes);
const jsonMs = median(jsonTimes);
const loadMs = median(loadTimes);
const checkMs = median(checkTimes);
console.log(
  `input: ${COUNT} workload documents, ${(text.length / 1024 / 1024).toFixed(1)} MiB; ${engine.policies.length} policies`,
);
console.log(`findings: ${warm.findings.length} over ${warm.resources.length} resources`);
console.log(
  `YAML parse only (yaml parseAllDocuments + toJS): ${parseMs.toFixed(0)} ms  = ${Math.round((COUNT / parseMs) * 1000)} docs/s`,
);
console.log(
  `native JSON.parse of the same documents as JSON (${(jsonText.length / 1024 / 1024).toFixed(1)} MiB): ${jsonMs.toFixed(0)} ms  = ${Math.round((COUNT / jsonMs) * 1000)} docs/s`,
);
console.log(
  `parapet loading alone (read, parse, Kubernetes resources): ${loadMs.toFixed(0)} ms  = ${Math.round((COUNT / loadMs) * 1000)} docs/s`,
);
console.log(
  `parapet check (read, parse, facts, all policies): ${checkMs.toFixed(0)} ms  = ${Math.round((COUNT / checkMs) * 1000)} docs/s`,
);
console.log(
  `ratio check / parse: ${(checkMs / parseMs).toFixed(2)}x  (median of ${ROUNDS} rounds; target <= 3x, aim 2x)`,
);
console.log(
  `ratio check / native JSON.parse: ${(checkMs / jsonMs).toFixed(2)}x; loading alone / native JSON.parse: ${(loadMs / jsonMs).toFixed(2)}x` +
    ` (20,000 docs/s would be ${((COUNT / 20_000) * 1000).toFixed(0)} ms = ${(((COUNT / 20_000) * 1000) / jsonMs).toFixed(2)}x)`,
);
console.log(`peak RSS: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
rmSync(dir, { recursive: true, force: true });
