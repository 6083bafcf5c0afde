import { Minimatch } from 'minimatch';
import type { Policy } from '../../model/policy.js';
import type { ContainerFact, Resource } from '../../model/resource.js';
import { selectorMatches } from '../label-selector.js';
import { compareQuantities } from '../quantity.js';
import type { Violation } from '../rules/types.js';
import { isRecord, namespaceOf, optionError } from './ecosystem-support.js';
import type { CheckDefinition } from './types.js';

export type QosClass = 'BestEffort' | 'Burstable' | 'Guaranteed';
const rank: Record<QosClass, number> = { BestEffort: 0, Burstable: 1, Guaranteed: 2 };
const computeResources = ['cpu', 'memory'] as const;

type Quantities = Partial<Record<(typeof computeResources)[number], string>>;

/** The CPU and memory quantities above zero in a requests or limits map (what QoS counts). */
function positive(list: unknown): Quantities {
  const out: Quantities = {};
  if (!isRecord(list)) return out;
  for (const name of computeResources) {
    const value = list[name];
    if (value === undefined || value === null) continue;
    const text = String(value);
    if (compareQuantities(text, '0') === 1) out[name] = text;
  }
  return out;
}

/** Requests as the API server defaults them: a limit without a request becomes the request. */
function defaulted(resources: unknown): { requests: Quantities; limits: Quantities } {
  const body = isRecord(resources) ? resources : {};
  const limits = positive(body.limits);
  const requests = positive(body.requests);
  const given = isRecord(body.requests) ? body.requests : {};
  for (const name of computeResources)
    if (given[name] === undefined && limits[name] !== undefined) requests[name] = limits[name];
  return { requests, limits };
}

/** Why `resources` keep a pod or container from Guaranteed, or undefined when they do not. */
function notGuaranteed(resources: unknown): string | undefined {
  const { requests, limits } = defaulted(resources);
  for (const name of computeResources) {
    if (limits[name] === undefined) return `no ${name} limit`;
    const request = requests[name];
    if (request === undefined || compareQuantities(request, limits[name]!) !== 0)
      return `${name} request ${request ?? '0'} differs from its limit ${limits[name]!}`;
  }
  return undefined;
}

function hasAny(resources: unknown): boolean {
  const { requests, limits } = defaulted(resources);
  return Object.keys(requests).length > 0 || Object.keys(limits).length > 0;
}

/** Pod-level resources decide the class as soon as they name CPU or memory, whatever the amount. */
function namesCompute(resources: unknown): boolean {
  if (!isRecord(resources)) return false;
  return [resources.requests, resources.limits].some(
    (list) => isRecord(list) && computeResources.some((name) => list[name] !== undefined),
  );
}

export interface QosVerdict {
  qosClass: QosClass;
  /** Where and why the pod falls short of Guaranteed (absent when it is Guaranteed). */
  shortfall?: { path: string; reason: string };
}

/**
 * The pod's QoS class as Kubernetes computes it (ComputePodQOS): from the pod-level resources when
 * they name CPU or memory, else from every container and init container (ephemeral containers
 * cannot declare resources). Guaranteed needs CPU and memory limits everywhere, each request equal
 * to its limit; BestEffort has no CPU or memory request or limit at all; anything else is Burstable.
 */
export function podQos(resource: Resource): QosVerdict | undefined {
  const podSpec = resource.facts.podSpec;
  const specPath = resource.facts.podSpecPath;
  if (podSpec === undefined || specPath === undefined) return undefined;
  const podLevel = podSpec.resources;
  if (namesCompute(podLevel)) {
    if (!hasAny(podLevel))
      return {
        qosClass: 'BestEffort',
        shortfall: { path: `${specPath}/resources`, reason: 'the pod requests and limits no CPU or memory' },
      };
    const reason = notGuaranteed(podLevel);
    return reason === undefined
      ? { qosClass: 'Guaranteed' }
      : {
          qosClass: 'Burstable',
          shortfall: { path: `${specPath}/resources`, reason: `pod resources: ${reason}` },
        };
  }
  const containers = (resource.facts.containers ?? []).filter(
    (fact: ContainerFact) => fact.list !== 'ephemeralContainers',
  );
  if (!containers.some((fact) => hasAny(fact.container.resources)))
    return {
      qosClass: 'BestEffort',
      shortfall: { path: specPath, reason: 'no container requests or limits CPU or memory' },
    };
  for (const fact of containers) {
    const reason = notGuaranteed(fact.container.resources);
    if (reason !== undefined)
      return {
        qosClass: 'Burstable',
        shortfall: {
          path: fact.container.resources === undefined ? fact.path : `${fact.path}/resources`,
          reason: `container "${fact.name}": ${reason}`,
        },
      };
  }
  return { qosClass: 'Guaranteed' };
}

