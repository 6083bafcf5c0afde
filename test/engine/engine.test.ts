import { describe, expect, it } from 'vitest';
import { createEngine } from '../../src/engine/engine.js';
import { loadInputs } from '../../src/inputs/load.js';
import { kubernetesResource } from '../../src/inputs/kubernetes.js';
import { defaultSettings, type Settings } from '../../src/model/settings.js';
import { exitCode, summarize } from '../../src/model/result.js';
import { findingStatuses } from '../../src/model/finding.js';
import { severities } from '../../src/model/policy.js';
import type { Finding } from '../../src/model/finding.js';
import type { Policy } from '../../src/model/policy.js';
import type { Resource } from '../../src/model/resource.js';
import { loadPolicies } from '../../src/policies/load.js';
import { checks } from '../../src/engine/checks/index.js';
import { repoPath } from '../helpers.js';
import { templateReadsRuleValues } from '../../src/engine/template.js';

const shop = repoPath('fixtures/engine/inputs/shop.yaml');
const demoPolicies = () => loadPolicies({ paths: [repoPath('fixtures/engine/policies')], builtin: false });

function settings(overrides: Partial<Settings> = {}): Settings {
  return { ...defaultSettings(), ...overrides };
}

async function evaluate(file: string, overrides: Partial<Settings> = {}) {
  const engine = await createEngine(await demoPolicies(), settings(overrides));
  const inputs = await loadInputs([file]);
  return engine.evaluate(inputs.resources, {
    notices: inputs.notices,
    now: new Date('2026-11-26T12:00:00Z'),
  });
}

