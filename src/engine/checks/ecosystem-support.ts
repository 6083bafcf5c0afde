import { ParapetError } from '../../model/errors.js';
import type { Policy } from '../../model/policy.js';
import type { Resource } from '../../model/resource.js';
import type { EvalContext } from '../rules/types.js';

/** Shared by the checks of the platform's own systems (cert-manager, Istio, Velero). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function optionError(policy: Policy, message: string): ParapetError {
  return new ParapetError('PARAPET_POLICY_COMPILE', `${policy.file}: rule.check.with: ${message}`, {
    file: policy.file,
  });
}

/** A whole number option of at least 0, or its default. */
export function countOption(
  policy: Policy,
  options: Record<string, unknown>,
  name: string,
  fallback: number,
): number {
  const value = options[name] ?? fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0)
    throw optionError(policy, `${name} must be a whole number of at least 0 (got ${JSON.stringify(value)})`);
  return value;
}

/** A string option, or its default. */
export function stringOption(
  policy: Policy,
  options: Record<string, unknown>,
  name: string,
  fallback: string,
): string {
  const value = options[name] ?? fallback;
  if (typeof value !== 'string' || value === '')
    throw optionError(policy, `${name} must be a non-empty string (got ${JSON.stringify(value)})`);
  return value;
}

/** The run's Kubernetes resources of `kind` whose apiVersion is in `group`, or one of several (`velero.io/v1` ...). */
export function runResources(ctx: EvalContext, kind: string, group: string | readonly string[]): Resource[] {
  const groups = typeof group === 'string' ? [group] : group;
  const matches = (source: string, candidate: string) => source === 'kubernetes' && candidate === kind;
  const candidates = ctx.resourcesOfKinds
    ? ctx.resourcesOfKinds(matches)
    : ctx.resources.filter((r) => matches(r.source, r.kind));
  return candidates.filter((r) => {
    const apiVersion = r.body.apiVersion;
    return typeof apiVersion === 'string' && groups.some((g) => apiVersion.startsWith(`${g}/`));
  });
}

export const namespaceOf = (resource: Resource): string => resource.namespace ?? 'default';
