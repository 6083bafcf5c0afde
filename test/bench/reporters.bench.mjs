// Reporters: render the result of checking >= 10,000 generated workloads with every format, against
// the JSON reporter (plain serialisation) in the same process, plus baseline write/apply. Ratios
// survive noisy machines; absolute times are for orientation.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Buffer } from 'node:buffer';
import os from 'node:os';
import path from 'node:path';
import { createEngine, defaultSettings, loadInputs, loadPolicies, reporters } from '../../dist/index.js';
import { applyBaseline, baselineOf } from '../../dist/engine/baseline.js';
import { workloadStream } from './kubernetes-workloads.mjs';

const COUNT = Number(process.env.BENCH_DOCS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);

const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-bench-reporters-'));
const file = path.join(dir, 'workloads.yaml');
writeFileSync(file, workloadStream(COUNT));
const engine = await createEngine(await loadPolicies({ builtin: true }), defaultSettings());
const inputs = await loadInputs([file]);
const result = await engine.evaluate(inputs.resources, { notices: inputs.notices });
rmSync(dir, { recursive: true, force: true });

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
function measure(fn) {
  const times = [];
  let out;
  for (let i = 0; i < ROUNDS; i += 1) {
    globalThis.gc?.();
    const start = process.hrtime.bigint();
    out = fn();
    times.push(Number(process.hrtime.bigint() - start) / 1e6);
  }
  return { ms: median(times), out };
}

const options = {
  now: new Date('2026-03-02T09:30:00Z'),
  tool: { name: 'parapet', version: 'bench' },
  failOn: 'info',
};
console.log(
  `${result.resources.length} resources, ${result.findings.length} findings, ${result.policies.length} policies; median of ${ROUNDS}`,
);
const json = measure(() => reporters.find((r) => r.name === 'json').render(result, options));
console.log(`${'format'.padEnd(14)} ${'ms'.padStart(9)} ${'MiB out'.padStart(9)} ${'x json'.padStart(7)}`);
for (const reporter of reporters) {
  const { ms, out } = reporter.name === 'json' ? json : measure(() => reporter.render(result, options));
  const mib = (Buffer.byteLength(out) / 1024 / 1024).toFixed(2);
  console.log(
    `${reporter.name.padEnd(14)} ${ms.toFixed(1).padStart(9)} ${mib.padStart(9)} ${(ms / json.ms).toFixed(2).padStart(7)}`,
  );
}
const baseline = measure(() => baselineOf(result));
const applied = measure(() => applyBaseline(result, baseline.out, 'baseline.json'));
console.log(
  `baseline write  ${baseline.ms.toFixed(1)} ms (${baseline.out.entries.length} entries), apply ${applied.ms.toFixed(1)} ms`,
);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