describe('engine over the demo policies', () => {
  it('reports one finding per offending container, across container lists, at the field and its line', async () => {
    const result = await evaluate(shop);
    const privileged = result.findings.filter((f) => f.policyId === 'demo-privileged');
    expect(privileged.map((f) => [f.resource.id, f.path, f.resource.line, f.message])).toEqual([
      [
        'Deployment/shop/web',
        '/spec/template/spec/initContainers/0/securityContext/privileged',
        26,
        'Container "sysctl-tuner" sets privileged to true',
      ],
      [
        'Deployment/shop/web',
        '/spec/template/spec/containers/0/securityContext/privileged',
        33,
        'Container "web" sets privileged to true',
      ],
    ]);
    expect(privileged.every((f) => f.status === 'fail' && f.severity === 'high')).toBe(true);
  });

  it('binds parameters at compile time and interpolates them into messages', async () => {
    const result = await evaluate(shop);
    const replicas = result.findings.filter((f) => f.policyId === 'demo-max-replicas');
    expect(replicas).toHaveLength(1);
    expect(replicas[0]!.message).toBe('Deployment/shop/web asks for 30 replicas (at most 10)');
    expect(replicas[0]!.path).toBe('/spec/replicas');
    expect(replicas[0]!.resource.line).toBe(12);
    const relaxed = await evaluate(shop, { parameters: { 'demo-max-replicas': { max: 50 } } });
    expect(relaxed.findings.filter((f) => f.policyId === 'demo-max-replicas')).toHaveLength(0);
  });

  it('rejects a parameter the policy does not declare', async () => {
    await expect(
      createEngine(await demoPolicies(), settings({ parameters: { 'demo-max-replicas': { maximum: 3 } } })),
    ).rejects.toThrow(
      /parameters\.demo-max-replicas\.maximum: policy demo-max-replicas has no parameter "maximum"/,
    );
  });

  it('switches part of a rule by a parameter with cases, and rejects a value without a case', async () => {
    const sqs = (await loadPolicies({ builtin: true })).filter((p) => p.id === 'aws-sqs-encryption');
    const plan = repoPath('policies/terraform/aws/messaging/tests/sqs-aws-managed-keys.json');
    const { resources } = await loadInputs([plan]);
    const failing = async (kms?: string) => {
      const engine = await createEngine(
        sqs,
        settings(kms ? { parameters: { 'aws-sqs-encryption': { kms } } } : {}),
      );
      const result = await engine.evaluate(resources);
      return result.findings.filter((f) => f.status === 'fail').map((f) => f.resource.id);
    };
    expect(await failing()).toEqual([]);
    expect(await failing('customer-managed')).toEqual(['aws_sqs_queue.invoices', 'aws_sqs_queue.refunds']);
    await expect(failing('customer')).rejects.toThrow(
      'parameters.aws-sqs-encryption.kms: must be one of "any", "customer-managed", got "customer"',
    );
  });

  it('joins workloads to NetworkPolicies by namespace and label selector', async () => {
    const result = await evaluate(shop);
    const uncovered = result.findings
      .filter((f) => f.policyId === 'demo-network-policy')
      .map((f) => f.resource.id);
    expect(uncovered).toEqual(['Deployment/shop/web']);
    const compliant = await evaluate(repoPath('fixtures/engine/inputs/compliant.yaml'));
    expect(compliant.findings.filter((f) => f.policyId === 'demo-network-policy')).toEqual([]);
  });

  it('aggregates per namespace against a maximum', async () => {
    const result = await evaluate(shop);
    const lb = result.findings.filter((f) => f.policyId === 'demo-load-balancer-count');
    expect(lb.map((f) => f.message)).toEqual(['namespace shop has 2 LoadBalancer Services (at most 1)']);
  });

  it('applies select, skip, severity overrides and modes', async () => {
    const result = await evaluate(shop, {
      select: ['tag:pod-security', 'demo-max-*'],
      severity: [{ policy: 'demo-*', severity: 'low' }],
      modes: [{ policy: 'demo-max-replicas', mode: 'warn' }],
    });
    expect(new Set(result.findings.map((f) => f.policyId))).toEqual(
      new Set(['demo-privileged', 'demo-max-replicas']),
    );
    expect(result.findings.every((f) => f.severity === 'low')).toBe(true);
    expect(result.findings.find((f) => f.policyId === 'demo-max-replicas')!.status).toBe('warn');
    expect(exitCode(result, { failOn: 'medium' })).toBe(0);
    expect(exitCode(result, { failOn: 'low' })).toBe(1);
    const skipped = await evaluate(shop, { skip: ['demo-privileged'] });
    expect(skipped.findings.some((f) => f.policyId === 'demo-privileged')).toBe(false);
  });

  it('drops a policy that a selected policy overrides, and only then', async () => {
    const policies = await demoPolicies();
    const strict = {
      ...policies.find((p) => p.id === 'demo-privileged')!,
      id: 'demo-privileged-strict',
      overrides: ['demo-privileged'],
    };
    const both = await createEngine([...policies, strict], settings());
    expect(both.policies.map((p) => p.policy.id)).not.toContain('demo-privileged');
    expect(both.policies.map((p) => p.policy.id)).toContain('demo-privileged-strict');
    const alone = await createEngine([...policies, strict], settings({ skip: ['demo-privileged-strict'] }));
    expect(alone.policies.map((p) => p.policy.id)).toContain('demo-privileged');
  });

  it('runs an optional policy only when enabled or selected', async () => {
    const policies = (await demoPolicies()).map((p) =>
      p.id === 'demo-privileged' ? { ...p, optional: true } : p,
    );
    const ids = async (overrides: Partial<Settings>) =>
      (await createEngine(policies, settings(overrides))).policies.map((p) => p.policy.id);
    expect(await ids({})).not.toContain('demo-privileged');
    expect(await ids({})).toContain('demo-max-replicas');
    expect(await ids({ enable: ['tag:pod-security'] })).toContain('demo-privileged');
    expect(await ids({ enable: ['demo-privileged'] })).toContain('demo-max-replicas');
    expect(await ids({ select: ['demo-privileged'] })).toEqual(['demo-privileged']);
    expect(await ids({ enable: ['demo-privileged'], skip: ['demo-privileged'] })).not.toContain(
      'demo-privileged',
    );
  });

  it('excludes namespaces, files and resource ids from evaluation', async () => {
    const result = await evaluate(shop, { exclude: { namespaces: ['shop'], files: [], resources: [] } });
    expect(result.findings).toEqual([]);
    expect(result.notices.some((n) => n.code === 'excluded')).toBe(true);
  });

  it('waives findings with a live waiver and warns about expired and stale ones', async () => {
    const waiver = {
      policy: 'demo-privileged',
      resource: 'Deployment/shop/*',
      reason: 'node tuning, INC-42',
      owner: 'platform@acme.dev',
      expires: '2026-12-31',
    };
    const expired = { ...waiver, policy: 'demo-max-replicas', expires: '2026-01-31' };
    const stale = { ...waiver, resource: 'Deployment/elsewhere/*' };
    const result = await evaluate(shop, { waivers: [waiver, expired, stale] });
    const privileged = result.findings.filter((f) => f.policyId === 'demo-privileged');
    expect(privileged.every((f) => f.status === 'waived' && f.waiver?.owner === 'platform@acme.dev')).toBe(
      true,
    );
    expect(result.findings.find((f) => f.policyId === 'demo-max-replicas')!.status).toBe('fail');
    expect(result.notices.map((n) => n.code)).toEqual(
      expect.arrayContaining(['waiver-expired', 'waiver-stale']),
    );
  });

  it('lists every resource evaluated and which policies ran on it', async () => {
    const result = await evaluate(shop);
    expect(result.resources.filter((r) => r.source === 'kubernetes').map((r) => r.id)).toEqual([
      'Deployment/shop/web',
      'Deployment/shop/api',
      'NetworkPolicy/shop/api-ingress',
      'Service/shop/web-public',
      'Service/shop/api-public',
    ]);
    // Every container image becomes a resource of its own, linked to its workload.
    expect(result.resources.filter((r) => r.source === 'image').map((r) => r.id)).toEqual([
      'docker.io/library/busybox:1.36',
      'ghcr.io/acme/web:2.4.1',
      'docker.io/fluent/fluent-bit:3.0',
      'ghcr.io/acme/api:1.9.0',
    ]);
    expect(result.evaluated.get('Deployment/shop/web')).toEqual(
      expect.arrayContaining(['demo-max-replicas', 'demo-privileged', 'demo-network-policy']),
    );
  });

  it('is deterministic: the same input gives the same findings in the same order', async () => {
    const a = await evaluate(shop);
    const b = await evaluate(shop);
    expect(JSON.stringify(a.findings)).toBe(JSON.stringify(b.findings));
  });
});

