import type { Resource } from '../../model/resource.js';
import type { EvalContext, Violation } from '../rules/types.js';
import { namespaceOf } from './ecosystem-support.js';
import type { CheckDefinition } from './types.js';

const isServiceAccount = (source: string, kind: string) =>
  source === 'kubernetes' && kind === 'ServiceAccount';

/** The ServiceAccount the pod runs as (`default` when unnamed), when it is among the run's objects. */
function serviceAccountOf(
  workload: Resource,
  podSpec: Record<string, unknown>,
  ctx: EvalContext,
): { name: string; account: Resource | undefined } {
  const named = podSpec.serviceAccountName ?? podSpec.serviceAccount;
  const name = typeof named === 'string' && named !== '' ? named : 'default';
  const namespace = namespaceOf(workload);
  const accounts = ctx.resourcesOfKinds
    ? ctx.resourcesOfKinds(isServiceAccount)
    : ctx.resources.filter((r) => isServiceAccount(r.source, r.kind));
  return {
    name: `${namespace}/${name}`,
    account: accounts.find((account) => account.name === name && namespaceOf(account) === namespace),
  };
}

/**
 * `k8s-service-account-token`: the pod mounts no service account token. The pod's own
 * `automountServiceAccountToken` wins; when it is unset, the ServiceAccount's decides (as the
 * ServiceAccount admission plugin does), read from the run's objects; a token is mounted when
 * neither says false.
 */
export const k8sServiceAccountTokenCheck: CheckDefinition = {
  name: 'k8s-service-account-token',
  description: "pods that get a service account token (their own field, else their ServiceAccount's)",
  compile() {
    return {
      scope: 'resource',
      readsRun: true,
      evaluate(workload: Resource, ctx: EvalContext): Violation[] {
        const podSpec = workload.facts.podSpec;
        const specPath = workload.facts.podSpecPath;
        if (podSpec === undefined || specPath === undefined) return [];
        const path = `${specPath}/automountServiceAccountToken`;
        const own = podSpec.automountServiceAccountToken;
        if (own === false) return [];
        if (own !== undefined && own !== null)
          return [
            { path, values: { reason: `the pod sets automountServiceAccountToken to ${String(own)}` } },
          ];
        const { name, account } = serviceAccountOf(workload, podSpec, ctx);
        if (account?.body.automountServiceAccountToken === false) return [];
        const reason = account
          ? `neither the pod nor its ServiceAccount ${name} sets automountServiceAccountToken to false`
          : `the pod does not set automountServiceAccountToken to false and its ServiceAccount ${name} is not among the inputs`;
        return [{ path, values: { reason } }];
      },
    };
  },
};
