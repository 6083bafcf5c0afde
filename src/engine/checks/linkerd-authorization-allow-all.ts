import type { Resource } from '../../model/resource.js';
import { isWorld } from '../keywords/cidr.js';
import type { EvalContext, Violation } from '../rules/types.js';
import { isRecord, namespaceOf, runResources } from './ecosystem-support.js';
import type { CheckDefinition } from './types.js';

/** A network list that admits every address: a whole address family without exceptions. */
function everyAddress(networks: unknown): string | undefined {
  if (!Array.isArray(networks)) return undefined;
  for (const network of networks) {
    if (!isRecord(network) || typeof network.cidr !== 'string') continue;
    const except = network.except;
    if (isWorld(network.cidr) && (!Array.isArray(except) || except.length === 0)) return network.cidr;
  }
  return undefined;
}

/** A route rule that takes every request: no matches, or a match on nothing narrower than the path prefix "/". */
function catchAllRule(rule: unknown): boolean {
  if (!isRecord(rule)) return false;
  const matches = rule.matches;
  if (!Array.isArray(matches) || matches.length === 0) return true;
  return matches.some((match) => {
    if (!isRecord(match)) return false;
    const keys = Object.keys(match);
    if (keys.length === 0) return true;
    if (keys.length !== 1 || keys[0] !== 'path' || !isRecord(match.path)) return false;
    return (match.path.type ?? 'PathPrefix') === 'PathPrefix' && (match.path.value ?? '/') === '/';
  });
}

const routeGroups = ['policy.linkerd.io', 'gateway.networking.k8s.io'];

/** Whether the policy's target takes all of a workload's traffic (a Server, a Namespace, or a catch-all route of the run). */
function broadTarget(policy: Resource, ctx: EvalContext): boolean {
  const spec = policy.body.spec;
  const target = isRecord(spec) && isRecord(spec.targetRef) ? spec.targetRef : undefined;
  if (!target) return false;
  if (target.kind === 'Server' || target.kind === 'Namespace') return true;
  if (target.kind !== 'HTTPRoute' && target.kind !== 'GRPCRoute') return false;
  const route = runResources(ctx, target.kind, routeGroups).find(
    (r) => r.name === target.name && namespaceOf(r) === namespaceOf(policy),
  );
  const rules = route && isRecord(route.body.spec) ? route.body.spec.rules : undefined;
  return Array.isArray(rules) && rules.some(catchAllRule);
}

/** Why an AuthorizationPolicy admits unauthenticated clients from every address, or undefined. */
function authorizationPolicyOpening(policy: Resource, ctx: EvalContext): string | undefined {
  if (!broadTarget(policy, ctx)) return undefined;
  const spec = policy.body.spec as Record<string, unknown>;
  const refs = spec.requiredAuthenticationRefs;
  if (!Array.isArray(refs) || refs.length === 0) return 'it requires no authentication';
  const networkAuthentications = runResources(ctx, 'NetworkAuthentication', ['policy.linkerd.io']);
  const found: string[] = [];
  // Every reference must hold; a mesh identity (MeshTLSAuthentication, ServiceAccount) authenticates.
  for (const ref of refs) {
    if (!isRecord(ref) || ref.kind !== 'NetworkAuthentication') return undefined;
    const namespace = typeof ref.namespace === 'string' ? ref.namespace : namespaceOf(policy);
    const authentication = networkAuthentications.find(
      (candidate) => candidate.name === ref.name && namespaceOf(candidate) === namespace,
    );
    // Linkerd ignores an authorization whose references it cannot find.
    if (!authentication) return undefined;
    const spec = authentication.body.spec;
    const world = everyAddress(isRecord(spec) ? spec.networks : undefined);
    if (world === undefined) return undefined;
    found.push(`${authentication.id} (${world})`);
  }
  return `it requires only network authentication, and ${found.join(', ')} admits every address`;
}

/** Why a ServerAuthorization admits unauthenticated clients from every address, or undefined. */
function serverAuthorizationOpening(authorization: Resource): string | undefined {
  const spec = authorization.body.spec;
  const client = isRecord(spec) && isRecord(spec.client) ? spec.client : undefined;
  if (!client || client.unauthenticated !== true) return undefined;
  const networks = client.networks;
  if (!Array.isArray(networks) || networks.length === 0)
    return 'it admits unauthenticated clients from every network (client.networks unset)';
  const world = everyAddress(networks);
  return world === undefined ? undefined : `it admits unauthenticated clients from ${world}`;
}

/**
 * `linkerd-authorization-allow-all`: Linkerd AuthorizationPolicies (on a Server, a Namespace or a
 * catch-all route) and ServerAuthorizations that admit unauthenticated clients from every address:
 * no required authentication, or only NetworkAuthentications of 0.0.0.0/0 or ::/0.
 */
export const linkerdAuthorizationAllowAllCheck: CheckDefinition = {
  name: 'linkerd-authorization-allow-all',
  description: 'Linkerd authorizations that admit unauthenticated clients from every address',
  compile() {
    return {
      scope: 'resource',
      readsRun: true,
      evaluate(resource: Resource, ctx: EvalContext): Violation[] {
        const apiVersion = resource.body.apiVersion;
        if (typeof apiVersion !== 'string' || !apiVersion.startsWith('policy.linkerd.io/')) return [];
        if (resource.kind === 'AuthorizationPolicy') {
          const problem = authorizationPolicyOpening(resource, ctx);
          return problem === undefined
            ? []
            : [{ path: '/spec/requiredAuthenticationRefs', values: { problem } }];
        }
        if (resource.kind === 'ServerAuthorization') {
          const problem = serverAuthorizationOpening(resource);
          return problem === undefined ? [] : [{ path: '/spec/client', values: { problem } }];
        }
        return [];
      },
    };
  },
};