describe('a policy that throws', () => {
  it('yields an error finding for that policy only', async () => {
    checks.push({
      name: 'test-explodes',
      description: 'throws on every resource',
      compile: () => ({
        scope: 'resource',
        evaluate: () => {
          throw new Error('boom');
        },
      }),
    });
    const exploding: Policy = {
      id: 'explodes',
      title: 'Explodes',
      severity: 'low',
      category: 'test',
      tags: [],
      references: [],
      match: { source: 'kubernetes' },
      rule: { check: { name: 'test-explodes' } },
      message: 'never',
      file: '/virtual/explodes.yaml',
      builtin: false,
    };
    try {
      const engine = await createEngine([...(await demoPolicies()), exploding], defaultSettings());
      const inputs = await loadInputs([shop]);
      const result = await engine.evaluate(inputs.resources);
      const errors = result.findings.filter((f) => f.status === 'error');
      expect(errors.length).toBe(inputs.resources.length);
      expect(errors.every((f) => f.policyId === 'explodes' && f.message.includes('boom'))).toBe(true);
      expect(result.findings.filter((f) => f.policyId === 'demo-privileged')).toHaveLength(2);
      expect(exitCode(result)).toBe(1);
    } finally {
      checks.pop();
    }
  });
});

describe('values unknown until apply', () => {
  const bucketPolicy: Policy = {
    id: 'bucket-versioning',
    title: 'Versioning is enabled',
    severity: 'medium',
    category: 'security',
    tags: [],
    references: [],
    match: { source: 'terraform', kinds: ['aws_s3_bucket'] },
    rule: {
      schema: {
        assert: {
          required: ['versioning'],
          properties: {
            versioning: {
              type: 'array',
              minItems: 1,
              items: { properties: { enabled: { const: true } }, required: ['enabled'] },
            },
          },
        },
      },
    },
    message: 'versioning is not enabled',
    file: '/virtual/bucket.yaml',
    builtin: false,
  };
  const bucket = (body: Record<string, unknown>, unknownPaths: string[] = []): Resource => ({
    source: 'terraform',
    kind: 'aws_s3_bucket',
    id: 'aws_s3_bucket.logs',
    name: 'logs',
    labels: {},
    location: { file: 'plan.json', line: 1 },
    body,
    facts: {},
    unknownPaths,
  });

  it('is unknown, not fail, when the failing value is unknown', async () => {
    const engine = await createEngine([bucketPolicy]);
    const result = await engine.evaluate([bucket({ bucket: 'logs' }, ['/versioning'])]);
    expect(result.findings.map((f) => [f.status, f.unknownPaths])).toEqual([['unknown', ['/versioning']]]);
    expect(exitCode(result)).toBe(0);
    expect(exitCode(result, { unknown: 'fail' })).toBe(1);
  });

  it('is unknown, not a silent pass, when a value the rule reads is unknown', async () => {
    const engine = await createEngine([bucketPolicy]);
    // A second versioning block whose content (and so its `enabled`) is known only after apply.
    const result = await engine.evaluate([bucket({ versioning: [{ enabled: true }] }, ['/versioning/1'])]);
    expect(result.findings.map((f) => f.status)).toEqual(['unknown']);
  });

  it('passes when the unknown value sits inside a block beside the values the rule reads', async () => {
    const engine = await createEngine([bucketPolicy]);
    const result = await engine.evaluate([
      bucket({ versioning: [{ enabled: true }] }, ['/versioning/0/mfa_delete']),
    ]);
    expect(result.findings).toEqual([]);
  });

  it('fails a violation at the root of the schema despite unknown ids and ARNs', async () => {
    const noPublicRead: Policy = {
      ...bucketPolicy,
      id: 'bucket-acl',
      rule: {
        schema: { assert: { not: { properties: { acl: { const: 'public-read' } }, required: ['acl'] } } },
      },
    };
    const engine = await createEngine([noPublicRead]);
    const result = await engine.evaluate([bucket({ acl: 'public-read' }, ['/arn', '/id'])]);
    expect(result.findings.map((f) => f.status)).toEqual(['fail']);
    const unknownAcl = await engine.evaluate([bucket({}, ['/acl', '/id'])]);
    expect(unknownAcl.findings.map((f) => [f.status, f.unknownPaths])).toEqual([['unknown', ['/acl']]]);
  });

  it('still fails on a known violation next to unrelated unknowns', async () => {
    const engine = await createEngine([bucketPolicy]);
    const result = await engine.evaluate([bucket({ versioning: [{ enabled: false }] }, ['/arn', '/id'])]);
    expect(result.findings.map((f) => f.status)).toEqual(['fail']);
  });

  it('passes quietly when only values the rule never reads are unknown', async () => {
    const engine = await createEngine([bucketPolicy]);
    const result = await engine.evaluate([bucket({ versioning: [{ enabled: true }] }, ['/arn', '/id'])]);
    expect(result.findings).toEqual([]);
  });
});

