import { ParapetError } from '../../model/errors.js';
import { parseMinorVersion } from '../../pss/version.js';
import type { Violation } from '../rules/types.js';
import type { CheckDefinition } from './types.js';

/** One served API version of a kind that Kubernetes stopped serving at `removedIn` (minor of v1). */
interface RemovedApi {
  apiVersion: string;
  kinds: string[];
  removedIn: number;
  /** The version to move to; absent when the kind has no successor (PodSecurityPolicy). */
  replacement?: string;
}

/** From the Kubernetes deprecated API migration guide (kubernetes.io/docs/reference/using-api/deprecation-guide/). */
const removedApis: RemovedApi[] = [
  {
    apiVersion: 'extensions/v1beta1',
    kinds: ['DaemonSet', 'Deployment', 'ReplicaSet'],
    removedIn: 16,
    replacement: 'apps/v1',
  },
  {
    apiVersion: 'extensions/v1beta1',
    kinds: ['NetworkPolicy'],
    removedIn: 16,
    replacement: 'networking.k8s.io/v1',
  },
  {
    apiVersion: 'extensions/v1beta1',
    kinds: ['PodSecurityPolicy'],
    removedIn: 16,
    replacement: 'policy/v1beta1',
  },
  {
    apiVersion: 'apps/v1beta1',
    kinds: ['Deployment', 'StatefulSet', 'ControllerRevision'],
    removedIn: 16,
    replacement: 'apps/v1',
  },
  {
    apiVersion: 'apps/v1beta2',
    kinds: ['DaemonSet', 'Deployment', 'ReplicaSet', 'StatefulSet', 'ControllerRevision'],
    removedIn: 16,
    replacement: 'apps/v1',
  },
  {
    apiVersion: 'admissionregistration.k8s.io/v1beta1',
    kinds: ['MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration'],
    removedIn: 22,
    replacement: 'admissionregistration.k8s.io/v1',
  },
  {
    apiVersion: 'apiextensions.k8s.io/v1beta1',
    kinds: ['CustomResourceDefinition'],
    removedIn: 22,
    replacement: 'apiextensions.k8s.io/v1',
  },
  {
    apiVersion: 'apiregistration.k8s.io/v1beta1',
    kinds: ['APIService'],
    removedIn: 22,
    replacement: 'apiregistration.k8s.io/v1',
  },
  {
    apiVersion: 'authentication.k8s.io/v1beta1',
    kinds: ['TokenReview'],
    removedIn: 22,
    replacement: 'authentication.k8s.io/v1',
  },
  {
    apiVersion: 'authorization.k8s.io/v1beta1',
    kinds: [
      'LocalSubjectAccessReview',
      'SelfSubjectAccessReview',
      'SubjectAccessReview',
      'SelfSubjectRulesReview',
    ],
    removedIn: 22,
    replacement: 'authorization.k8s.io/v1',
  },
  {
    apiVersion: 'certificates.k8s.io/v1beta1',
    kinds: ['CertificateSigningRequest'],
    removedIn: 22,
    replacement: 'certificates.k8s.io/v1',
  },
  {
    apiVersion: 'coordination.k8s.io/v1beta1',
    kinds: ['Lease'],
    removedIn: 22,
    replacement: 'coordination.k8s.io/v1',
  },
  {
    apiVersion: 'extensions/v1beta1',
    kinds: ['Ingress'],
    removedIn: 22,
    replacement: 'networking.k8s.io/v1',
  },
  {
    apiVersion: 'networking.k8s.io/v1beta1',
    kinds: ['Ingress', 'IngressClass'],
    removedIn: 22,
    replacement: 'networking.k8s.io/v1',
  },
  {
    apiVersion: 'rbac.authorization.k8s.io/v1beta1',
    kinds: ['ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'],
    removedIn: 22,
    replacement: 'rbac.authorization.k8s.io/v1',
  },
  {
    apiVersion: 'scheduling.k8s.io/v1beta1',
    kinds: ['PriorityClass'],
    removedIn: 22,
    replacement: 'scheduling.k8s.io/v1',
  },
  {
    apiVersion: 'storage.k8s.io/v1beta1',
    kinds: ['CSIDriver', 'CSINode', 'StorageClass', 'VolumeAttachment'],
    removedIn: 22,
    replacement: 'storage.k8s.io/v1',
  },
  { apiVersion: 'batch/v1beta1', kinds: ['CronJob'], removedIn: 25, replacement: 'batch/v1' },
  {
    apiVersion: 'discovery.k8s.io/v1beta1',
    kinds: ['EndpointSlice'],
    removedIn: 25,
    replacement: 'discovery.k8s.io/v1',
  },
  { apiVersion: 'events.k8s.io/v1beta1', kinds: ['Event'], removedIn: 25, replacement: 'events.k8s.io/v1' },
  {
    apiVersion: 'autoscaling/v2beta1',
    kinds: ['HorizontalPodAutoscaler'],
    removedIn: 25,
    replacement: 'autoscaling/v2',
  },
  { apiVersion: 'policy/v1beta1', kinds: ['PodDisruptionBudget'], removedIn: 25, replacement: 'policy/v1' },
  { apiVersion: 'policy/v1beta1', kinds: ['PodSecurityPolicy'], removedIn: 25 },
  {
    apiVersion: 'node.k8s.io/v1beta1',
    kinds: ['RuntimeClass'],
    removedIn: 25,
    replacement: 'node.k8s.io/v1',
  },
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta1',
    kinds: ['FlowSchema', 'PriorityLevelConfiguration'],
    removedIn: 26,
    replacement: 'flowcontrol.apiserver.k8s.io/v1',
  },
  {
    apiVersion: 'autoscaling/v2beta2',
    kinds: ['HorizontalPodAutoscaler'],
    removedIn: 26,
    replacement: 'autoscaling/v2',
  },
  {
    apiVersion: 'storage.k8s.io/v1beta1',
    kinds: ['CSIStorageCapacity'],
    removedIn: 27,
    replacement: 'storage.k8s.io/v1',
  },
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta2',
    kinds: ['FlowSchema', 'PriorityLevelConfiguration'],
    removedIn: 29,
    replacement: 'flowcontrol.apiserver.k8s.io/v1',
  },
  {
    apiVersion: 'flowcontrol.apiserver.k8s.io/v1beta3',
    kinds: ['FlowSchema', 'PriorityLevelConfiguration'],
    removedIn: 32,
    replacement: 'flowcontrol.apiserver.k8s.io/v1',
  },
];

