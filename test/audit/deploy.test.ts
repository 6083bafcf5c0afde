/**
 * The kustomize components of the webhook (webhooks/audit, the background audit; webhooks/namespace-labels,
 * the Namespace watch of namespaceSelectors) render onto the webhook's deploy manifests with kubectl's
 * built-in kustomize, alone and together, and their RBAC covers what they read.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { binaries } from '../e2e/cluster.js';
import { repoPath } from '../helpers.js';

const run = promisify(execFile);
const haveKubectl = existsSync(binaries.kubectl);
if (!haveKubectl)
  console.warn(
    `audit deploy test: skipped, kubectl is missing at ${binaries.kubectl} (run .ci/setup-k8s.sh)`,
  );

type Obj = Record<string, unknown>;

describe.skipIf(!haveKubectl)('webhooks/audit (the background audit component)', () => {
  it('adds the interval, the pod name, the token, API egress, the CRDs and the RBAC to the webhook', async () => {
    // An overlay inside the repository, as a user's own kustomization would reference both.
    mkdirSync(repoPath('test/artifacts'), { recursive: true });
    const dir = mkdtempSync(path.join(repoPath('test/artifacts'), 'overlay-'));
    writeFileSync(
      path.join(dir, 'kustomization.yaml'),
      'resources: [../../../webhooks]\ncomponents: [../../../webhooks/audit]\n',
    );
    const { stdout } = await run(binaries.kubectl, ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
    const objects = parseAllDocuments(stdout).map((d) => d.toJS() as Obj);
    const find = (kind: string, name: string) =>
      objects.find((o) => o.kind === kind && (o.metadata as Obj).name === name) as Obj;
    const pod = ((find('Deployment', 'parapet-webhook').spec as Obj).template as Obj).spec as Obj;
    const container = (pod.containers as Obj[])[0]!;
    expect(container.args).toContain('--audit-interval=1h');
    expect((container.env as Obj[]).map((e) => e.name)).toEqual(
      expect.arrayContaining(['POD_NAMESPACE', 'POD_NAME']),
    );
    expect(pod.automountServiceAccountToken).toBe(true);
    const egress = (find('NetworkPolicy', 'parapet-webhook').spec as Obj).egress as Obj[];
    expect(JSON.stringify(egress)).toContain('"port":6443');
    expect(find('CustomResourceDefinition', 'policyreports.wgpolicyk8s.io')).toBeDefined();
    const role = find('ClusterRole', 'parapet-audit');
    const rules = role.rules as Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>;
    const can = (group: string, resource: string, verb: string) =>
      rules.some(
        (r) => r.apiGroups.includes(group) && r.resources.includes(resource) && r.verbs.includes(verb),
      );
    for (const [group, resource] of [
      ['apps', 'deployments'],
      ['', 'pods'],
      ['', 'namespaces'],
      ['rbac.authorization.k8s.io', 'clusterrolebindings'],
      ['networking.k8s.io', 'networkpolicies'],
    ] as const)
      expect(can(group, resource, 'list')).toBe(true);
    expect(can('wgpolicyk8s.io', 'policyreports', 'patch')).toBe(true);
    expect(can('', 'secrets', 'list')).toBe(false);
    const binding = find('ClusterRoleBinding', 'parapet-audit');
    expect(binding.subjects).toEqual([
      { kind: 'ServiceAccount', name: 'parapet', namespace: 'parapet-system' },
    ]);
  });

  it('adds the Namespace watch with its RBAC, alone or beside the audit', async () => {
    for (const components of [['namespace-labels'], ['audit', 'namespace-labels']]) {
      mkdirSync(repoPath('test/artifacts'), { recursive: true });
      const dir = mkdtempSync(path.join(repoPath('test/artifacts'), 'overlay-'));
      writeFileSync(
        path.join(dir, 'kustomization.yaml'),
        `resources: [../../../webhooks]\ncomponents: [${components.map((c) => `../../../webhooks/${c}`).join(', ')}]\n`,
      );
      const { stdout } = await run(binaries.kubectl, ['kustomize', dir], { maxBuffer: 16 * 1024 * 1024 });
      const objects = parseAllDocuments(stdout).map((d) => d.toJS() as Obj);
      const find = (kind: string, name: string) =>
        objects.find((o) => o.kind === kind && (o.metadata as Obj).name === name) as Obj | undefined;
      const pod = ((find('Deployment', 'parapet-webhook')!.spec as Obj).template as Obj).spec as Obj;
      expect((pod.containers as Obj[])[0]!.args).toContain('--namespace-labels=cluster');
      expect(pod.automountServiceAccountToken).toBe(true);
      const roles = ['parapet-namespace-labels', ...(components.includes('audit') ? ['parapet-audit'] : [])];
      for (const name of roles) {
        const rules = find('ClusterRole', name)!.rules as Array<{ resources: string[]; verbs: string[] }>;
        expect(
          rules.some(
            (r) => r.resources.includes('namespaces') && ['list', 'watch'].every((v) => r.verbs.includes(v)),
          ),
          name,
        ).toBe(true);
      }
      const labelsRole = find('ClusterRole', 'parapet-namespace-labels')!.rules as Array<{
        resources: string[];
      }>;
      expect(labelsRole.flatMap((r) => r.resources)).toEqual(['namespaces']);
    }
  });
});
