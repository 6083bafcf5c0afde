import type { Resource } from '../model/resource.js';
import { isQuote, type PriceCatalogue, type PriceLookup } from './catalogue.js';
import { runsPerMonth } from './cron.js';
import { GIB, parseQuantity } from './quantity.js';
import type { KubernetesCostSettings } from './settings.js';
import { EstimateBuilder } from './state.js';
import { HOURS_PER_MONTH, type StateEstimate } from './types.js';

/** Annotation overriding `cost.kubernetes.daemonSetNodes` for one DaemonSet. */
export const NODES_ANNOTATION = 'parapet.dev/cost-nodes';
/** Annotation overriding `cost.kubernetes.jobRunHours` for one Job or CronJob. */
export const RUN_HOURS_ANNOTATION = 'parapet.dev/cost-run-hours';

const replicatedKinds = new Set(['Deployment', 'StatefulSet', 'ReplicaSet', 'ReplicationController']);
const workloadKinds = new Set([...replicatedKinds, 'Pod', 'DaemonSet', 'Job', 'CronJob']);

/** Kubernetes kinds that cost nothing by themselves. */
const freeKinds = new Set([
  'ConfigMap',
  'Secret',
  'ServiceAccount',
  'Role',
  'RoleBinding',
  'ClusterRole',
  'ClusterRoleBinding',
  'Namespace',
  'NetworkPolicy',
  'PodDisruptionBudget',
  'HorizontalPodAutoscaler',
  'LimitRange',
  'ResourceQuota',
  'Ingress',
  'IngressClass',
  'PriorityClass',
  'StorageClass',
  'CustomResourceDefinition',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'Endpoints',
  'EndpointSlice',
  'Lease',
  'PodSecurityPolicy',
  'RuntimeClass',
]);

interface Requests {
  cpu: number;
  memory: number;
}

/** Unit prices of the configured profile, with user overrides. */
export interface KubernetesUnitPrices {
  cpu: PriceLookup;
  memory: PriceLookup;
  storage: PriceLookup;
  profile: string;
}

/** Resolve the unit prices once per run. */
export function kubernetesUnitPrices(
  catalogue: PriceCatalogue,
  settings: KubernetesCostSettings,
): KubernetesUnitPrices {
  const profile = settings.profile ?? catalogue.providers.get('kubernetes')?.defaultProfile ?? 'default';
  const configured = (price: number, key: string): PriceLookup => {
    const provenance = {
      provider: 'kubernetes',
      table: 'parapet.yaml',
      region: profile,
      key,
      source: 'parapet.yaml cost.kubernetes',
      date: '',
    };
    return { ...provenance, provenance, price, unit: key, usageBased: false };
  };
  return {
    profile,
    cpu:
      settings.cpuHour !== undefined
        ? configured(settings.cpuHour, 'cpuHour')
        : catalogue.lookup('kubernetes', 'pod-resources', profile, 'cpu'),
    memory:
      settings.memoryGiBHour !== undefined
        ? configured(settings.memoryGiBHour, 'memoryGiBHour')
        : catalogue.lookup('kubernetes', 'pod-resources', profile, 'memory'),
    storage:
      settings.storageGiBMonth !== undefined
        ? configured(settings.storageGiBMonth, 'storageGiBMonth')
        : catalogue.lookup('kubernetes', 'persistent-volume', profile, 'storage'),
  };
}

