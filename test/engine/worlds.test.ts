import { describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { loadInputs } from '../../src/inputs/load.js';
import type { Finding } from '../../src/model/finding.js';
import { defaultSettings, type Settings } from '../../src/model/settings.js';
import { loadPolicies } from '../../src/policies/load.js';
import { repoPath } from '../helpers.js';

const auditLogs = repoPath('fixtures/terraform/monorepo/audit-logs/plan.json');
const media = repoPath('fixtures/terraform/monorepo/media/plan.json');
const now = new Date('2026-12-01T12:00:00Z');

const engines = new Map<Settings | undefined, Promise<Engine>>();
async function check(paths: string[], settings?: Settings) {
  let engine = engines.get(settings);
  if (!engine) {
    engine = loadPolicies({ builtin: true }).then((policies) =>
      createEngine(policies, settings ?? defaultSettings()),
    );
    engines.set(settings, engine);
  }
  return evaluate(await engine, paths);
}

async function evaluate(engine: Engine, paths: string[]) {
  const inputs = await loadInputs(paths);
  return engine.evaluate(inputs.resources, { notices: inputs.notices, now });
}

const brief = (findings: Finding[]) =>
  findings
    .map(
      (f) =>
        `${f.status} ${f.policyId} ${f.resource.file.split('/monorepo/')[1] ?? f.resource.file} ${f.resource.id}`,
    )
    .sort();

describe('one plan, one world', () => {
  it("relates each plan's resources only to its own: another plan's versioning does not cover a bucket", async () => {
    // Both plans have aws_s3_bucket.logs; only audit-logs versions its bucket.
    // The S3 policies, whose relations (versioning, encryption, public access block) could cross plans.
    const related = new Set(['aws-s3-versioning', 'aws-s3-encryption', 'aws-s3-public-access-block']);
    const s3 = (findings: Awaited<ReturnType<typeof check>>['findings']) =>
      brief(findings.filter((f) => related.has(f.policyId)));
    const result = await check([auditLogs, media]);
    expect(s3(result.findings)).toEqual(['fail aws-s3-versioning media/plan.json aws_s3_bucket.logs']);
    const reversed = await check([media, auditLogs]);
    expect(brief(reversed.findings)).toEqual(brief(result.findings));
  });

  it('gives each plan the findings it has when checked alone', async () => {
    const together = await check([auditLogs, media]);
    const alone = [...(await check([auditLogs])).findings, ...(await check([media])).findings];
    expect(brief(together.findings)).toEqual(brief(alone));
  });

  it('counts deletions per plan: six and six are not twelve', async () => {
    const result = await check([auditLogs, media]);
    expect(result.findings.filter((f) => f.policyId === 'tf-blast-radius')).toEqual([]);
    const settings = defaultSettings();
    settings.parameters['tf-blast-radius'] = { maxDeletions: 5 };
    const strict = await check([auditLogs, media], settings);
    const radius = strict.findings.filter((f) => f.policyId === 'tf-blast-radius');
    expect(radius.map((f) => [f.resource.file.split('/monorepo/')[1], f.details?.total])).toEqual([
      ['audit-logs/plan.json', 6],
      ['media/plan.json', 6],
    ]);
  });

  it('gives the same result fed one plan at a time to a session', async () => {
    await check([]);
    const session = (await engines.get(undefined)!).session({ now });
    for (const path of [auditLogs, media]) {
      const inputs = await loadInputs([path]);
      await session.add(inputs.resources, inputs.notices);
    }
    expect(brief((await session.finish()).findings)).toEqual(
      brief((await check([auditLogs, media])).findings),
    );
  });

  it('lets cross-object rules span the files of a Kubernetes run', async () => {
    const deployment = repoPath('fixtures/gitops/payments/deployment.yaml');
    const alone = await check([deployment]);
    expect(alone.findings.map((f) => f.policyId)).toContain('k8s-network-policy-coverage');
    const run = await check([deployment, repoPath('fixtures/gitops/payments/network-policy.yaml')]);
    expect(run.findings.map((f) => f.policyId)).not.toContain('k8s-network-policy-coverage');
  });
});
