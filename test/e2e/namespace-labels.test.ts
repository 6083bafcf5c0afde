/**
 * namespaceSelectors at admission, behind a real kube-apiserver: `parapet serve
 * --namespace-labels=cluster` runs as the webhook's service account with only the RBAC of
 * webhooks/namespace-labels, watches the cluster's Namespaces, and judges a Pod by the labels its
 * Namespace has now: a Gatekeeper Constraint that selects `environment: prod` namespaces denies a
 * Pod there, admits it elsewhere, and follows a relabelled Namespace.
 */
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findOpa } from '../../src/rego/compiler.js';
import { repoPath } from '../helpers.js';
import { eventually, missingPrerequisite, startCluster, waitForWebhook, type Cluster } from './cluster.js';

const missing = missingPrerequisite() ?? (findOpa() ? undefined : 'opa (run .ci/setup-opa.sh)');
if (missing) console.warn(`test/e2e/namespace-labels.test.ts: skipped: missing ${missing}`);

const serviceAccount = 'system:serviceaccount:parapet-system:parapet';
let cluster: Cluster;

function webhookConfiguration(port: number, caBundle: string): string {
  return JSON.stringify({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: 'parapet' },
    webhooks: [
      {
        name: 'validate.parapet.dev',
        failurePolicy: 'Fail',
        clientConfig: { url: `https://127.0.0.1:${port}/validate`, caBundle },
        admissionReviewVersions: ['v1'],
        sideEffects: 'None',
        timeoutSeconds: 5,
        rules: [
          {
            apiGroups: [''],
            apiVersions: ['v1'],
            operations: ['CREATE'],
            resources: ['pods'],
            scope: 'Namespaced',
          },
        ],
      },
    ],
  });
}

function pod(namespace: string, name: string): string {
  return JSON.stringify({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { name, namespace },
    spec: { containers: [{ name: 'app', image: 'registry.example.com/shop/app:1.4.2' }] },
  });
}

async function ok(args: string[], stdin?: string): Promise<string> {
  const result = await cluster.kubectl(args, stdin);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

describe.skipIf(missing !== undefined)(
  'namespaceSelectors at admission with the cluster’s Namespace labels',
  () => {
    beforeAll(async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'parapet-e2e-nslabels-'));
      const policies = path.join(dir, 'policies');
      mkdirSync(policies);
      copyFileSync(
        repoPath('fixtures/rego/gatekeeper-suites/templates/k8sownerlabel.yaml'),
        path.join(policies, 'k8sownerlabel.yaml'),
      );
      writeFileSync(
        path.join(policies, 'prod-owner.yaml'),
        [
          'apiVersion: constraints.gatekeeper.sh/v1beta1',
          'kind: K8sOwnerLabel',
          'metadata:',
          '  name: prod-owner',
          'spec:',
          '  match:',
          '    kinds: [{ apiGroups: [""], kinds: [Pod] }]',
          '    namespaceSelector:',
          '      matchLabels: { environment: prod }',
          '',
        ].join('\n'),
      );
      cluster = await startCluster(
        path.join(dir, 'cluster'),
        ['--no-builtin', `--policies=${policies}`, '--namespace-labels=cluster'],
        {
          serveUser: serviceAccount,
          // The component's RBAC, as `kubectl apply -k` would install it, before the server starts.
          beforeServe: async (kubectl) => {
            for (const step of [
              await kubectl(['create', 'namespace', 'parapet-system']),
              await kubectl(['apply', '-f', 'webhooks/namespace-labels/rbac.yaml']),
            ])
              if (step.code !== 0) throw new Error(step.stderr);
          },
        },
      );
      await ok(['create', 'namespace', 'shop']);
      await ok(['label', 'namespace', 'shop', 'environment=prod']);
      await ok(['create', 'namespace', 'sandbox']);
      // No controller-manager runs here, so each namespace's default ServiceAccount is created by hand.
      for (const namespace of ['shop', 'sandbox'])
        await ok(['-n', namespace, 'create', 'serviceaccount', 'default']);
      const caBundle = readFileSync(cluster.pki.ca.cert).toString('base64');
      await ok(['apply', '-f', '-'], webhookConfiguration(cluster.webhookPort, caBundle));
      await waitForWebhook(cluster, { yaml: pod('shop', 'probe') });
    }, 600_000);

    afterAll(async () => {
      await cluster?.stop();
    }, 60_000);

    it('runs with no more than the namespace-labels RBAC', async () => {
      const can = async (verb: string, resource: string) =>
        (await cluster.kubectl(['auth', 'can-i', verb, resource, `--as=${serviceAccount}`])).stdout.trim();
      expect(await can('watch', 'namespaces')).toBe('yes');
      expect(await can('list', 'pods')).toBe('no');
      expect(await can('get', 'secrets')).toBe('no');
    });

    it('denies a Pod in a namespace the selector picks, and admits it in another', async () => {
      const denied = await cluster.kubectl(['create', '-f', '-'], pod('shop', 'web'));
      expect(denied.code).not.toBe(0);
      expect(denied.stderr).toContain('admission webhook "validate.parapet.dev" denied the request');
      expect(denied.stderr).toContain('[k8sownerlabel.prod-owner] Pod web must carry the label owner');
      const admitted = await cluster.kubectl(['create', '-f', '-'], pod('sandbox', 'web'));
      expect(admitted.stderr).toBe('');
      expect(admitted.code).toBe(0);
    });

    it('follows a Namespace that is relabelled', async () => {
      await ok(['label', 'namespace', 'sandbox', 'environment=prod']);
      const denied = await eventually(async () => {
        const attempt = await cluster.kubectl(
          ['create', '--dry-run=server', '-f', '-'],
          pod('sandbox', 'web-2'),
        );
        return { done: attempt.code !== 0, value: attempt.stderr };
      }, 30_000);
      expect(denied).toContain('[k8sownerlabel.prod-owner] Pod web-2 must carry the label owner');
      await ok(['label', 'namespace', 'shop', 'environment-']);
      const allowed = await eventually(async () => {
        const attempt = await cluster.kubectl(
          ['create', '--dry-run=server', '-f', '-'],
          pod('shop', 'web-3'),
        );
        return { done: attempt.code === 0, value: attempt.code === 0 };
      }, 30_000);
      expect(allowed).toBe(true);
    });
  },
);