/** Globs where a `!` entry excludes: a value matches some plain entry (or there is none) and no `!` one. */
function globList(value: unknown, field: string, policy: Policy): ((subject: string) => boolean) | undefined {
  if (value === undefined) return undefined;
  if (!Array.isArray(value) || value.some((entry) => typeof entry !== 'string' || entry === ''))
    throw optionError(policy, `requirements[].${field} must be a list of globs`);
  const globs = value as string[];
  const include = globs.filter((g) => !g.startsWith('!')).map((g) => new Minimatch(g, { nonegate: true }));
  const exclude = globs
    .filter((g) => g.startsWith('!'))
    .map((g) => new Minimatch(g.slice(1), { nonegate: true }));
  return (subject) =>
    (include.length === 0 || include.some((m) => m.match(subject))) && !exclude.some((m) => m.match(subject));
}

interface Requirement {
  index: number;
  qosClass: QosClass;
  namespaces?: (subject: string) => boolean;
  priorityClasses?: (subject: string) => boolean;
  selector?: unknown;
}

function requirements(options: Record<string, unknown>, policy: Policy): Requirement[] {
  const list = options.requirements;
  if (!Array.isArray(list)) throw optionError(policy, 'requirements must be a list');
  return list.map((entry, index) => {
    if (!isRecord(entry) || (entry.class !== 'Burstable' && entry.class !== 'Guaranteed'))
      throw optionError(policy, `requirements[${index}].class must be Burstable or Guaranteed`);
    return {
      index,
      qosClass: entry.class,
      namespaces: globList(entry.namespaces, 'namespaces', policy),
      priorityClasses: globList(entry.priorityClasses, 'priorityClasses', policy),
      selector: entry.selector,
    };
  });
}

function applies(requirement: Requirement, resource: Resource): boolean {
  if (requirement.namespaces && !requirement.namespaces(namespaceOf(resource))) return false;
  if (requirement.priorityClasses) {
    const named = resource.facts.podSpec?.priorityClassName;
    if (typeof named !== 'string' || named === '' || !requirement.priorityClasses(named)) return false;
  }
  if (requirement.selector !== undefined) {
    const labels = (resource.facts.podLabels as Record<string, string> | undefined) ?? resource.labels;
    if (!selectorMatches(requirement.selector, labels)) return false;
  }
  return true;
}

/**
 * `k8s-qos-class`: a workload has at least the QoS class of every requirement that applies to it
 * (by namespace, priority class and pod labels; the strongest wins).
 */
export const k8sQosClassCheck: CheckDefinition = {
  name: 'k8s-qos-class',
  description: 'workloads whose QoS class is below the one their namespace, priority class or labels require',
  compile(options, policy) {
    const required = requirements(options, policy);
    return {
      scope: 'resource',
      evaluate(resource): Violation[] {
        const applying = required.filter((requirement) => applies(requirement, resource));
        if (applying.length === 0) return [];
        const strongest = applying.reduce((a, b) => (rank[b.qosClass] > rank[a.qosClass] ? b : a));
        const verdict = podQos(resource);
        if (!verdict || rank[verdict.qosClass] >= rank[strongest.qosClass]) return [];
        const shortfall = verdict.shortfall!;
        return [
          {
            path: shortfall.path,
            values: {
              actual: verdict.qosClass,
              required: strongest.qosClass,
              requirement: strongest.index,
              reason: shortfall.reason,
            },
          },
        ];
      },
    };
  },
};
