import type { Resource } from '../../model/resource.js';
import type { EvalContext, Violation } from '../rules/types.js';
import type { CheckDefinition } from './types.js';

const isRbacKind = (source: string, kind: string) =>
  source === 'kubernetes' && (kind === 'Role' || kind === 'ClusterRole');

function list(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}

/** The first rule index of a role that grants "*" in apiGroups, resources, verbs or nonResourceURLs. */
function wildcardRule(role: Resource): number {
  const rules = list(role.body.rules);
  return rules.findIndex((rule) => {
    if (rule === null || typeof rule !== 'object') return false;
    const fields = rule as Record<string, unknown>;
    return ['apiGroups', 'resources', 'verbs', 'nonResourceURLs'].some((key) =>
      list(fields[key]).includes('*'),
    );
  });
}

/** The Role or ClusterRole of the run a binding's roleRef names (a Role in the binding's namespace). */
function boundRole(binding: Resource, ctx: EvalContext): Resource | undefined {
  const roleRef = binding.body.roleRef as { kind?: unknown; name?: unknown } | undefined;
  if (!roleRef || typeof roleRef.name !== 'string') return undefined;
  const roles = ctx.resourcesOfKinds
    ? ctx.resourcesOfKinds(isRbacKind)
    : ctx.resources.filter((r) => isRbacKind(r.source, r.kind));
  return roles.find(
    (role) =>
      role.kind === roleRef.kind &&
      role.name === roleRef.name &&
      (role.kind === 'ClusterRole' || (role.namespace ?? '') === (binding.namespace ?? '')),
  );
}

/**
 * `k8s-binding-role`: a ClusterRoleBinding or RoleBinding whose role, found among the run's
 * objects, grants "*" (what cluster-admin grants, under any name). A role outside the run is not
 * judged: the binding's own policies (cluster-admin by name) still apply.
 */
export const k8sBindingRoleCheck: CheckDefinition = {
  name: 'k8s-binding-role',
  description: "bindings whose role (from the run's objects) grants wildcard rights",
  compile() {
    return {
      scope: 'resource',
      readsRun: true,
      evaluate(binding, ctx): Violation[] {
        const role = boundRole(binding, ctx);
        if (!role) return [];
        const index = wildcardRule(role);
        if (index < 0) return [];
        return [{ path: '/roleRef', values: { role: role.id, rule: index }, details: { role: role.id } }];
      },
    };
  },
};
