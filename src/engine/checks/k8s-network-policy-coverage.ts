import type { Policy } from '../../model/policy.js';
import type { Resource } from '../../model/resource.js';
import { isWorld } from '../keywords/cidr.js';
import { selectorMatches } from '../label-selector.js';
import type { EvalContext, SetViolation } from '../rules/types.js';
import { isRecord, optionError } from './ecosystem-support.js';
import type { CheckDefinition } from './types.js';

type Direction = 'Ingress' | 'Egress';
const directions: readonly Direction[] = ['Ingress', 'Egress'];

/** The directions a NetworkPolicy applies to, as the API server defaults `policyTypes`. */
function policyTypes(spec: Record<string, unknown>): Direction[] {
  const types = spec.policyTypes;
  if (Array.isArray(types) && types.length > 0)
    return directions.filter((direction) => types.includes(direction));
  return Array.isArray(spec.egress) && spec.egress.length > 0 ? ['Ingress', 'Egress'] : ['Ingress'];
}

function emptySelector(value: unknown): boolean {
  if (!isRecord(value)) return false;
  const labels = value.matchLabels;
  const expressions = value.matchExpressions;
  return (
    (!isRecord(labels) || Object.keys(labels).length === 0) &&
    (!Array.isArray(expressions) || expressions.length === 0)
  );
}

/**
 * A peer that stands for every party: every pod of every namespace (an empty namespaceSelector
 * without a narrower podSelector), or a whole address family (0.0.0.0/0, ::/0) with no exceptions.
 */
function everyone(peer: unknown): boolean {
  if (!isRecord(peer)) return false;
  if (isRecord(peer.ipBlock)) {
    const { cidr, except } = peer.ipBlock;
    return typeof cidr === 'string' && isWorld(cidr) && (!Array.isArray(except) || except.length === 0);
  }
  return (
    emptySelector(peer.namespaceSelector) &&
    (peer.podSelector === undefined || emptySelector(peer.podSelector))
  );
}

/** A rule that admits every party on every port: no port list, and no peer list or a peer for everyone. */
function allowsAll(rule: unknown, peersKey: 'from' | 'to'): boolean {
  if (!isRecord(rule)) return false;
  const ports = rule.ports;
  if (Array.isArray(ports) && ports.length > 0) return false;
  const peers = rule[peersKey];
  return !Array.isArray(peers) || peers.length === 0 || peers.some(everyone);
}

interface Opening {
  policy: Resource;
  rule: number;
}

/** The first rule of `policy` that opens `direction` to everything, if any. */
function opening(policy: Resource, spec: Record<string, unknown>, direction: Direction): Opening | undefined {
  const rules = direction === 'Ingress' ? spec.ingress : spec.egress;
  if (!Array.isArray(rules)) return undefined;
  const index = rules.findIndex((rule) => allowsAll(rule, direction === 'Ingress' ? 'from' : 'to'));
  return index < 0 ? undefined : { policy, rule: index };
}

interface Verdict {
  /** Policies that apply to the direction and select the workload. */
  applying: Resource[];
  open?: Opening;
}

function verdicts(workload: Resource, policies: readonly Resource[]): Map<Direction, Verdict> {
  const labels = (workload.facts.podLabels as Record<string, string> | undefined) ?? workload.labels;
  const out = new Map<Direction, Verdict>(directions.map((d) => [d, { applying: [] }]));
  for (const policy of policies) {
    const spec = policy.body.spec;
    if (!isRecord(spec) || !selectorMatches(spec.podSelector, labels)) continue;
    for (const direction of policyTypes(spec)) {
      const verdict = out.get(direction)!;
      verdict.applying.push(policy);
      verdict.open ??= opening(policy, spec, direction);
    }
  }
  return out;
}

const restricted = (verdict: Verdict) => verdict.applying.length > 0 && verdict.open === undefined;

function describe(direction: Direction, verdict: Verdict): string {
  if (verdict.open)
    return `${verdict.open.policy.id} opens ${direction.toLowerCase()} to everything (${direction.toLowerCase()} rule ${verdict.open.rule})`;
  return `no NetworkPolicy selecting it restricts ${direction.toLowerCase()}`;
}

function requiredDirections(options: Record<string, unknown>, policy: Policy): Direction[] {
  const value = options.requiredDirections ?? ['Ingress'];
  if (!Array.isArray(value) || value.some((d) => d !== 'Ingress' && d !== 'Egress'))
    throw optionError(
      policy,
      `requiredDirections must be a list of Ingress and Egress (got ${JSON.stringify(value)})`,
    );
  return [...new Set(value as Direction[])];
}

/**
 * `k8s-network-policy-coverage`: each workload is selected (in its namespace) by NetworkPolicies
 * that restrict its traffic. A direction is restricted when some selecting policy applies to it
 * and none opens it to everything (NetworkPolicies add up: one allow-all rule undoes every deny).
 * `requiredDirections` lists the directions that must be restricted; empty, either one will do.
 */
export const k8sNetworkPolicyCoverageCheck: CheckDefinition = {
  name: 'k8s-network-policy-coverage',
  description:
    'workloads whose traffic no NetworkPolicy restricts (none selects them, or one allows everything)',
  compile(options, policy) {
    const required = requiredDirections(options, policy);
    const isNetworkPolicy = (source: string, kind: string) =>
      source === 'kubernetes' && kind === 'NetworkPolicy';
    // A set rule: coverage is a judgement on the run's objects together, which one admitted object is not.
    return {
      scope: 'set',
      readsKinds: isNetworkPolicy,
      evaluateSet(workloads: Resource[], ctx: EvalContext): SetViolation[] {
        const candidates = ctx.resourcesOfKinds
          ? ctx.resourcesOfKinds(isNetworkPolicy)
          : ctx.resources.filter((r) => isNetworkPolicy(r.source, r.kind));
        const byNamespace = new Map<string, Resource[]>();
        for (const candidate of candidates) {
          const key = candidate.namespace ?? '';
          const list = byNamespace.get(key);
          if (list) list.push(candidate);
          else byNamespace.set(key, [candidate]);
        }
        const out: SetViolation[] = [];
        for (const workload of workloads) {
          // Host-network pods are outside NetworkPolicy's reach; the host-namespaces policy judges them.
          if (workload.facts.podSpec?.hostNetwork === true) continue;
          const byDirection = verdicts(workload, byNamespace.get(workload.namespace ?? '') ?? []);
          const selected = [...byDirection.values()].some((v) => v.applying.length > 0);
          const failing =
            required.length === 0
              ? directions.every((d) => !restricted(byDirection.get(d)!))
                ? directions
                : []
              : required.filter((d) => !restricted(byDirection.get(d)!));
          if (failing.length === 0) continue;
          const problem = selected
            ? failing.map((d) => describe(d, byDirection.get(d)!)).join('; ')
            : `no NetworkPolicy in namespace ${workload.namespace ?? '(none)'} selects it`;
          out.push({ resource: workload, path: '', values: { problem } });
        }
        return out;
      },
    };
  },
};
