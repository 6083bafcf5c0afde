/**
 * Differential test against Checkov (installed by .ci/setup-checkov.sh): every built-in policy that
 * names Checkov checks under `equivalents.checkov` is run by parapet and by Checkov on each of its
 * fixtures, and the resources each fails must be the same. A fixture on which the verdicts differ
 * on purpose is listed under the policy's `differences`, with the reason; such an entry must still
 * differ, so the list cannot go stale. Resources parapet judges `unknown` (values known only after
 * apply) are left out of the comparison: Checkov has no third verdict for them.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { loadInputs } from '../../src/inputs/load.js';
import type { Policy, PolicyTestCase } from '../../src/model/policy.js';
import { defaultSettings } from '../../src/model/settings.js';
import { loadPolicies } from '../../src/policies/load.js';

const run = promisify(execFile);
const checkov =
  process.env.PARAPET_CHECKOV ?? path.join(process.env.PARAPET_CACHE ?? '/var/cache/parapet', 'bin/checkov');
const haveCheckov = existsSync(checkov);
if (!haveCheckov)
  console.warn(
    `checkov-parity: skipped, Checkov is missing at ${checkov} (install it with .ci/setup-checkov.sh)`,
  );

type Framework = 'terraform_plan' | 'kubernetes';

interface Case {
  policy: Policy;
  /** The fixture as the policy names it, and its absolute path. */
  name: string;
  file: string;
  framework: Framework;
}

interface Outcome {
  parapet: string[];
  checkov: string[];
  unknown: string[];
}

/**
 * `terraform show -json` always writes `planned_values`, which is what Checkov reads; the fixtures
 * carry only `resource_changes` (what parapet reads). The values terraform would write there are
 * each change's `after`, nested by module.
 */
function withPlannedValues(plan: Record<string, unknown>): Record<string, unknown> {
  interface Module {
    address?: string;
    resources: unknown[];
    child_modules: Module[];
  }
  const root: Module = { resources: [], child_modules: [] };
  const modules = new Map<string, Module>([['', root]]);
  const moduleAt = (address: string): Module => {
    let module = modules.get(address);
    if (module) return module;
    const parent = address.replace(/\.?module\.[^.[]+(\[[^\]]*\])?$/, '');
    module = { address, resources: [], child_modules: [] };
    moduleAt(parent).child_modules.push(module);
    modules.set(address, module);
    return module;
  };
  interface Change {
    address: string;
    mode: string;
    type: string;
    name: string;
    index?: unknown;
    provider_name: string;
    module_address?: string;
    change?: { actions?: string[]; after?: unknown };
  }
  for (const change of (plan.resource_changes ?? []) as Change[]) {
    const actions = change.change?.actions ?? [];
    if (actions.length === 1 && actions[0] === 'delete') continue;
    moduleAt(change.module_address ?? '').resources.push({
      address: change.address,
      mode: change.mode,
      type: change.type,
      name: change.name,
      ...(change.index === undefined ? {} : { index: change.index }),
      provider_name: change.provider_name,
      schema_version: 0,
      values: change.change?.after ?? {},
      sensitive_values: {},
    });
  }
  return { ...plan, planned_values: { root_module: root } };
}

/** Checkov names Kubernetes objects `Kind.namespace.name`; parapet `Kind/namespace/name`. */
function parapetName(id: string, framework: Framework): string {
  if (framework === 'terraform_plan') return id;
  const parts = id.split('/');
  return parts.length === 3 ? parts.join('.') : `${parts[0]}.default.${parts.slice(1).join('/')}`;
}

function fixturesOf(policy: Policy): string[] {
  const cases: PolicyTestCase[] = [
    ...(policy.tests?.fail ?? []),
    ...(policy.tests?.pass ?? []),
    ...(policy.tests?.unknown ?? []),
  ];
  // Cases with their own parameters judge something else than the defaults Checkov knows.
  const files = cases
    .filter((c) => typeof c === 'string' || !c.params)
    .map((c) => (typeof c === 'string' ? c : c.file));
  return [...new Set(files)];
}

let cases: Case[] = [];
const outcomes = new Map<string, Outcome>();
const keyOf = (c: { policy: Policy; name: string }) => `${c.policy.id} ${c.name}`;

