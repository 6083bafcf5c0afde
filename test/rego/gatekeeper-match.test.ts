import { describe, expect, it } from 'vitest';
import { kubernetesResource } from '../../src/inputs/kubernetes.js';
import type { Resource } from '../../src/model/resource.js';
import {
  matchConstraint,
  parseConstraint,
  wildcardMatches,
  type ConstraintMatch,
} from '../../src/rego/gatekeeper.js';

/** The objects every table below is matched against. */
const object = (doc: Record<string, unknown>): Resource =>
  kubernetesResource(doc, { file: 'objects.yaml', line: 1 });
const objects = {
  deployment: object({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', labels: { app: 'web', tier: 'frontend' } },
  }),
  unplacedDeployment: object({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' } }),
  pod: object({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web-7d9f', namespace: 'kube-system' } }),
  generatedPod: object({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: { generateName: 'job-', namespace: 'batch' },
  }),
  namespace: object({
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: 'gatekeeper-system', labels: { team: 'platform' } },
  }),
  clusterRole: object({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: { name: 'viewer' },
  }),
  // A CRD kind named Namespace outside the core group is not a Namespace to Gatekeeper.
  fakeNamespace: object({
    apiVersion: 'example.com/v1',
    kind: 'Namespace',
    metadata: { name: 'kube-system' },
  }),
};
type Name = keyof typeof objects;

const namespaces: Record<string, Record<string, string>> = {
  shop: { team: 'shop', environment: 'prod' },
  'kube-system': { 'kubernetes.io/metadata.name': 'kube-system' },
};
const lookup = (name: string) => namespaces[name];

/** [criterion, match, objects it applies to ('unknown' marks an object whose namespace is not known)] */
type Row = [string, ConstraintMatch, Partial<Record<Name, true | 'unknown'>>];

function check(match: ConstraintMatch, expected: Partial<Record<Name, true | 'unknown'>>) {
  const got: Partial<Record<Name, true | 'unknown'>> = {};
  for (const [name, resource] of Object.entries(objects) as Array<[Name, Resource]>) {
    const verdict = matchConstraint(match, resource, lookup).applies;
    if (verdict !== false) got[name] = verdict;
  }
  expect(got).toEqual(expected);
}

const all = {
  deployment: true,
  unplacedDeployment: true,
  pod: true,
  generatedPod: true,
  namespace: true,
  clusterRole: true,
  fakeNamespace: true,
} as const;

describe('Gatekeeper match, criterion by criterion', () => {
  it.each<Row>([
    ['no criteria', {}, all],
    [
      'apps Deployments',
      { kinds: [{ apiGroups: ['apps'], kinds: ['Deployment'] }] },
      { deployment: true, unplacedDeployment: true },
    ],
    [
      'the core group is ""',
      { kinds: [{ apiGroups: [''], kinds: ['Pod', 'Namespace'] }] },
      { pod: true, generatedPod: true, namespace: true },
    ],
    [
      'a group that does not hold the kind',
      { kinds: [{ apiGroups: ['extensions'], kinds: ['Deployment'] }] },
      {},
    ],
    [
      '* groups',
      { kinds: [{ apiGroups: ['*'], kinds: ['Namespace'] }] },
      { namespace: true, fakeNamespace: true },
    ],
    [
      '* kinds',
      { kinds: [{ apiGroups: ['rbac.authorization.k8s.io'], kinds: ['*'] }] },
      { clusterRole: true },
    ],
    ['empty lists match everything', { kinds: [{ apiGroups: [], kinds: [] }] }, all],
    [
      'missing kinds match every kind of the groups',
      { kinds: [{ apiGroups: ['apps'] }] },
      { deployment: true, unplacedDeployment: true },
    ],
    ['missing apiGroups match every group', { kinds: [{ kinds: ['ClusterRole'] }] }, { clusterRole: true }],
    [
      'any entry may match',
      {
        kinds: [
          { apiGroups: ['apps'], kinds: ['Deployment'] },
          { apiGroups: [''], kinds: ['Pod'] },
        ],
      },
      { deployment: true, unplacedDeployment: true, pod: true, generatedPod: true },
    ],
    ['kinds are case-sensitive', { kinds: [{ apiGroups: ['*'], kinds: ['deployment'] }] }, {}],
  ])('kinds: %s', (_, match, expected) => check(match, expected));

  it.each<Row>([
    ['*', { scope: '*' }, all],
    // Without metadata.namespace an object is cluster-scoped to Gatekeeper (gator, audit of manifests).
    [
      'Cluster',
      { scope: 'Cluster' },
      { unplacedDeployment: true, namespace: true, clusterRole: true, fakeNamespace: true },
    ],
    ['Namespaced', { scope: 'Namespaced' }, { deployment: true, pod: true, generatedPod: true }],
  ])('scope: %s', (_, match, expected) => check(match, expected));

  it.each<Row>([
    [
      'an exact name',
      { namespaces: ['shop'] },
      { deployment: true, unplacedDeployment: true, clusterRole: true, fakeNamespace: true },
    ],
    [
      'a prefix glob',
      { namespaces: ['kube-*'] },
      { unplacedDeployment: true, pod: true, clusterRole: true, fakeNamespace: true },
    ],
    [
      'a suffix glob, matching a Namespace by its own name',
      { namespaces: ['*-system'] },
      { unplacedDeployment: true, pod: true, namespace: true, clusterRole: true, fakeNamespace: true },
    ],
    [
      'a glob at both ends',
      { namespaces: ['*atc*'] },
      { unplacedDeployment: true, generatedPod: true, clusterRole: true, fakeNamespace: true },
    ],
    [
      'a * inside is literal',
      { namespaces: ['k*-system'] },
      { unplacedDeployment: true, clusterRole: true, fakeNamespace: true },
    ],
    ['an empty list is no criterion', { namespaces: [] }, all],
  ])('namespaces: %s (a missing namespace cannot disqualify)', (_, match, expected) =>
    check(match, expected),
  );

  it.each<Row>([
    ['an exact name', { excludedNamespaces: ['shop'] }, { ...all, deployment: undefined }],
    ['a prefix glob', { excludedNamespaces: ['kube-*'] }, { ...all, pod: undefined }],
    [
      'a suffix glob, excluding a Namespace by its own name',
      { excludedNamespaces: ['*-system'] },
      { ...all, pod: undefined, namespace: undefined },
    ],
  ])('excludedNamespaces: %s', (_, match, expected) =>
    check(match, Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined))),
  );

  it.each<Row>([
    ['matchLabels', { labelSelector: { matchLabels: { app: 'web' } } }, { deployment: true }],
    [
      'In',
      { labelSelector: { matchExpressions: [{ key: 'tier', operator: 'In', values: ['frontend', 'api'] }] } },
      { deployment: true },
    ],
    [
      'NotIn holds without the label',
      { labelSelector: { matchExpressions: [{ key: 'tier', operator: 'NotIn', values: ['frontend'] }] } },
      { ...all, deployment: undefined },
    ],
    [
      'Exists',
      { labelSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } },
      { namespace: true },
    ],
    [
      'DoesNotExist',
      { labelSelector: { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] } },
      { ...all, deployment: undefined },
    ],
    ['an empty selector selects everything', { labelSelector: {} }, all],
  ])('labelSelector: %s', (_, match, expected) =>
    check(match, Object.fromEntries(Object.entries(expected).filter(([, v]) => v !== undefined))),
  );

  it.each<Row>([
    // The Namespace's labels for namespaced objects, its own for a Namespace; cluster-scoped objects
    // (and objects without metadata.namespace) match; an unknown namespace is unknown.
    [
      'the namespace labels',
      { namespaceSelector: { matchLabels: { environment: 'prod' } } },
      {
        deployment: true,
        unplacedDeployment: true,
        generatedPod: 'unknown',
        clusterRole: true,
        fakeNamespace: true,
      },
    ],
    [
      'a Namespace by its own labels',
      { namespaceSelector: { matchLabels: { team: 'platform' } } },
      {
        unplacedDeployment: true,
        generatedPod: 'unknown',
        namespace: true,
        clusterRole: true,
        fakeNamespace: true,
      },
    ],
    [
      'matchExpressions',
      {
        namespaceSelector: {
          matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['kube-system'] }],
        },
      },
      {
        unplacedDeployment: true,
        pod: true,
        generatedPod: 'unknown',
        clusterRole: true,
        fakeNamespace: true,
      },
    ],
  ])('namespaceSelector: %s', (_, match, expected) => check(match, expected));

  it.each<Row>([
    ['exact', { name: 'web' }, { deployment: true, unplacedDeployment: true }],
    ['a prefix glob, also over generateName', { name: 'job-*' }, { generatedPod: true }],
    ['a suffix glob', { name: '*-system' }, { namespace: true, fakeNamespace: true }],
    ['a glob at both ends', { name: '*7d*' }, { pod: true }],
    ['an empty name is no criterion', { name: '' }, all],
  ])('name: %s', (_, match, expected) => check(match, expected));

  it('needs every criterion to hold', () => {
    check(
      {
        kinds: [{ apiGroups: ['apps'], kinds: ['Deployment'] }],
        namespaces: ['shop'],
        labelSelector: { matchLabels: { tier: 'frontend' } },
        namespaceSelector: { matchLabels: { team: 'shop' } },
        name: 'w*',
      },
      { deployment: true },
    );
  });
});

