import { ParapetError } from '../../model/errors.js';
import type { Resource } from '../../model/resource.js';
import { selectorMatches } from '../label-selector.js';
import type { EvalContext, Violation } from '../rules/types.js';
import type { CheckDefinition } from './types.js';

function spec(resource: Resource): Record<string, unknown> {
  const value = resource.body.spec;
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : {};
}

/** minReplicas as the API server defaults it (1), or undefined when it is not a number. */
function minReplicasOf(hpa: Resource): number | undefined {
  const value = spec(hpa).minReplicas ?? 1;
  return typeof value === 'number' ? value : undefined;
}

/**
 * `k8s-hpa-replicas`: a HorizontalPodAutoscaler that cannot scale (maxReplicas not above
 * minReplicas) or, with `minReplicas: N`, scales below N.
 */
export const k8sHpaReplicasCheck: CheckDefinition = {
  name: 'k8s-hpa-replicas',
  description: 'HorizontalPodAutoscalers whose range cannot scale, or starts below a minimum',
  compile(options, policy) {
    const floor = options.minReplicas;
    if (floor !== undefined && (typeof floor !== 'number' || !Number.isInteger(floor) || floor < 1))
      throw new ParapetError(
        'PARAPET_POLICY_COMPILE',
        `${policy.file}: rule.check.with.minReplicas must be a positive integer`,
        { file: policy.file },
      );
    return {
      scope: 'resource',
      evaluate(hpa): Violation[] {
        const min = minReplicasOf(hpa);
        const max = spec(hpa).maxReplicas;
        if (min === undefined || typeof max !== 'number') return [];
        if (floor !== undefined)
          return min < floor
            ? [
                {
                  path: spec(hpa).minReplicas === undefined ? '/spec' : '/spec/minReplicas',
                  values: { min, floor },
                },
              ]
            : [];
        return max <= min ? [{ path: '/spec/maxReplicas', values: { min, max } }] : [];
      },
    };
  },
};

const autoscaling = (source: string, kind: string) =>
  source === 'kubernetes' && kind === 'HorizontalPodAutoscaler';

/** Pods a PodDisruptionBudget's minAvailable keeps out of `replicas` (percentages round up, as the API server does). */
function keptAvailable(minAvailable: unknown, replicas: number): number | undefined {
  if (typeof minAvailable === 'number') return minAvailable;
  const percent = typeof minAvailable === 'string' ? /^(\d+)%$/.exec(minAvailable) : null;
  return percent ? Math.ceil((Number(percent[1]) * replicas) / 100) : undefined;
}

/** The workload of the run an autoscaler scales (same namespace, kind and name). */
function scaledWorkload(hpa: Resource, ctx: EvalContext): Resource | undefined {
  const ref = spec(hpa).scaleTargetRef as { kind?: unknown; name?: unknown } | undefined;
  if (!ref || typeof ref.kind !== 'string' || typeof ref.name !== 'string') return undefined;
  const kind = ref.kind;
  const candidates = ctx.resourcesOfKinds
    ? ctx.resourcesOfKinds((source, k) => source === 'kubernetes' && k === kind)
    : ctx.resources.filter((r) => r.source === 'kubernetes' && r.kind === kind);
  return candidates.find((r) => r.name === ref.name && (r.namespace ?? '') === (hpa.namespace ?? ''));
}

/**
 * `k8s-pdb-hpa-min-replicas`: a PodDisruptionBudget whose minAvailable, for a workload an
 * autoscaler may scale down to minReplicas, keeps every one of those pods: at the autoscaler's
 * minimum no pod can be evicted. The budget, autoscaler and workload are read from the run.
 */
export const k8sPdbHpaMinReplicasCheck: CheckDefinition = {
  name: 'k8s-pdb-hpa-min-replicas',
  description: "PodDisruptionBudgets that allow no eviction at an autoscaler's minReplicas",
  compile() {
    return {
      scope: 'resource',
      readsRun: true,
      evaluate(pdb, ctx): Violation[] {
        const minAvailable = spec(pdb).minAvailable;
        if (minAvailable === undefined) return [];
        const hpas = ctx.resourcesOfKinds
          ? ctx.resourcesOfKinds(autoscaling)
          : ctx.resources.filter((r) => autoscaling(r.source, r.kind));
        for (const hpa of hpas) {
          if ((hpa.namespace ?? '') !== (pdb.namespace ?? '')) continue;
          const min = minReplicasOf(hpa);
          const workload = scaledWorkload(hpa, ctx);
          if (min === undefined || !workload) continue;
          const labels = (workload.facts.podLabels as Record<string, string> | undefined) ?? {};
          if (!selectorMatches(spec(pdb).selector, labels)) continue;
          const kept = keptAvailable(minAvailable, min);
          if (kept !== undefined && kept >= min)
            return [{ path: '/spec/minAvailable', values: { hpa: hpa.id, min, workload: workload.id } }];
        }
        return [];
      },
    };
  },
};
