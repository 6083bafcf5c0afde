import { runInNewContext } from 'node:vm';
import { setFlagsFromString } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { imageResource } from '../../src/images/image-resource.js';
import { loadInputs } from '../../src/inputs/load.js';
import type { AdapterOutput } from '../../src/inputs/types.js';
import type { Policy } from '../../src/model/policy.js';
import type { Resource } from '../../src/model/resource.js';
import type { Result } from '../../src/model/result.js';
import { defaultSettings, type Settings } from '../../src/model/settings.js';
import { loadPolicies } from '../../src/policies/load.js';
import { repoPath } from '../helpers.js';

const now = new Date('2026-11-26T12:00:00Z');

/** Every input file under these paths, one loader output per file (loaded afresh: providers write facts). */
async function outputsOf(paths: string[]): Promise<AdapterOutput[]> {
  const outputs: AdapterOutput[] = [];
  await loadInputs(paths, { each: (output) => void outputs.push(output) });
  return outputs;
}

/** Everything a report can show of a result, with the evaluated map as sorted entries. */
function comparable(result: Result) {
  return {
    findings: result.findings,
    resources: result.resources,
    notices: result.notices,
    summary: result.summary,
    policies: result.policies,
    evaluated: [...result.evaluated.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    extras: result.extras,
  };
}

/** The result of one evaluation of all the inputs, and of a session fed one file at a time. */
async function bothWays(engine: Engine, paths: string[], extra: () => Resource[] = () => []) {
  const whole = await outputsOf(paths);
  const once = await engine.evaluate([...whole.flatMap((output) => output.resources), ...extra()], {
    notices: whole.flatMap((output) => output.notices),
    now,
  });
  const session = engine.session({ now });
  for (const output of await outputsOf(paths)) await session.add(output.resources, output.notices);
  await session.add(extra());
  return { once: comparable(once), parts: comparable(await session.finish()) };
}

function imageResources(count: number, first = 0): Resource[] {
  return Array.from({ length: count }, (_, i) =>
    imageResource(`registry.example.com/team/app-${first + i}:1.${i}`, {
      location: { file: `images-${Math.floor((first + i) / 100)}.yaml`, line: 1 + ((first + i) % 100) },
    }),
  );
}

describe('evaluation sessions', () => {
  it('give the result of one evaluation when fed one file at a time (built-in policies, every fixture kind)', async () => {
    const settings: Settings = {
      ...defaultSettings(),
      waivers: [
        {
          policy: 'k8s-*',
          resource: '**',
          reason: 'accepted for the test',
          owner: 'platform',
          expires: '2027-01-31',
        },
      ],
      exclude: { ...defaultSettings().exclude, files: ['**/cost/plan-gcp.json'] },
    };
    const engine = await createEngine(await loadPolicies({ builtin: true }), settings);
    const { once, parts } = await bothWays(engine, [
      repoPath('fixtures/kubernetes'),
      ...['plan.json', 'modules-deep.json', 'replace-delete.json', 'moved.json'].map((file) =>
        repoPath('fixtures/terraform', file),
      ),
      ...['k8s-workloads.yaml', 'plan-aws.json', 'plan-gcp.json', 'plan-azure.json'].map((file) =>
        repoPath('fixtures/cost', file),
      ),
      repoPath('policies/images/tests'),
    ]);
    // The fixtures exercise what a session must hold back or gather across files: relation and
    // aggregate rules, cost totals, exclusions, waivers, images derived from workloads.
    expect(once.findings.length).toBeGreaterThan(100);
    expect(once.findings.some((f) => f.status === 'waived')).toBe(true);
    expect(once.findings.some((f) => f.policyId === 'k8s-network-policy-coverage')).toBe(true);
    expect(once.resources.some((r) => r.source === 'image')).toBe(true);
    expect(once.notices.map((n) => n.code)).toContain('excluded');
    expect(once.extras.cost).toBeDefined();
    expect(parts).toEqual(once);
  });

  it('check resources as they arrive across chunks, and give the run-wide notices once, at the end', async () => {
    // 2,400 image resources and one more: ten chunks of 250. Only the last holds the image the
    // report is about, so a notice given per chunk would call the report unmatched.
    const settings: Settings = {
      ...defaultSettings(),
      domains: {
        ...defaultSettings().domains,
        images: { vulnerabilityReports: [repoPath('policies/images/tests/trivy-shop-api.json')] },
      },
    };
    const policies = (await loadPolicies({ builtin: true })).filter((p) => p.id.startsWith('image-'));
    const engine = await createEngine(policies, settings);
    const extra = () => [
      ...imageResources(2_400),
      imageResource('registry.example.com/shop/api:1.8.0', { location: { file: 'last.yaml', line: 3 } }),
    ];
    const { once, parts } = await bothWays(
      engine,
      [repoPath('policies/images/tests/latest-tags.yaml')],
      extra,
    );
    expect(parts).toEqual(once);
    expect(parts.summary.resources).toBeGreaterThan(2_401);
    expect(parts.notices.map((n) => n.code)).not.toContain('vulnerability-report-unmatched');
    expect(parts.findings.some((f) => f.policyId === 'image-no-fixable-critical')).toBe(true);
  });

  it('find relations between resources added in different parts', async () => {
    const engine = await createEngine(
      (await loadPolicies({ builtin: true })).filter((p) => p.id === 'k8s-network-policy-coverage'),
      defaultSettings(),
    );
    const [workloads, ...rest] = await outputsOf([repoPath('fixtures/kubernetes')]);
    const { once, parts } = await bothWays(engine, [repoPath('fixtures/kubernetes')], () =>
      imageResources(1_500),
    );
    expect(workloads).toBeDefined();
    expect(rest.length).toBeGreaterThan(0);
    expect(once.findings.some((f) => f.policyId === 'k8s-network-policy-coverage')).toBe(true);
    expect(parts).toEqual(once);
  });

  it('keep only what policies need together: streamed resources can be collected before the run ends', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const collected = async (policies: Policy[]) => {
      const engine = await createEngine(policies, defaultSettings());
      const session = engine.session({ now });
      let first: Resource[] | undefined = imageResources(1_000);
      const refs = first.map((resource) => new WeakRef(resource));
      await session.add(first);
      first = undefined;
      await session.add(imageResources(1_000, 1_000));
      // WeakRefs read in a job stay alive until it ends: let it end before collecting.
      await new Promise((resolve) => setImmediate(resolve));
      gc();
      await new Promise((resolve) => setImmediate(resolve));
      const alive = refs.filter((ref) => ref.deref() !== undefined).length;
      const result = await session.finish();
      return { alive, resources: result.resources.length };
    };
    const builtin = await loadPolicies({ builtin: true });
    const images = builtin.filter(
      (p) => p.id === 'image-tag-not-latest' || p.id === 'image-allowed-registries',
    );
    expect(await collected(images)).toEqual({ alive: 0, resources: 2_000 });
    // A set policy over images keeps every image to the end.
    const aggregate = builtin.find((p) => 'aggregate' in p.rule)!;
    const overImages: Policy = { ...aggregate, id: 'test-image-aggregate', match: { source: 'image' } };
    expect(await collected([...images, overImages])).toEqual({ alive: 1_000, resources: 2_000 });
  });

  it('refuse parts after the end, and a part before the previous one is taken', async () => {
    const engine = await createEngine(
      (await loadPolicies({ builtin: true })).filter((p) => p.id.startsWith('image-')),
      defaultSettings(),
    );
    const session = engine.session();
    // Full chunks: the first part waits on the fact providers while the second arrives.
    const adding = session.add(imageResources(1_000));
    await expect(session.add(imageResources(10))).rejects.toThrow(
      'evaluation session: add() before the previous add() settled',
    );
    await adding;
    const result = await session.finish();
    expect(result.resources).toHaveLength(1_000);
    await expect(session.add(imageResources(1))).rejects.toThrow('evaluation session: add() after finish()');
    await expect(session.finish()).rejects.toThrow('evaluation session: finish() called twice');
  });
});
