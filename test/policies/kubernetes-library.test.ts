/**
 * The built-in Kubernetes library as a whole: its shape (ids, tags, declared tests), its own test
 * cases, what it reports on the bundled fixtures, and that the mutating fixes actually fix.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { runPolicyTests } from '../../src/cli/commands/test.js';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { kubernetesResource } from '../../src/inputs/kubernetes.js';
import { loadInputs } from '../../src/inputs/load.js';
import type { Policy } from '../../src/model/policy.js';
import { defaultSettings } from '../../src/model/settings.js';
import { loadPolicies } from '../../src/policies/load.js';
import { applyMutation, buildMutation } from '../../src/server/mutation.js';
import { repoPath } from '../helpers.js';

const pssIds = [
  'pss-baseline-host-process',
  'pss-baseline-host-namespaces',
  'pss-baseline-privileged',
  'pss-baseline-capabilities',
  'pss-baseline-host-path-volumes',
  'pss-baseline-host-ports',
  'pss-baseline-host-probes',
  'pss-baseline-apparmor',
  'pss-baseline-selinux',
  'pss-baseline-proc-mount',
  'pss-baseline-seccomp',
  'pss-baseline-sysctls',
  'pss-restricted-volume-types',
  'pss-restricted-privilege-escalation',
  'pss-restricted-run-as-non-root',
  'pss-restricted-run-as-user',
  'pss-restricted-seccomp',
  'pss-restricted-capabilities',
  'pss-restricted-proc-mount',
];

let library: Policy[];
let engine: Engine;

beforeAll(async () => {
  library = await loadPolicies({ paths: [repoPath('policies/kubernetes')], builtin: false });
  engine = await createEngine(library, defaultSettings());
});

describe('the Kubernetes policy library', () => {
  it('has exactly the 19 PSS ids, each tagged with its level only', () => {
    const pss = library.filter((p) => p.id.startsWith('pss-'));
    expect(pss.map((p) => p.id).sort()).toEqual([...pssIds].sort());
    for (const policy of pss) {
      const level = policy.id.startsWith('pss-baseline-') ? 'pss-baseline' : 'pss-restricted';
      expect(policy.tags, policy.id).toEqual([level]);
    }
  });

  it('rates best practices medium or low (or high for credentials and privilege escalation)', () => {
    // The certificate and platform-system libraries rate by their own measure (an expired certificate is high).
    const practices = library.filter(
      (p) => !p.id.startsWith('pss-') && !/\/(certificates|ecosystem)\//.test(p.file),
    );
    expect(practices.length).toBeGreaterThanOrEqual(14);
    for (const policy of practices) expect(policy.tags, policy.id).toContain('best-practice');
    expect(
      practices
        .filter((p) => p.severity === 'high')
        .map((p) => p.id)
        .sort(),
    ).toEqual([
      'k8s-cluster-admin-binding',
      'k8s-configmap-credentials',
      'k8s-rbac-binding-wildcard-role',
      'k8s-rbac-escalation-verbs',
      'k8s-rbac-system-group-binding',
      'k8s-removed-api',
      'k8s-secret-in-env',
    ]);
    expect(practices.every((p) => ['high', 'medium', 'low'].includes(p.severity))).toBe(true);
  });

  it('declares failing and passing fixtures for every policy, and they all hold', async () => {
    const problems: string[] = [];
    for (const policy of library) {
      if (!policy.tests?.fail?.length || !policy.tests?.pass?.length)
        problems.push(`${policy.id}: needs fail and pass cases`);
      const outcome = await runPolicyTests(policy);
      for (const testCase of outcome.cases.filter((c) => !c.ok))
        problems.push(`${policy.id} ${testCase.expectation} ${testCase.file}: ${testCase.problem}`);
    }
    expect(problems).toEqual([]);
  }, 180_000);

  it('offers fixes only where an admission webhook can apply them safely', () => {
    const withFix = library.filter((p) => p.fix?.length).map((p) => p.id);
    expect(withFix.sort()).toEqual([
      'k8s-automount-service-account-token',
      'k8s-read-only-root-filesystem',
      'pss-restricted-capabilities',
      'pss-restricted-privilege-escalation',
      'pss-restricted-run-as-non-root',
      'pss-restricted-seccomp',
    ]);
  });
});

describe('the bundled fixtures (what `npm run demo` shows)', () => {
  async function findingsByResource(): Promise<Map<string, string[]>> {
    const inputs = await loadInputs([repoPath('fixtures/kubernetes')]);
    const result = await engine.evaluate(inputs.resources, { notices: inputs.notices });
    const byResource = new Map<string, string[]>();
    // Derived resources (images found in the workloads) belong to other libraries.
    for (const resource of result.resources)
      if (resource.source === 'kubernetes') byResource.set(resource.id, []);
    for (const finding of result.findings) byResource.get(finding.resource.id)?.push(finding.policyId);
    return byResource;
  }

  it('reads the kustomize output, the Helm output, the kind: List and the plain files', async () => {
    const byResource = await findingsByResource();
    expect([...byResource.keys()].sort()).toEqual(
      [
        'ClusterRole/log-agent',
        'ClusterRoleBinding/log-agent-admin',
        'ConfigMap/shop/storefront-config-6t8bk2m9h4',
        'CronJob/shop/sitemap',
        'DaemonSet/observability/log-agent',
        'Deployment/shop/checkout',
        'Deployment/shop/storefront',
        'Job/default/hello-migration',
        'Namespace/data',
        'Namespace/observability',
        'Namespace/shop',
        'NetworkPolicy/data/cache-redis',
        'NetworkPolicy/shop/sitemap-egress',
        'NetworkPolicy/shop/storefront-ingress',
        'Service/data/cache-redis-master',
        'Service/shop/checkout-public',
        'Service/shop/storefront',
        'ServiceAccount/shop/storefront',
        'StatefulSet/data/cache-redis-master',
      ].sort(),
    );
  });

  it('finds nothing in the compliant workloads and the expected violations in the others', async () => {
    const byResource = await findingsByResource();
    expect(byResource.get('Deployment/shop/storefront')).toEqual([]);
    expect(byResource.get('CronJob/shop/sitemap')).toEqual([]);
    expect([...new Set(byResource.get('Deployment/shop/checkout'))].sort()).toEqual([
      'k8s-automount-service-account-token',
      'k8s-image-tag',
      'k8s-linux-hardening',
      'k8s-liveness-probe',
      'k8s-network-policy-coverage',
      'k8s-read-only-root-filesystem',
      'k8s-resource-limits',
      'k8s-resource-requests',
      'k8s-secret-in-env',
      'pss-restricted-capabilities',
      'pss-restricted-privilege-escalation',
      'pss-restricted-run-as-non-root',
      'pss-restricted-run-as-user',
      'pss-restricted-seccomp',
    ]);
    expect(byResource.get('DaemonSet/observability/log-agent')).toEqual(
      expect.arrayContaining([
        'pss-baseline-privileged',
        'pss-baseline-host-namespaces',
        // The restricted volume control replaces the baseline hostPath one when both run, as in PSA.
        'pss-restricted-volume-types',
      ]),
    );
    expect(byResource.get('ClusterRole/log-agent')).toEqual(['k8s-rbac-secret-read', 'k8s-rbac-wildcard']);
    expect(byResource.get('ClusterRoleBinding/log-agent-admin')).toEqual(['k8s-cluster-admin-binding']);
    expect(byResource.get('Service/shop/checkout-public')).toEqual(['k8s-service-type']);
    expect(byResource.get('Job/default/hello-migration')).toEqual(
      expect.arrayContaining(['k8s-default-namespace', 'pss-restricted-volume-types', 'k8s-secret-in-env']),
    );
  });

  it('points at the offending line inside Helm-rendered output', async () => {
    const file = repoPath('fixtures/kubernetes/data-helm-redis.yaml');
    const inputs = await loadInputs([file]);
    const result = await engine.evaluate(inputs.resources);
    const sysctl = result.findings.find((f) => f.policyId === 'pss-baseline-sysctls');
    const expectedLine =
      readFileSync(file, 'utf8')
        .split('\n')
        .findIndex((line) => line.includes('- name: net.core.somaxconn')) + 1;
    expect(sysctl).toMatchObject({
      path: '/spec/template/spec/securityContext/sysctls/0/name',
      resource: { line: expectedLine },
    });
    expect(sysctl?.message).toBe(
      'StatefulSet/data/cache-redis-master sets the unsafe sysctl net.core.somaxconn',
    );
  });
});

describe('mutating fixes', () => {
  it('turn a default-configured Deployment into one the fixed policies accept', async () => {
    const mutating = [
      'pss-restricted-*',
      'k8s-read-only-root-filesystem',
      'k8s-automount-service-account-token',
    ];
    const fixable = library.filter((p) => p.fix?.length);
    const fixEngine = await createEngine(fixable, defaultSettings());
    const body = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'orders', namespace: 'shop' },
      spec: {
        selector: { matchLabels: { app: 'orders' } },
        template: {
          metadata: { labels: { app: 'orders' } },
          spec: {
            initContainers: [{ name: 'migrate', image: 'registry.example.com/shop/orders-migrate:1.2.0' }],
            containers: [
              {
                name: 'orders',
                image: 'registry.example.com/shop/orders:1.2.0',
                securityContext: { allowPrivilegeEscalation: true },
              },
              { name: 'envoy', image: 'envoyproxy/envoy:v1.31.2', securityContext: null },
            ],
          },
        },
      },
    };
    const before = kubernetesResource(structuredClone(body), { file: 'orders.yaml', line: 1 });
    const first = await fixEngine.evaluate([before]);
    expect(new Set(first.findings.map((f) => f.policyId)).size).toBe(fixable.length);

    const plan = buildMutation(before, first.findings, new Map(fixable.map((p) => [p.id, p])), mutating);
    expect(plan.skipped).toEqual([]);
    const fixed = applyMutation(before.body, plan.patch);
    const after = await fixEngine.evaluate([kubernetesResource(fixed, { file: 'orders.yaml', line: 1 })]);
    expect(after.findings.map((f) => `${f.policyId} ${f.path}`)).toEqual([]);
    const pod = (fixed.spec as { template: { spec: Record<string, unknown> } }).template.spec;
    expect(pod.securityContext).toEqual({ runAsNonRoot: true, seccompProfile: { type: 'RuntimeDefault' } });
    expect(pod.automountServiceAccountToken).toBe(false);
  });
});
