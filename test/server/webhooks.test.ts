import { readFileSync } from 'node:fs';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { repoPath, runCli } from '../helpers.js';

interface JsonFinding {
  policyId: string;
  status: string;
  resource: { id: string };
}

interface DeploymentSpec {
  replicas: number;
  template: {
    spec: {
      affinity: {
        podAntiAffinity: { requiredDuringSchedulingIgnoredDuringExecution: Array<{ topologyKey: string }> };
      };
      containers: Array<{
        readinessProbe: { httpGet: Record<string, unknown> };
        livenessProbe: { httpGet: Record<string, unknown> };
        resources: { limits: Record<string, string>; requests: Record<string, string> };
      }>;
    };
  };
}

function documents(file: string): Array<Record<string, unknown>> {
  return parseAllDocuments(readFileSync(repoPath('webhooks', file), 'utf8')).map(
    (doc) => doc.toJS() as Record<string, unknown>,
  );
}

describe('webhooks/ (the deploy manifests)', () => {
  it('passes `parapet check` with the built-in library, restricted Pod Security Standard included', async () => {
    const run = await runCli(['check', '--format', 'json', 'webhooks/']);
    const report = JSON.parse(run.stdout) as { findings: JsonFinding[] };
    const failing = report.findings.filter((f) => f.status === 'fail' || f.status === 'error');
    expect(failing).toEqual([]);
    expect(run.code).toBe(0);
    // The restricted profile really ran against the Deployment, and found nothing.
    const pss = await runCli([
      'check',
      '--format',
      'json',
      '--select',
      'pss-restricted-*',
      'webhooks/deployment.yaml',
    ]);
    const restricted = JSON.parse(pss.stdout) as { summary: { policies: number; findings: number } };
    expect(restricted.summary.policies).toBeGreaterThanOrEqual(4);
    expect(restricted.summary.findings).toBe(0);
    expect(pss.code).toBe(0);
  });

  it('configures both webhooks to fail safely: v1 reviews, no side effects, short timeouts, system namespaces out', () => {
    const [validating] = documents('validating-webhook.yaml');
    const [mutating] = documents('mutating-webhook.yaml');
    for (const [config, failurePolicy, path] of [
      [validating, 'Fail', '/validate'],
      [mutating, 'Ignore', '/mutate'],
    ] as const) {
      const webhooks = config!.webhooks as Array<Record<string, unknown>>;
      expect(webhooks).toHaveLength(1);
      const webhook = webhooks[0]!;
      expect(webhook.admissionReviewVersions).toEqual(['v1']);
      expect(webhook.sideEffects).toBe('None');
      expect(webhook.failurePolicy).toBe(failurePolicy);
      expect(webhook.timeoutSeconds as number).toBeLessThanOrEqual(3);
      expect((webhook.clientConfig as { service: { path: string } }).service.path).toBe(path);
      const selector = JSON.stringify(webhook.namespaceSelector);
      for (const namespace of ['kube-system', 'parapet-system']) expect(selector).toContain(namespace);
      expect((webhook.matchConditions as unknown[]).length).toBeGreaterThan(0);
      expect(
        (config!.metadata as { annotations: Record<string, string> }).annotations[
          'cert-manager.io/inject-ca-from'
        ],
      ).toBe('parapet-system/parapet-webhook');
    }
  });

  it('runs three replicas with a disruption budget, anti-affinity, probes and limits', () => {
    const [deployment] = documents('deployment.yaml');
    const spec = deployment!.spec as DeploymentSpec;
    expect(spec.replicas).toBe(3);
    const pod = spec.template.spec;
    expect(pod.affinity.podAntiAffinity.requiredDuringSchedulingIgnoredDuringExecution[0]!.topologyKey).toBe(
      'kubernetes.io/hostname',
    );
    const container = pod.containers[0]!;
    // Probes go to the plain-HTTP probe port, which needs no client certificate.
    expect(container.readinessProbe.httpGet).toMatchObject({
      path: '/readyz',
      port: 'probes',
      scheme: 'HTTP',
    });
    expect(container.livenessProbe.httpGet).toMatchObject({
      path: '/healthz',
      port: 'probes',
      scheme: 'HTTP',
    });
    const args = (container as unknown as { args: string[] }).args;
    expect(args).toContain('--probe-port=8080');
    expect((container as unknown as { lifecycle: unknown }).lifecycle).toEqual({
      preStop: { sleep: { seconds: 5 } },
    });
    // Three replicas on three nodes with required anti-affinity: a surge pod could not be scheduled.
    expect((spec as unknown as { strategy: unknown }).strategy).toMatchObject({
      rollingUpdate: { maxSurge: 0, maxUnavailable: 1 },
    });
    expect(container.resources.limits.memory).toBeDefined();
    expect(container.resources.requests.cpu).toBeDefined();
    const [pdb] = documents('poddisruptionbudget.yaml');
    expect((pdb!.spec as { minAvailable: number }).minAvailable).toBe(2);
    const kustomization = documents('kustomization.yaml')[0] as { resources: string[] };
    for (const file of [
      'namespace.yaml',
      'deployment.yaml',
      'certificate.yaml',
      'validating-webhook.yaml',
      'mutating-webhook.yaml',
    ]) {
      expect(kustomization.resources).toContain(file);
    }
  });
});
