/**
 * Parity of parapet's Pod Security Standards library with the upstream Pod Security Admission code:
 * every pod shape goes through parapet (`--select 'pss-baseline-*'` and `--select 'pss-*'`) and
 * through test/pss-oracle (k8s.io/pod-security-admission) at the latest version, and the verdicts must
 * be identical — level by level and, on the table, control by control. pss-conformance.test.ts
 * covers every older version on the module's own fixtures.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { kubernetesResource } from '../../src/inputs/kubernetes.js';
import { defaultSettings } from '../../src/model/settings.js';
import { loadPolicies } from '../../src/policies/load.js';
import {
  haveOracle,
  oracleChecks,
  oraclePath,
  PssOracle,
  policyForCheck,
  type OracleAnswer,
} from './pss-oracle-client.js';
import {
  podBearingKinds,
  podShapeArb,
  shapeTable,
  wrapPod,
  type PodBearingKind,
  type PodShape,
} from './pss-shapes.js';

if (!haveOracle) {
  console.warn(
    `pss-parity: skipped, the Pod Security Admission oracle is missing at ${oraclePath} (build it with .ci/setup-pss-oracle.sh, or set PARAPET_PSS_ORACLE)`,
  );
}

interface ParapetVerdict {
  baseline: string[];
  restricted: string[];
}

let oracle: PssOracle;
let baselineEngine: Engine;
let restrictedEngine: Engine;

async function failingPolicies(engine: Engine, object: Record<string, unknown>): Promise<string[]> {
  const resource = kubernetesResource(object, { file: 'pss-parity.yaml', line: 1 });
  const result = await engine.evaluate([resource]);
  const errors = result.findings.filter((f) => f.status === 'error');
  if (errors.length) throw new Error(`policy error: ${errors[0]!.policyId}: ${errors[0]!.message}`);
  return [...new Set(result.findings.filter((f) => f.status === 'fail').map((f) => f.policyId))].sort();
}

async function judge(
  kind: PodBearingKind,
  pod: PodShape,
): Promise<{ object: Record<string, unknown>; parapet: ParapetVerdict; upstream: OracleAnswer }> {
  // A JSON round trip: both sides see exactly what a manifest file would hold.
  const object = JSON.parse(JSON.stringify(wrapPod(kind, pod))) as Record<string, unknown>;
  const [baseline, restricted, upstream] = await Promise.all([
    failingPolicies(baselineEngine, object),
    failingPolicies(restrictedEngine, object),
    oracle.ask(object),
  ]);
  if (upstream.error || !upstream.baseline || !upstream.restricted)
    throw new Error(`oracle could not judge the ${kind}: ${upstream.error}`);
  return { object, parapet: { baseline, restricted }, upstream };
}

const mapped = (checks: Array<{ check: string }>) =>
  [...new Set(checks.map((c) => policyForCheck[c.check] ?? `unmapped:${c.check}`))].sort();

describe.skipIf(!haveOracle)('PSS parity with Pod Security Admission (k8s.io/pod-security-admission)', () => {
  beforeAll(async () => {
    oracle = new PssOracle();
    const policies = await loadPolicies({ builtin: true });
    baselineEngine = await createEngine(policies, { ...defaultSettings(), select: ['pss-baseline-*'] });
    restrictedEngine = await createEngine(policies, { ...defaultSettings(), select: ['pss-*'] });
  });
  afterAll(async () => {
    await oracle?.close();
  });

  it('selects one policy per upstream check of each level at the latest version', async () => {
    const checks = oracleChecks();
    expect(baselineEngine.policies.map((p) => p.policy.id)).toEqual(
      checks.baseline.map((check) => policyForCheck[check]).sort(),
    );
    expect(restrictedEngine.policies.map((p) => p.policy.id)).toEqual(
      checks.restricted.map((check) => policyForCheck[check]).sort(),
    );
    expect(baselineEngine.policies).toHaveLength(12);
    expect(restrictedEngine.policies).toHaveLength(15);
  });

  const table = shapeTable();

  it(`agrees control by control on the ${table.length}-shape table, for every pod-bearing kind`, async () => {
    const mismatches: string[] = [];
    let index = 0;
    for (const shape of table) {
      // Every shape as a Pod, and again as one of the other kinds in rotation, so each kind sees the whole range of controls.
      const kinds: PodBearingKind[] = ['Pod', podBearingKinds[1 + (index++ % (podBearingKinds.length - 1))]!];
      for (const kind of kinds) {
        const { parapet, upstream } = await judge(kind, shape.pod);
        const wantBaseline = mapped(upstream.baseline!.forbidden);
        // The restricted policies that replace baseline ones say so (`overrides`), as PSA's checks do.
        const wantRestricted = mapped(upstream.restricted!.forbidden);
        if (parapet.baseline.join() !== wantBaseline.join()) {
          mismatches.push(
            `${shape.name} [${kind}] baseline: parapet ${JSON.stringify(parapet.baseline)} upstream ${JSON.stringify(wantBaseline)}`,
          );
        }
        if (parapet.restricted.join() !== wantRestricted.join()) {
          mismatches.push(
            `${shape.name} [${kind}] restricted: parapet ${JSON.stringify(parapet.restricted)} upstream ${JSON.stringify(wantRestricted)}`,
          );
        }
        if ((parapet.restricted.length === 0) !== upstream.restricted!.allowed) {
          mismatches.push(
            `${shape.name} [${kind}] restricted verdict: parapet allows=${parapet.restricted.length === 0} upstream allows=${upstream.restricted!.allowed}`,
          );
        }
      }
    }
    expect(mismatches).toEqual([]);
  });

  it('the table reaches every upstream check at both verdicts', async () => {
    // A table that never makes a check fail (or never passes it) would prove nothing about that control.
    const compliant = await judge('Pod', table[0]!.pod);
    expect([compliant.upstream.baseline!.allowed, compliant.upstream.restricted!.allowed]).toEqual([
      true,
      true,
    ]);
    const failed = new Set<string>();
    for (const shape of table) {
      const { upstream } = await judge('Pod', shape.pod);
      for (const f of [...upstream.baseline!.forbidden, ...upstream.restricted!.forbidden])
        failed.add(f.check);
    }
    expect([...failed].sort()).toEqual(Object.keys(policyForCheck).sort());
  });

  it('agrees with the baseline and restricted verdicts on random pods (fast-check)', async () => {
    const runs = Number(process.env.PSS_PARITY_RUNS ?? 1000);
    await fc.assert(
      fc.asyncProperty(podShapeArb, fc.constantFrom(...podBearingKinds), async (pod, kind) => {
        const { parapet, upstream } = await judge(kind, pod);
        expect({
          baseline: parapet.baseline.length === 0,
          restricted: parapet.restricted.length === 0,
        }).toEqual({
          baseline: upstream.baseline!.allowed,
          restricted: upstream.restricted!.allowed,
        });
        expect(parapet.baseline).toEqual(mapped(upstream.baseline!.forbidden));
      }),
      { numRuns: runs },
    );
  }, 240_000);

  it('agrees on Windows pods, which restricted exempts from the Linux-only controls it replaces baseline ones with', async () => {
    // PSA's restricted level replaces the baseline capabilities check with one that exempts Windows
    // pods (API validation rejects Linux capabilities there anyway): parapet's restricted policy
    // overrides the baseline one in the same way.
    const pod: PodShape = {
      metadata: {},
      spec: {
        os: { name: 'windows' },
        securityContext: { runAsNonRoot: true },
        containers: [
          {
            name: 'app',
            image: 'mcr.microsoft.com/windows/servercore:ltsc2022',
            securityContext: { capabilities: { add: ['SYS_ADMIN'] } },
          },
        ],
      },
    };
    const { parapet, upstream } = await judge('Pod', pod);
    expect(upstream.restricted!.allowed).toBe(true);
    expect(upstream.baseline!.allowed).toBe(false);
    expect(parapet).toEqual({ baseline: ['pss-baseline-capabilities'], restricted: [] });
  });
});