describe('kubernetesResource', () => {
  it('exposes the pod spec and every container of a CronJob', () => {
    const resource = kubernetesResource(
      {
        apiVersion: 'batch/v1',
        kind: 'CronJob',
        metadata: { name: 'report' },
        spec: {
          schedule: '0 3 * * *',
          jobTemplate: {
            spec: {
              template: {
                metadata: { labels: { app: 'report' } },
                spec: {
                  initContainers: [{ name: 'init', image: 'busybox' }],
                  containers: [{ name: 'main', image: 'report:1' }],
                },
              },
            },
          },
        },
      },
      { file: 'cron.yaml', line: 1 },
    );
    expect(resource.id).toBe('CronJob/report');
    expect(resource.facts.podSpecPath).toBe('/spec/jobTemplate/spec/template/spec');
    expect(resource.facts.podLabels).toEqual({ app: 'report' });
    expect(resource.facts.containers!.map((c) => [c.list, c.name, c.path])).toEqual([
      ['containers', 'main', '/spec/jobTemplate/spec/template/spec/containers/0'],
      ['initContainers', 'init', '/spec/jobTemplate/spec/template/spec/initContainers/0'],
    ]);
  });
});

describe('summarize', () => {
  it('counts every status and severity, keyed in their documented order', () => {
    const finding = (status: Finding['status'], severity: Finding['severity']) =>
      ({ status, severity }) as Finding;
    const summary = summarize(
      [finding('fail', 'high'), finding('fail', 'low'), finding('waived', 'high')],
      3,
      2,
    );
    expect(Object.keys(summary.byStatus)).toEqual([...findingStatuses]);
    expect(Object.keys(summary.bySeverity)).toEqual([...severities]);
    expect(summary.byStatus).toMatchObject({ fail: 2, waived: 1, warn: 0, error: 0 });
    expect(summary.bySeverity).toMatchObject({ high: 2, low: 1, critical: 0 });
    expect(summary).toMatchObject({ resources: 3, policies: 2, findings: 3 });
  });
});

