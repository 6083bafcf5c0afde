// Cost: how much cost estimation adds to `parapet check` of a generated Terraform plan (the
// terraform benchmark's generator). One process checks the plan with the built-in library minus the
// cost policies, then runs the cost fact provider (the estimation: facts.cost on every resource and
// the report totals) on the same resources: "estimation" is that time over the check time. A second
// process checks with the whole library, cost policies included, for the end-to-end figure (it also
// pays for the cost findings: the generated plan lacks cost-allocation tags everywhere).
// Target: at 100,000 resources estimation adds <= 20%.
// Sizes: BENCH_COST_SIZES=10000,100000 (default). Rounds: BENCH_ROUNDS (default 3; 1 at 100k).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild } from './child-run.mjs';

const self = fileURLToPath(import.meta.url);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = () => Number(process.hrtime.bigint()) / 1e6;

async function child(mode, file, rounds) {
  const { createEngine, defaultSettings, loadInputs, loadPolicies } = await import('../../dist/index.js');
  const settings = defaultSettings();
  if (mode === 'without-cost') settings.skip = ['cost-*', 'k8s-cost-*'];
  const engine = await createEngine(await loadPolicies({ builtin: true }), settings);
  const times = [];
  const estimates = [];
  let summary = {};
  for (let round = 0; round < rounds; round += 1) {
    globalThis.gc?.();
    const start = ms();
    const inputs = await loadInputs([file]);
    const result = await engine.evaluate(inputs.resources, { notices: inputs.notices });
    times.push(ms() - start);
    if (mode === 'without-cost') {
      const { costFactProvider } = await import('../../dist/engine/facts/cost.js');
      const costPolicy = (await loadPolicies({ builtin: true })).filter((p) => p.id === 'cost-resource-max');
      const estimateStart = ms();
      await costFactProvider
        .start({ settings, policies: costPolicy, notices: [], extras: result.extras })
        .finish(inputs.resources);
      estimates.push(ms() - estimateStart);
    }
    const cost = result.extras.cost;
    summary = {
      ...summary,
      policies: engine.policies.length,
      resources: result.resources.length,
      findings: result.findings.length,
      costFindings: result.findings.filter((f) => f.policyId.includes('cost')).length,
      delta: cost?.known?.delta ?? null,
      priced: cost?.resources?.length ?? 0,
    };
  }
  process.stdout.write(
    JSON.stringify({
      ms: median(times),
      estimateMs: median(estimates),
      rss: process.resourceUsage().maxRSS * 1024,
      ...summary,
    }),
  );
}

const run = (mode, file, rounds) => runChild(self, mode, file, rounds);

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], Number(process.argv[5]));
} else {
  const { generatePlan } = await import('./terraform-plan-generator.mjs');
  const sizes = (process.env.BENCH_COST_SIZES ?? '10000,100000').split(',').map(Number);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-cost-bench-'));
  const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  try {
    console.log(
      'resources | check without cost policies | cost estimation | estimation added | check with cost policies | end-to-end added | peak RSS without/with | priced resources | cost findings',
    );
    for (const size of sizes) {
      const plan = generatePlan(size);
      const file = path.join(dir, `plan-${size}.json`);
      writeFileSync(file, plan.text);
      const rounds = Number(process.env.BENCH_ROUNDS ?? (size >= 100_000 ? 1 : 3));
      const without = run('without-cost', file, rounds);
      const withCost = run('with-cost', file, rounds);
      const added = (withCost.ms - without.ms) / without.ms;
      console.log(
        `${plan.resources} | ${without.ms.toFixed(0)} ms | ${without.estimateMs.toFixed(0)} ms | ${((without.estimateMs / without.ms) * 100).toFixed(1)}% | ` +
          `${withCost.ms.toFixed(0)} ms | ${(added * 100).toFixed(1)}% | ${mib(without.rss)} / ${mib(withCost.rss)} | ${withCost.priced} | ${withCost.costFindings}`,
      );
    }
    console.log(
      '(target: cost estimation adds <= 20% at 100,000 resources; the catalogue load is inside the first estimation)',
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
