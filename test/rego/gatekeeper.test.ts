import { cpSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { kubernetesResource } from '../../src/inputs/kubernetes.js';
import { loadPolicies } from '../../src/policies/load.js';
import {
  gatekeeperReview,
  matchConstraint,
  modeForAction,
  selects,
  type ConstraintMatch,
} from '../../src/rego/gatekeeper.js';
import { evaluateRego, findingLines } from './helpers.js';

const gatekeeper = 'fixtures/rego/gatekeeper';
const scratch = mkdtempSync(join(tmpdir(), 'parapet-gatekeeper-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('Gatekeeper ConstraintTemplates and Constraints', () => {
  it('turn each Constraint into a policy whose mode follows enforcementAction', async () => {
    const policies = await loadPolicies({ builtin: false, paths: [gatekeeper] });
    expect(policies.map((policy) => [policy.id, policy.defaultMode, policy.match.kinds])).toEqual([
      [
        'k8sallowedrepos.registry-example-com-only',
        'warn',
        ['Pod', 'Deployment', 'DaemonSet', 'StatefulSet', 'CronJob', 'Job'],
      ],
      ['k8scontainerlimits.container-limits', 'audit', ['Deployment']],
      ['k8sprivilegedcontainer.no-privileged-containers', 'enforce', ['Pod', 'Deployment', 'DaemonSet']],
      ['k8srequiredlabels.must-have-owner', 'enforce', ['Namespace', 'Deployment', 'StatefulSet']],
      ['k8suniqueingresshost.unique-ingress-host', 'enforce', ['Ingress']],
    ]);
  });

  it('review each manifest as Gatekeeper would and report the violation messages', async () => {
    const result = await evaluateRego({
      policies: [gatekeeper],
      inputs: ['fixtures/rego/gatekeeper/manifests'],
    });
    expect(findingLines(result)).toEqual([
      'fail k8suniqueingresshost.unique-ingress-host Ingress/shop/storefront: ingress host shop.example.com conflicts with Ingress marketing/campaign',
      'fail k8suniqueingresshost.unique-ingress-host Ingress/marketing/campaign: ingress host shop.example.com conflicts with Ingress shop/storefront',
      'fail k8srequiredlabels.must-have-owner Namespace/monitoring: label <owner: platform> does not match the regular expression ^team-[a-z0-9-]+$',
      'warn k8sallowedrepos.registry-example-com-only Deployment/shop/cart: container <proxy> has an invalid image repo <docker.io/envoyproxy/envoy:v1.31.2>, allowed repos are ["registry.example.com/", "mirror.gcr.io/library/"]',
      'audit k8scontainerlimits.container-limits Deployment/shop/cart: container <proxy> CPU limit <4> is higher than the maximum allowed of <2>',
      'fail k8sprivilegedcontainer.no-privileged-containers Deployment/shop/cart: Privileged container is not allowed: proxy, securityContext: {"privileged": true}',
      'fail k8sprivilegedcontainer.no-privileged-containers Pod/shop/debug-shell: Privileged container is not allowed: shell, securityContext: {"privileged": true}',
    ]);
    const allowedRepos = result.findings.find(
      (finding) => finding.policyId === 'k8sallowedrepos.registry-example-com-only',
    );
    expect(allowedRepos?.details).toEqual({
      container: 'proxy',
      image: 'docker.io/envoyproxy/envoy:v1.31.2',
    });
    // node-exporter runs privileged in a namespace labelled privileged: the namespaceSelector leaves it out.
    expect(
      result.findings.some((finding) => finding.resource.id === 'DaemonSet/monitoring/node-exporter'),
    ).toBe(false);
  });

  it('give referential templates data.inventory built from the inputs, in both isolations', async () => {
    for (const isolation of ['worker', 'inline'] as const) {
      const both = await evaluateRego({
        policies: [gatekeeper],
        inputs: ['fixtures/rego/gatekeeper/manifests/ingresses.yaml'],
        rego: { isolation },
      });
      expect(both.findings.map((finding) => [finding.resource.id, finding.details])).toEqual([
        ['Ingress/shop/storefront', { host: 'shop.example.com', other: 'marketing/campaign' }],
        ['Ingress/marketing/campaign', { host: 'shop.example.com', other: 'shop/storefront' }],
      ]);
    }
    // Alone, an Ingress conflicts with nothing: the inventory holds only this run's objects.
    const { loadInputs } = await import('../../src/inputs/load.js');
    const { resources } = await loadInputs(['fixtures/rego/gatekeeper/manifests/ingresses.yaml']);
    const alone = await evaluateRego({ policies: [gatekeeper], resources: resources.slice(0, 1) });
    expect(findingLines(alone)).toEqual([]);
  });

  it('report unknown when a namespaceSelector needs a namespace that is not among the inputs', async () => {
    const result = await evaluateRego({
      policies: [gatekeeper],
      inputs: ['fixtures/rego/conftest-kubernetes/manifests/deployment-insecure.yaml'],
    });
    expect(findingLines(result).filter((line) => line.includes('k8sprivilegedcontainer'))).toEqual([
      'unknown k8sprivilegedcontainer.no-privileged-containers Deployment/default/reports: K8sPrivilegedContainer no-privileged-containers: the namespaceSelector needs the labels of namespace default, which is not among the inputs',
    ]);
  });

  it('refuses a Constraint whose parameters break the template schema, naming the file', async () => {
    const dir = join(scratch, 'bad-params');
    cpSync(join(gatekeeper, 'templates'), join(dir, 'templates'), { recursive: true });
    writeFileSync(
      join(dir, 'repos.yaml'),
      'apiVersion: constraints.gatekeeper.sh/v1beta1\nkind: K8sAllowedRepos\nmetadata:\n  name: bad\nspec:\n  parameters:\n    repos: registry.example.com/\n',
    );
    await expect(loadPolicies({ builtin: false, paths: [dir] })).rejects.toThrow(
      `${join(dir, 'repos.yaml')}: constraint K8sAllowedRepos/bad: spec.parameters.repos must be array`,
    );
  });

  it('refuses a Constraint without its template, and an unknown enforcementAction', async () => {
    const dir = join(scratch, 'orphan');
    cpSync(join(gatekeeper, 'constraints', 'no-privileged.yaml'), join(dir, 'no-privileged.yaml'));
    await expect(loadPolicies({ builtin: false, paths: [dir] })).rejects.toThrow(
      /no-privileged\.yaml: constraint K8sPrivilegedContainer\/no-privileged-containers has no ConstraintTemplate defining kind K8sPrivilegedContainer/,
    );
    expect(modeForAction('deny')).toBe('enforce');
    expect(modeForAction('warn')).toBe('warn');
    expect(modeForAction('dryrun')).toBe('audit');
    expect(modeForAction('block')).toBeUndefined();
  });
});

describe('Gatekeeper matching', () => {
  const deployment = kubernetesResource(
    {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'kube-system', labels: { tier: 'batch' } },
      spec: {},
    },
    { file: 'web.yaml', line: 1 },
  );
  const namespace = kubernetesResource(
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', labels: { team: 'platform' } } },
    { file: 'ns.yaml', line: 1 },
  );
  const none = () => undefined;

  it.each<[string, ConstraintMatch, boolean | 'unknown']>([
    ['kinds with the right group', { kinds: [{ apiGroups: ['apps'], kinds: ['Deployment'] }] }, true],
    ['kinds with the wrong group', { kinds: [{ apiGroups: [''], kinds: ['Deployment'] }] }, false],
    ['wildcard kinds', { kinds: [{ apiGroups: ['*'], kinds: ['*'] }] }, true],
    ['excludedNamespaces prefix glob', { excludedNamespaces: ['kube-*'] }, false],
    ['namespaces list', { namespaces: ['default'] }, false],
    [
      'labelSelector NotIn',
      { labelSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['batch'] }] } },
      false,
    ],
    [
      'labelSelector Exists',
      { labelSelector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] } },
      true,
    ],
    ['scope Cluster', { scope: 'Cluster' }, false],
    ['name glob', { name: 'we*' }, true],
    [
      'namespaceSelector without the namespace',
      { namespaceSelector: { matchLabels: { team: 'platform' } } },
      'unknown',
    ],
  ])('%s', (_name, match, expected) => {
    expect(matchConstraint(match, deployment, none).applies).toBe(expected);
  });

  it('namespaceSelector reads the Namespace among the inputs, and a Namespace matches by its own name', () => {
    const lookup = (name: string) => (name === 'kube-system' ? namespace.labels : undefined);
    expect(
      matchConstraint({ namespaceSelector: { matchLabels: { team: 'platform' } } }, deployment, lookup)
        .applies,
    ).toBe(true);
    expect(
      matchConstraint({ namespaceSelector: { matchLabels: { team: 'payments' } } }, deployment, lookup)
        .applies,
    ).toBe(false);
    expect(matchConstraint({ namespaces: ['kube-system'] }, namespace, none).applies).toBe(true);
    expect(
      selects(
        { matchLabels: { team: 'platform' }, matchExpressions: [{ key: 'env', operator: 'DoesNotExist' }] },
        namespace.labels,
      ),
    ).toBe(true);
  });

  it('builds input.review like Gatekeeper, using the admission request when there is one', () => {
    expect(gatekeeperReview(deployment)).toMatchObject({
      kind: { group: 'apps', version: 'v1', kind: 'Deployment' },
      name: 'web',
      namespace: 'kube-system',
      operation: 'CREATE',
      oldObject: null,
    });
    const update = gatekeeperReview(deployment, {
      operation: 'UPDATE',
      userInfo: { username: 'alice' },
      oldObject: { kind: 'Deployment' },
    });
    expect(update).toMatchObject({
      operation: 'UPDATE',
      userInfo: { username: 'alice' },
      oldObject: { kind: 'Deployment' },
    });
  });
});
