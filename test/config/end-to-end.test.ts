import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load.js';
import { createEngine } from '../../src/engine/engine.js';
import { loadInputs } from '../../src/inputs/load.js';
import { exitCode, type Result } from '../../src/model/result.js';
import { loadPolicies } from '../../src/policies/load.js';

/**
 * The acme project in fixtures/config/project: its parapet.yaml sets modes, a severity override, a
 * parameter, exclusions and waivers; every one of them must show in the result of a real run.
 */
const project = path.resolve(import.meta.dirname, '../../fixtures/config/project');
const now = new Date('2026-03-02T09:30:00Z');

async function runProject(
  mutate?: (settings: import('../../src/model/settings.js').Settings) => void,
): Promise<Result> {
  const config = loadConfig({ cwd: project })!;
  mutate?.(config.settings);
  const policies = await loadPolicies({ paths: config.policyPaths, builtin: config.builtin });
  const engine = await createEngine(policies, config.settings);
  const inputs = await loadInputs(['k8s', 'vendor']);
  return engine.evaluate(inputs.resources, { now, notices: inputs.notices });
}

describe('parapet.yaml end to end', () => {
  const cwd = process.cwd();
  let result: Result;
  beforeAll(async () => {
    // Paths in the configuration and on the command line are relative to where parapet runs.
    process.chdir(project);
    result = await runProject();
  });
  afterAll(() => process.chdir(cwd));

  const line = (f: Result['findings'][number]) =>
    `${f.status} ${f.severity} ${f.policyId} ${f.resource.id} ${f.path}`;

  it('applies modes, severity overrides, parameters, exclusions and waivers', () => {
    expect(result.findings.map(line)).toEqual([
      'waived high acme-privileged Job/batch/gpu-burn-in /spec/template/spec/containers/0/securityContext/privileged',
      'fail high acme-privileged Deployment/legacy/billing /spec/template/spec/containers/0/securityContext/privileged',
      'waived high acme-host-network DaemonSet/monitoring/node-exporter /spec/template/spec/hostNetwork',
      'fail info acme-min-replicas Deployment/shop/web /spec/replicas',
      'fail high acme-privileged Deployment/shop/web /spec/template/spec/containers/0/securityContext/privileged',
      'warn medium acme-allowed-registries Deployment/shop/web /spec/template/spec/containers/1/image',
    ]);
    // kube-system is excluded by namespace, vendor/ by file glob.
    expect(result.resources.map((r) => r.id)).not.toContain('DaemonSet/kube-system/cilium');
    expect(result.resources.map((r) => r.id)).not.toContain('Pod/shop/vendored-agent');
    // The parameter replaced the policy's default registries: docker.io/library/nginx passes.
    expect(result.findings.find((f) => f.policyId === 'acme-allowed-registries')?.message).toBe(
      'Container "log-shipper" uses image quay.io/fluentbit/fluent-bit:3.1 from a registry outside ["ghcr.io/acme/**","docker.io/library/**"]',
    );
  });

  it('keeps waived findings with their waiver, from the file or from an annotation', () => {
    const host = result.findings.find((f) => f.policyId === 'acme-host-network')!;
    expect(host.waiver).toMatchObject({
      owner: 'team-observability',
      ticket: 'OBS-1182',
      origin: 'parapet.yaml',
    });
    const annotated = result.findings.find((f) => f.resource.id === 'Job/batch/gpu-burn-in')!;
    expect(annotated.waiver).toEqual({
      policy: 'acme-privileged',
      resource: 'Job/batch/gpu-burn-in',
      reason: 'burn-in needs raw access to /dev/nvidia*',
      owner: 'team-ml-infra',
      expires: '2026-06-30',
      origin: 'annotation',
    });
  });

  it('warns by name about the expired waiver, lists the stale one, and flags the one about to expire', () => {
    const notices = result.notices.filter((n) => n.code.startsWith('waiver-'));
    // In the order the waivers are declared.
    expect(notices).toEqual([
      {
        level: 'info',
        code: 'waiver-expiring',
        message:
          'waiver for acme-host-network on DaemonSet/monitoring/node-exporter (owner team-observability, parapet.yaml) expires on 2026-03-10 (in 8 days)',
        file: 'parapet.yaml',
      },
      {
        level: 'warning',
        code: 'waiver-expired',
        message:
          'waiver for acme-* on Deployment/legacy/* in k8s/legacy/** (owner alice@acme.example, parapet.yaml) expired on 2026-01-31 and no longer applies: its findings count again',
        file: 'parapet.yaml',
      },
      {
        level: 'warning',
        code: 'waiver-stale',
        message:
          'stale waiver: acme-privileged on StatefulSet/data/* (owner team-data, parapet.yaml) matches no finding; remove it',
        file: 'parapet.yaml',
      },
    ]);
  });

  it('gates on failOn from the file: the info-level override does not gate, the high failures do', () => {
    expect(exitCode(result, { failOn: 'low' })).toBe(1);
    const onlyReplicas = {
      ...result,
      findings: result.findings.filter((f) => f.policyId === 'acme-min-replicas'),
    };
    expect(exitCode(onlyReplicas, { failOn: 'low' })).toBe(0);
  });

  it('ignores annotation waivers unless the configuration allows them, and says so', async () => {
    const strict = await runProject((settings) => {
      settings.allowAnnotationWaivers = false;
    });
    expect(strict.findings.find((f) => f.resource.id === 'Job/batch/gpu-burn-in')?.status).toBe('fail');
    expect(strict.notices.find((n) => n.code === 'waiver-annotation-ignored')?.message).toBe(
      '1 object carries a parapet.dev/waive annotation (first: Job/batch/gpu-burn-in), ignored: set annotationWaivers: true in parapet.yaml to honour them',
    );
  });
});