const byApi = new Map<string, RemovedApi>();
for (const api of removedApis) for (const kind of api.kinds) byApi.set(`${api.apiVersion} ${kind}`, api);

/** The v1 minor a `kubernetesVersion` option names: `latest` is past every known removal. */
function targetMinor(value: unknown, policyFile: string): number {
  if (value === 'latest') return Number.POSITIVE_INFINITY;
  const version = typeof value === 'string' ? parseMinorVersion(value) : undefined;
  if (!version)
    throw new ParapetError(
      'PARAPET_POLICY_COMPILE',
      `${policyFile}: rule.check.with.kubernetesVersion: ${JSON.stringify(value)} is not latest or v1.N`,
      { file: policyFile },
    );
  return version.minor;
}

/**
 * `k8s-api-versions`: objects written in an API version Kubernetes no longer serves. Options:
 * `kubernetesVersion` (`latest` or `v1.N`, the cluster the manifests are for) and `when`:
 * `removed` (the version does not serve it: applying fails) or `scheduled` (it still serves it,
 * a later minor release removes it: upgrading past it breaks the manifest).
 */
export const k8sApiVersionsCheck: CheckDefinition = {
  name: 'k8s-api-versions',
  description: 'objects in API versions removed at, or scheduled for removal after, a Kubernetes version',
  compile(options, policy) {
    const target = targetMinor(options.kubernetesVersion ?? 'latest', policy.file);
    const scheduled = options.when === 'scheduled';
    return {
      scope: 'resource',
      evaluate(resource): Violation[] {
        const apiVersion = resource.body.apiVersion;
        if (typeof apiVersion !== 'string') return [];
        const api = byApi.get(`${apiVersion} ${resource.kind}`);
        if (!api || (scheduled ? api.removedIn <= target : api.removedIn > target)) return [];
        return [
          {
            path: '/apiVersion',
            values: {
              removedIn: `v1.${api.removedIn}`,
              replacement: api.replacement ?? 'no successor: remove the object',
            },
          },
        ];
      },
    };
  },
};