function record(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

function containerRequest(
  container: Record<string, unknown>,
  resource: 'cpu' | 'memory',
): number | undefined {
  const resources = record(container.resources);
  // The API server defaults a missing request to the limit.
  return (
    parseQuantity(record(resources?.requests)?.[resource]) ??
    parseQuantity(record(resources?.limits)?.[resource])
  );
}

/**
 * What the scheduler reserves for one pod: the larger of the app containers plus sidecars and each
 * init container plus the sidecars started before it, plus pod overhead. Undefined with the reason
 * when a container requests nothing (its cost cannot be told).
 */
export function podRequests(podSpec: Record<string, unknown>): Requests | { reason: string } {
  const sum = (list: unknown, resource: 'cpu' | 'memory', names: string[]): number | undefined => {
    let total = 0;
    for (const item of Array.isArray(list) ? list : []) {
      const container = record(item) ?? {};
      const value = containerRequest(container, resource);
      if (value === undefined) {
        names.push(`container "${String(container.name ?? '?')}" sets no ${resource} request or limit`);
        return undefined;
      }
      total += value;
    }
    return total;
  };
  const out: Requests = { cpu: 0, memory: 0 };
  for (const resource of ['cpu', 'memory'] as const) {
    const problems: string[] = [];
    const app = sum(podSpec.containers, resource, problems);
    if (app === undefined) return { reason: problems[0]! };
    let sidecars = 0;
    let initPeak = 0;
    for (const item of Array.isArray(podSpec.initContainers) ? podSpec.initContainers : []) {
      const container = record(item) ?? {};
      const value = containerRequest(container, resource) ?? 0;
      if (container.restartPolicy === 'Always') sidecars += value;
      else initPeak = Math.max(initPeak, value + sidecars);
    }
    const overhead = parseQuantity(record(podSpec.overhead)?.[resource]) ?? 0;
    out[resource] = Math.max(app + sidecars, initPeak) + overhead;
  }
  return out;
}

function annotationNumber(resource: Resource, name: string): number | undefined {
  const annotations = record(record(resource.body.metadata)?.annotations);
  const value = annotations?.[name];
  if (typeof value !== 'string') return undefined;
  const number = Number(value);
  return Number.isFinite(number) && number >= 0 ? number : undefined;
}

/** How many pods run all month (or pod-months for Jobs), or why that is unknown. */
function podMonths(
  resource: Resource,
  settings: KubernetesCostSettings,
  autoscaled: Map<string, { min: number; max: number }>,
): { pods: number; label: string } | { reason: string } {
  const spec = record(resource.body.spec) ?? {};
  if (replicatedKinds.has(resource.kind)) {
    const scaler = autoscaled.get(`${resource.namespace ?? ''}/${resource.kind}/${resource.name}`);
    if (scaler)
      return {
        reason: `replicas are autoscaled by a HorizontalPodAutoscaler between ${scaler.min} and ${scaler.max}`,
      };
    const replicas = spec.replicas ?? 1;
    if (typeof replicas !== 'number' || replicas < 0) return { reason: 'spec.replicas is not a number' };
    return { pods: replicas, label: `${replicas} replica${replicas === 1 ? '' : 's'}` };
  }
  if (resource.kind === 'Pod') return { pods: 1, label: '1 pod' };
  if (resource.kind === 'DaemonSet') {
    const nodes = annotationNumber(resource, NODES_ANNOTATION) ?? settings.daemonSetNodes;
    if (nodes === undefined)
      return {
        reason: `a DaemonSet runs on every node: set cost.kubernetes.daemonSetNodes or the ${NODES_ANNOTATION} annotation`,
      };
    return { pods: nodes, label: `${nodes} node${nodes === 1 ? '' : 's'}` };
  }
  const hours = annotationNumber(resource, RUN_HOURS_ANNOTATION) ?? settings.jobRunHours;
  if (hours === undefined)
    return {
      reason: `a Job's cost depends on how long it runs: set cost.kubernetes.jobRunHours or the ${RUN_HOURS_ANNOTATION} annotation`,
    };
  if (resource.kind === 'Job') {
    const completions = typeof spec.completions === 'number' ? spec.completions : 1;
    return {
      pods: (completions * hours) / HOURS_PER_MONTH,
      label: `${completions} completion${completions === 1 ? '' : 's'} × ${hours} h, once`,
    };
  }
  if (spec.suspend === true) return { pods: 0, label: 'suspended' };
  const schedule = spec.schedule;
  if (typeof schedule !== 'string') return { reason: 'spec.schedule is not set' };
  let runs: number;
  try {
    runs = runsPerMonth(schedule);
  } catch (error) {
    return { reason: `spec.schedule: ${error instanceof Error ? error.message : String(error)}` };
  }
  const jobSpec = record(record(spec.jobTemplate)?.spec) ?? {};
  const completions = typeof jobSpec.completions === 'number' ? jobSpec.completions : 1;
  return {
    pods: (runs * completions * hours) / HOURS_PER_MONTH,
    label: `${Math.round(runs * 100) / 100} runs × ${completions} × ${hours} h`,
  };
}

function storageRequest(claim: Record<string, unknown>): number | undefined {
  const requests = record(record(record(claim.spec)?.resources)?.requests);
  const bytes = parseQuantity(requests?.storage);
  return bytes === undefined ? undefined : bytes / GIB;
}

/** HorizontalPodAutoscalers by the workload they scale: `namespace/Kind/name`. */
export function autoscaledWorkloads(
  resources: readonly Resource[],
): Map<string, { min: number; max: number }> {
  const out = new Map<string, { min: number; max: number }>();
  // Indexed: one call walks every resource of a run, mostly before the loop is optimised, and an
  // array iterator then allocates a result per step.
  for (let i = 0; i < resources.length; i += 1) {
    const resource = resources[i]!;
    if (resource.source !== 'kubernetes' || resource.kind !== 'HorizontalPodAutoscaler') continue;
    const spec = record(resource.body.spec) ?? {};
    const target = record(spec.scaleTargetRef);
    if (typeof target?.kind !== 'string' || typeof target.name !== 'string') continue;
    const min = typeof spec.minReplicas === 'number' ? spec.minReplicas : 1;
    const max = typeof spec.maxReplicas === 'number' ? spec.maxReplicas : min;
    out.set(`${resource.namespace ?? ''}/${target.kind}/${target.name}`, { min, max });
  }
  return out;
}

/** The monthly cost of a Kubernetes object as written, or 'free' / 'unsupported'. */
export function estimateKubernetes(
  resource: Resource,
  catalogue: PriceCatalogue,
  prices: KubernetesUnitPrices,
  settings: KubernetesCostSettings,
  autoscaled: Map<string, { min: number; max: number }>,
): StateEstimate | 'free' | 'unsupported' {
  const builder = new EstimateBuilder(catalogue, 'after');
  if (resource.kind === 'PersistentVolumeClaim') {
    const size = storageRequest(resource.body);
    if (size === undefined)
      builder.unknown('Persistent volume', 'GiB-months', 'spec.resources.requests.storage is not set');
    else builder.fixed(`Persistent volume (${formatNumber(size)} GiB)`, 'GiB-months', size, prices.storage);
    return builder.result();
  }
  if (resource.kind === 'Service') {
    const type = record(resource.body.spec)?.type;
    if (type !== 'LoadBalancer') return 'free';
    builder.unknown(
      'Cloud load balancer',
      'hours',
      "a LoadBalancer Service provisions a load balancer priced by the cluster's cloud provider",
    );
    return builder.result();
  }
  if (!workloadKinds.has(resource.kind)) return freeKinds.has(resource.kind) ? 'free' : 'unsupported';
  const podSpec = resource.facts.podSpec;
  if (!podSpec) {
    builder.fail('the workload has no pod template');
    return builder.result();
  }
  const pods = podMonths(resource, settings, autoscaled);
  const requests = podRequests(podSpec);
  if ('reason' in requests || 'reason' in pods) {
    const reason = 'reason' in requests ? requests.reason : (pods as { reason: string }).reason;
    builder.unknown('CPU requests', 'vCPU-hours', reason);
    builder.unknown('Memory requests', 'GiB-hours', reason);
  } else {
    const memoryGiB = requests.memory / GIB;
    builder.fixed(
      `CPU requests (${formatNumber(requests.cpu)} vCPU × ${pods.label})`,
      'vCPU-hours',
      requests.cpu * pods.pods * HOURS_PER_MONTH,
      prices.cpu,
    );
    builder.fixed(
      `Memory requests (${formatNumber(memoryGiB)} GiB × ${pods.label})`,
      'GiB-hours',
      memoryGiB * pods.pods * HOURS_PER_MONTH,
      prices.memory,
    );
  }
  if (resource.kind === 'StatefulSet') {
    const templates = record(resource.body.spec)?.volumeClaimTemplates;
    const replicas = 'pods' in pods ? pods.pods : undefined;
    for (const item of Array.isArray(templates) ? templates : []) {
      const claim = record(item) ?? {};
      const name = String(record(claim.metadata)?.name ?? 'volume');
      const size = storageRequest(claim);
      if (size === undefined)
        builder.unknown(`Volume claim ${name}`, 'GiB-months', 'spec.resources.requests.storage is not set');
      else if (replicas === undefined)
        builder.unknown(`Volume claims ${name}`, 'GiB-months', 'the number of replicas is not known');
      else
        builder.fixed(
          `Volume claims ${name} (${formatNumber(size)} GiB × ${replicas})`,
          'GiB-months',
          size * replicas,
          prices.storage,
        );
    }
  }
  if (!isQuote(prices.cpu)) builder.fail(prices.cpu.reason);
  return builder.result();
}

function formatNumber(value: number): string {
  return String(Math.round(value * 1000) / 1000);
}