describe.skipIf(!haveCheckov)('verdicts agree with Checkov on the policies that name its checks', () => {
  beforeAll(async () => {
    const policies = (await loadPolicies({ builtin: true })).filter((p) => p.equivalents?.checkov?.length);
    cases = policies.flatMap((policy) =>
      fixturesOf(policy).map((name) => ({
        policy,
        name,
        file: path.resolve(path.dirname(policy.file), name),
        framework: ([policy.match.source].flat().includes('terraform')
          ? 'terraform_plan'
          : 'kubernetes') as Framework,
      })),
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-checkov-'));
    // One Checkov run per framework over every fixture (each run costs seconds to start).
    const checkovFailures = new Map<string, Set<string>>(); // `${file} ${checkId}` -> resources
    for (const framework of ['terraform_plan', 'kubernetes'] as const) {
      const mine = cases.filter((c) => c.framework === framework);
      if (!mine.length) continue;
      const inputs = new Map<string, string>(); // checkov's file path -> fixture file
      for (const [index, c] of [...new Set(mine.map((m) => m.file))].entries()) {
        if (framework === 'terraform_plan') {
          const copy = path.join(dir, `${index}-${path.basename(c)}`);
          writeFileSync(copy, JSON.stringify(withPlannedValues(JSON.parse(readFileSync(c, 'utf8')))));
          inputs.set(copy, c);
        } else inputs.set(c, c);
      }
      const checks = [...new Set(mine.flatMap((c) => c.policy.equivalents!.checkov!))];
      const { stdout } = await run(
        checkov,
        [
          '--framework',
          framework,
          '--skip-download',
          '--output',
          'json',
          '--check',
          checks.join(','),
          ...[...inputs.keys()].flatMap((f) => ['-f', f]),
        ],
        { maxBuffer: 256 * 1024 * 1024, env: { ...process.env, LOG_LEVEL: 'ERROR' } },
      ).catch((error: { stdout?: string; code?: number; stderr?: string }) => {
        // Checkov exits 1 when a check fails; anything else is a broken run.
        if (error.code === 1 && error.stdout) return { stdout: error.stdout };
        throw new Error(`checkov failed: ${error.stderr ?? String(error)}`);
      });
      const reports = [JSON.parse(stdout)].flat() as Array<{
        results?: {
          failed_checks?: Array<{
            check_id: string;
            file_abs_path?: string;
            file_path: string;
            resource: string;
          }>;
        };
      }>;
      for (const report of reports)
        for (const failed of report.results?.failed_checks ?? []) {
          const abs = failed.file_abs_path ?? failed.file_path;
          const fixture =
            inputs.get(abs) ?? [...inputs.entries()].find(([k]) => k.endsWith(failed.file_path))?.[1];
          if (!fixture) continue;
          const key = `${fixture} ${failed.check_id}`;
          const set = checkovFailures.get(key) ?? new Set<string>();
          set.add(failed.resource);
          checkovFailures.set(key, set);
        }
    }
    for (const c of cases) {
      // An opt-in policy is compared as a site that adopted it runs it.
      const engine = await createEngine([c.policy], { ...defaultSettings(), enable: [c.policy.id] });
      const { resources } = await loadInputs([c.file]);
      const result = await engine.evaluate(resources);
      const names = (status: string) =>
        [
          ...new Set(
            result.findings
              .filter((f) => f.status === status)
              .map((f) => parapetName(f.resource.id, c.framework)),
          ),
        ].sort();
      const unknown = names('unknown');
      const checkovFailed = new Set<string>();
      for (const check of c.policy.equivalents!.checkov!)
        for (const resource of checkovFailures.get(`${c.file} ${check}`) ?? []) checkovFailed.add(resource);
      outcomes.set(keyOf(c), {
        parapet: names('fail'),
        checkov: [...checkovFailed].filter((r) => !unknown.includes(r)).sort(),
        unknown,
      });
    }
    const table = new Map<string, { agree: number; total: number; documented: number }>();
    for (const c of cases) {
      const o = outcomes.get(keyOf(c))!;
      const row = table.get(c.policy.id) ?? { agree: 0, total: 0, documented: 0 };
      row.total += 1;
      if (JSON.stringify(o.parapet) === JSON.stringify(o.checkov)) row.agree += 1;
      else if (c.policy.differences?.some((d) => d.tool === 'checkov' && d.file === c.name))
        row.documented += 1;
      table.set(c.policy.id, row);
    }
    console.log(
      `checkov-parity: ${[...table].map(([id, r]) => `${id} ${r.agree}/${r.total}${r.documented ? ` (+${r.documented} documented)` : ''}`).join('; ')}`,
    );
  }, 600_000);

  it('covers policies of both frameworks', () => {
    expect(cases.some((c) => c.framework === 'terraform_plan')).toBe(true);
    expect(cases.some((c) => c.framework === 'kubernetes')).toBe(true);
  });

  it('fails the same resources as Checkov on every fixture, but the documented differences', () => {
    const disagreements: string[] = [];
    for (const c of cases) {
      const o = outcomes.get(keyOf(c))!;
      const same = JSON.stringify(o.parapet) === JSON.stringify(o.checkov);
      const documented =
        c.policy.differences?.some((d) => d.tool === 'checkov' && d.file === c.name) ?? false;
      if (!same && !documented)
        disagreements.push(
          `${keyOf(c)}: parapet fails [${o.parapet.join(', ')}], Checkov (${c.policy.equivalents!.checkov!.join(', ')}) fails [${o.checkov.join(', ')}]`,
        );
      if (same && documented)
        disagreements.push(`${keyOf(c)}: documented as different, but both fail [${o.parapet.join(', ')}]`);
    }
    expect(disagreements).toEqual([]);
  });

  it('documents differences only on fixtures the policy has', () => {
    const stale = cases
      .map((c) => c.policy)
      .filter((policy, i, all) => all.indexOf(policy) === i)
      .flatMap((policy) =>
        (policy.differences ?? [])
          .filter((d) => d.tool === 'checkov' && !cases.some((c) => c.policy === policy && c.name === d.file))
          .map((d) => `${policy.id}: ${d.file}`),
      );
    expect(stale).toEqual([]);
  });

  it('judges every fixture with at least one failure on one side across each policy', () => {
    // A comparison where neither side ever fails anything would prove nothing.
    const byPolicy = new Map<string, number>();
    for (const c of cases) {
      const o = outcomes.get(keyOf(c))!;
      byPolicy.set(c.policy.id, (byPolicy.get(c.policy.id) ?? 0) + o.parapet.length + o.checkov.length);
    }
    expect([...byPolicy].filter(([, n]) => n === 0).map(([id]) => id)).toEqual([]);
  });
});