describe("Gatekeeper's wildcards", () => {
  it.each([
    ['kube-*', 'kube-system', true],
    ['kube-*', 'kube', false],
    ['*-system', 'gatekeeper-system', true],
    ['*-system', 'system', false],
    ['*sys*', 'kube-system', true],
    ['*', 'anything', true],
    ['k*-system', 'kube-system', false],
    ['k*-system', 'k*-system', true],
    ['shop', 'shop', true],
    ['shop', 'shop-dev', false],
  ])('%s against %s', (pattern, value, expected) => expect(wildcardMatches(pattern, value)).toBe(expected));
});

describe('Constraint match validation', () => {
  const constraint = (match: unknown) => ({
    apiVersion: 'constraints.gatekeeper.sh/v1beta1',
    kind: 'K8sRequiredLabels',
    metadata: { name: 'owner' },
    spec: { match },
  });
  it.each([
    [{ scope: 'cluster' }, 'spec.match.scope must be *, Cluster or Namespaced (found "cluster")'],
    [
      { namespaces: ['kube_system'] },
      'spec.match.namespaces[0] "kube_system" is not a name with an optional * at its start or end',
    ],
    [{ excludedNamespaces: 'kube-system' }, 'spec.match.excludedNamespaces must be a list'],
    [{ name: 'a*b*' }, 'spec.match.name "a*b*" is not a name with an optional * at its start or end'],
    [
      { labelSelector: { matchExpressions: [{ key: 'a', operator: 'In', values: [] }] } },
      'spec.match.labelSelector.matchExpressions[0]: values must not be empty for In',
    ],
    [
      { namespaceSelector: { matchExpressions: [{ key: 'a', operator: 'Exists', values: ['x'] }] } },
      'spec.match.namespaceSelector.matchExpressions[0]: values must be empty for Exists',
    ],
    [
      { labelSelector: { matchExpressions: [{ key: 'a', operator: 'Equals', values: ['x'] }] } },
      'spec.match.labelSelector.matchExpressions[0].operator must be In, NotIn, Exists or DoesNotExist',
    ],
    [{ kinds: [{ apiGroups: 'apps' }] }, 'spec.match.kinds[0].apiGroups must be a list'],
  ])('refuses %j', (match, problem) => {
    expect(parseConstraint(constraint(match), 'owner.yaml')).toBe(
      `constraint K8sRequiredLabels/owner: ${problem}`,
    );
  });

  it('accepts every criterion in its documented form', () => {
    const parsed = parseConstraint(
      constraint({
        kinds: [{ apiGroups: [''], kinds: ['Namespace'] }],
        scope: 'Cluster',
        namespaces: ['kube-*', '*-system', '*sys*'],
        excludedNamespaces: ['gatekeeper-system'],
        labelSelector: { matchExpressions: [{ key: 'owner', operator: 'DoesNotExist' }] },
        namespaceSelector: { matchLabels: { team: 'platform' } },
        name: 'team-*',
      }),
      'owner.yaml',
    );
    expect(typeof parsed).toBe('object');
  });
});