describe('messages of schema rules', () => {
  const tlsPolicy = (message: string, target: 'body' | 'resource' = 'body'): Policy => ({
    id: 'min-tls',
    title: 'TLS 1.2 or newer',
    severity: 'high',
    category: 'security',
    tags: [],
    references: [],
    match: { source: 'terraform', kinds: ['azurerm_storage_account'] },
    rule: {
      schema:
        target === 'body'
          ? { assert: { properties: { min_tls_version: { enum: ['TLS1_2', 'TLS1_3'] } } } }
          : {
              target: 'resource',
              assert: {
                properties: { body: { properties: { min_tls_version: { enum: ['TLS1_2', 'TLS1_3'] } } } },
              },
            },
    },
    message,
    file: '/virtual/min-tls.yaml',
    builtin: false,
  });
  const account = (name: string, min_tls_version: string): Resource => ({
    source: 'terraform',
    kind: 'azurerm_storage_account',
    id: `azurerm_storage_account.${name}`,
    name,
    labels: {},
    location: { file: 'plan.json', line: 1 },
    body: { name, min_tls_version },
    facts: {},
  });

  it('render the failing value and the target for messages that read them, and the resource for those that do not', async () => {
    const resources = [account('logs', 'TLS1_0'), account('data', 'TLS1_2'), account('web', 'TLS1_1')];
    const withValues = await createEngine([
      tlsPolicy(
        '{{ resource.name }} allows {{ value }} (target {{ target.name }}, container {{ container.name }})',
      ),
    ]);
    expect((await withValues.evaluate(resources)).findings.map((f) => [f.path, f.message])).toEqual([
      ['/min_tls_version', 'logs allows TLS1_0 (target logs, container (unset))'],
      ['/min_tls_version', 'web allows TLS1_1 (target web, container (unset))'],
    ]);
    const viaResource = await createEngine([tlsPolicy('{{ body.name }}: {{ value }}', 'resource')]);
    expect((await viaResource.evaluate(resources)).findings.map((f) => f.message)).toEqual([
      'logs: TLS1_0',
      'web: TLS1_1',
    ]);
    const plain = await createEngine([tlsPolicy('{{ body.name }} allows {{ body.min_tls_version }}')]);
    expect((await plain.evaluate(resources)).findings.map((f) => f.message)).toEqual([
      'logs allows TLS1_0',
      'web allows TLS1_1',
    ]);
  });

  it('show a long string value by its start and length, so a hostile input cannot make a message megabytes long', async () => {
    const huge = 'TLS1_' + 'x'.repeat(300_000);
    const plain = await createEngine([tlsPolicy('{{ body.name }} allows {{ body.min_tls_version }}')]);
    const [finding] = (await plain.evaluate([account('logs', huge)])).findings;
    expect(finding!.message).toBe(`logs allows ${huge.slice(0, 200)}... (300,005 characters)`);
    // Up to 1,024 characters a value is shown whole.
    const long = 'TLS1_' + 'y'.repeat(1019);
    const [whole] = (await plain.evaluate([account('logs', long)])).findings;
    expect(whole!.message).toBe(`logs allows ${long}`);
  });

  it('tell which templates read a rule value', () => {
    expect(
      templateReadsRuleValues(
        '{{ resource.name }} in {{ body.spec.x }} {{ facts.a }} {{ params.b }} {{ path }}',
      ),
    ).toBe(false);
    expect(templateReadsRuleValues('no placeholders')).toBe(false);
    expect(templateReadsRuleValues('{{ value }}')).toBe(true);
    expect(templateReadsRuleValues('{{body.x}} and {{ container.name }}')).toBe(true);
    expect(templateReadsRuleValues('{{ target.spec }}')).toBe(true);
  });
});
