// Terraform: generated plans of 1,000 / 10,000 / 100,000 resources checked against the whole
// built-in library, against reading + JSON.parse of the same file. Each measurement runs in its own
// process so peak RSS belongs to it alone; the ratio compares two processes of the same run.
// Sizes: BENCH_TF_SIZES=1000,10000,100000 (default). Rounds: BENCH_ROUNDS (default 3; 1 at 100k).
// Process pairs: BENCH_TF_PROCESSES (default 3 at 100k, else 1), alternating parse and check.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runChild } from './child-run.mjs';

const self = fileURLToPath(import.meta.url);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = () => Number(process.hrtime.bigint()) / 1e6;

async function child(mode, file, rounds) {
  const times = [];
  let summary = {};
  if (mode === 'parse') {
    for (let round = 0; round < rounds; round += 1) {
      globalThis.gc?.();
      const start = ms();
      const value = JSON.parse(readFileSync(file, 'utf8'));
      times.push(ms() - start);
      summary = { changes: value.resource_changes.length };
    }
  } else {
    const { createEngine, defaultSettings, loadInputs, loadPolicies } = await import('../../dist/index.js');
    const compileStart = ms();
    const library = await loadPolicies({ builtin: true });
    // BENCH_TF_POLICIES=terraform: only the Terraform library (policies/terraform/), to separate its
    // cost from the domains (cost, images ...) that also look at Terraform resources.
    const selected =
      process.env.BENCH_TF_POLICIES === 'terraform'
        ? library.filter((p) => /[\\/]policies[\\/]terraform[\\/]/.test(p.file))
        : library;
    const engine = await createEngine(selected, defaultSettings());
    const compileMs = ms() - compileStart;
    const loads = [];
    for (let round = 0; round < rounds; round += 1) {
      globalThis.gc?.();
      const start = ms();
      const inputs = await loadInputs([file]);
      loads.push(ms() - start);
      const result = await engine.evaluate(inputs.resources, { notices: inputs.notices });
      times.push(ms() - start);
      summary = {
        loadMs: median(loads),
        compileMs,
        policies: engine.policies.length,
        resources: result.resources.length,
        findings: result.findings.length,
        byStatus: result.summary.byStatus,
      };
    }
  }
  process.stdout.write(
    JSON.stringify({ ms: median(times), rss: process.resourceUsage().maxRSS * 1024, ...summary }),
  );
}

const run = (mode, file, rounds) => runChild(self, mode, file, rounds);

if (process.argv[2] === '--child') {
  await child(process.argv[3], process.argv[4], Number(process.argv[5]));
} else {
  const { generatePlan } = await import('./terraform-plan-generator.mjs');
  const sizes = (process.env.BENCH_TF_SIZES ?? '1000,10000,100000').split(',').map(Number);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'parapet-tf-bench-'));
  const mib = (bytes) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
  try {
    console.log(
      `policies: ${process.env.BENCH_TF_POLICIES === 'terraform' ? 'policies/terraform only' : 'whole built-in library'}; load average ${os.loadavg()[0].toFixed(1)} on ${os.cpus().length} CPUs`,
    );
    console.log(
      'resources | plan size | read+JSON.parse | parapet check (of which read+parse+adapter) | ratio (load only) | peak RSS parse | peak RSS check | findings',
    );
    for (const size of sizes) {
      const plan = generatePlan(size);
      const file = path.join(dir, `plan-${size}.json`);
      writeFileSync(file, plan.text);
      const rounds = Number(process.env.BENCH_ROUNDS ?? (size >= 100_000 ? 1 : 3));
      // Parse and check processes alternate, PROCESSES pairs: a slow spell of the machine then
      // lands on both sides, and the medians of the pairs give the ratio.
      const processes = Number(process.env.BENCH_TF_PROCESSES ?? (size >= 100_000 ? 3 : 1));
      const pairs = [];
      for (let pair = 0; pair < processes; pair += 1)
        pairs.push({ parse: run('parse', file, rounds), check: run('check', file, rounds) });
      const parse = pairs.map((p) => p.parse).sort((a, b) => a.ms - b.ms)[Math.floor(processes / 2)];
      const check = pairs.map((p) => p.check).sort((a, b) => a.ms - b.ms)[Math.floor(processes / 2)];
      const loadMs = median(pairs.map((p) => p.check.loadMs));
      const ratios = pairs.map((p) => p.check.ms / p.parse.ms).sort((a, b) => a - b);
      const spread =
        processes > 1 ? `; pairs ${ratios[0].toFixed(2)}x-${ratios[ratios.length - 1].toFixed(2)}x` : '';
      console.log(
        `${plan.resources} | ${mib(plan.text.length)} | ${parse.ms.toFixed(0)} ms | ${check.ms.toFixed(0)} ms (${loadMs.toFixed(0)} ms) | ` +
          `${(check.ms / parse.ms).toFixed(2)}x (${(loadMs / parse.ms).toFixed(2)}x)${spread} | ` +
          `${mib(Math.max(...pairs.map((p) => p.parse.rss)))} | ${mib(Math.max(...pairs.map((p) => p.check.rss)))} | ` +
          `${check.findings} (fail ${check.byStatus.fail}, unknown ${check.byStatus.unknown})`,
      );
      if (size === sizes[sizes.length - 1]) {
        console.log(
          `(${check.policies} policies compiled once in ${check.compileMs.toFixed(0)} ms, not included above; ` +
            `times are medians of ${processes} alternating parse/check process pairs; targets at 100k: ratio <= 3x, peak RSS <= 1.5 GB)`,
        );
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
