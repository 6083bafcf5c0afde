/**
 * End to end with a real kube-apiserver: parapet, registered as validating and mutating webhook,
 * rejects a privileged Pod with its own message, admits a compliant one, surfaces a warn-mode
 * finding as a kubectl `Warning:`, and mutates a Pod so that it is admitted.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoPath } from '../helpers.js';
import { missingPrerequisite, startCluster, waitForWebhook, type Cluster } from './cluster.js';

const missing = missingPrerequisite();
if (missing) console.warn(`test/e2e/kube-apiserver.test.ts: skipped: missing ${missing}`);

let cluster: Cluster;

function webhookConfigurations(port: number, caBundle: string): string {
  const common = {
    admissionReviewVersions: ['v1'],
    sideEffects: 'None',
    timeoutSeconds: 3,
    matchPolicy: 'Equivalent',
    rules: [
      {
        apiGroups: [''],
        apiVersions: ['v1'],
        operations: ['CREATE', 'UPDATE'],
        resources: ['pods'],
        scope: 'Namespaced',
      },
    ],
    namespaceSelector: {
      matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['kube-system'] }],
    },
  };
  const list = {
    apiVersion: 'v1',
    kind: 'List',
    items: [
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'ValidatingWebhookConfiguration',
        metadata: { name: 'parapet' },
        webhooks: [
          {
            name: 'validate.parapet.dev',
            failurePolicy: 'Fail',
            clientConfig: { url: `https://127.0.0.1:${port}/validate`, caBundle },
            ...common,
          },
        ],
      },
      {
        apiVersion: 'admissionregistration.k8s.io/v1',
        kind: 'MutatingWebhookConfiguration',
        metadata: { name: 'parapet' },
        webhooks: [
          {
            name: 'mutate.parapet.dev',
            failurePolicy: 'Ignore',
            reinvocationPolicy: 'IfNeeded',
            clientConfig: { url: `https://127.0.0.1:${port}/mutate`, caBundle },
            ...common,
          },
        ],
      },
    ],
  };
  return JSON.stringify(list);
}

describe.skipIf(missing !== undefined)('parapet serve behind a real kube-apiserver', () => {
  beforeAll(async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-e2e-'));
    cluster = await startCluster(dir, [
      '--no-builtin',
      `--policies=${repoPath('fixtures/admission/policies')}`,
      '--mutate=admission-seccomp-runtime-default',
    ]);
    const caBundle = readFileSync(cluster.pki.ca.cert).toString('base64');
    const setup = [
      await cluster.kubectl(['create', 'namespace', 'payments']),
      // No controller-manager runs here, so the namespace's default ServiceAccount is created by hand.
      await cluster.kubectl(['-n', 'payments', 'create', 'serviceaccount', 'default']),
      await cluster.kubectl(['apply', '-f', '-'], webhookConfigurations(cluster.webhookPort, caBundle)),
    ];
    for (const step of setup) expect(step.stderr).toBe('');
    await waitForWebhook(cluster, { file: 'fixtures/admission/policies/tests/privileged-pod.yaml' });
  }, 600_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it("rejects a privileged Pod with parapet's message", async () => {
    const result = await cluster.kubectl([
      'create',
      '-f',
      'fixtures/admission/policies/tests/privileged-pod.yaml',
    ]);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(
      'admission webhook "validate.parapet.dev" denied the request: parapet denied Pod/payments/node-debugger:',
    );
    expect(result.stderr).toContain(
      '[admission-no-privileged] Container "debug" of Pod/payments/node-debugger runs privileged (fix: Remove securityContext.privileged or set it to false.)',
    );
    const stored = await cluster.kubectl(['-n', 'payments', 'get', 'pod', 'node-debugger']);
    expect(stored.stderr).toContain('NotFound');
  });

  it('admits a compliant Pod', async () => {
    const result = await cluster.kubectl([
      'create',
      '-f',
      'fixtures/admission/policies/tests/hardened-pod.yaml',
    ]);
    expect(result.stderr).toBe('');
    expect(result.stdout.trim()).toBe('pod/payments-api created');
    const stored = await cluster.kubectl([
      '-n',
      'payments',
      'get',
      'pod',
      'payments-api',
      '-o',
      'jsonpath={.metadata.name}',
    ]);
    expect(stored.stdout).toBe('payments-api');
  });

  it('shows a warn-mode finding as a kubectl Warning and admits the Pod', async () => {
    const result = await cluster.kubectl(['create', '-f', 'fixtures/admission/e2e/latest-tag-pod.yaml']);
    expect(result.code).toBe(0);
    expect(result.stdout.trim()).toBe('pod/payments-worker created');
    expect(result.stderr).toContain(
      'Warning: [admission-pinned-image-tag] Container "worker" uses image registry.example.com/payments/worker:latest without a pinned tag',
    );
  });

  it('mutates a Pod with the fix of a mutating policy, so that it is admitted', async () => {
    const result = await cluster.kubectl(['create', '-f', 'fixtures/admission/e2e/no-seccomp-pod.yaml']);
    expect(result.stdout.trim()).toBe('pod/payments-reconciler created');
    expect(result.stderr).toContain(
      'Warning: parapet mutated Pod/payments/payments-reconciler: applied the fix of admission-seccomp-runtime-default',
    );
    const stored = await cluster.kubectl([
      '-n',
      'payments',
      'get',
      'pod',
      'payments-reconciler',
      '-o',
      'jsonpath={.spec.securityContext.seccompProfile.type}',
    ]);
    expect(stored.stdout).toBe('RuntimeDefault');
  });
});
