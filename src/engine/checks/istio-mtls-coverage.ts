import type { Resource } from '../../model/resource.js';
import type { EvalContext, Violation } from '../rules/types.js';
import { isRecord, runResources, stringOption } from './ecosystem-support.js';
import type { CheckDefinition } from './types.js';

/** A PeerAuthentication that applies to a whole namespace: no selector, or an empty one. */
function namespaceWide(policy: Resource): boolean {
  const spec = policy.body.spec;
  if (!isRecord(spec) || spec.selector === undefined || spec.selector === null) return true;
  const selector = spec.selector;
  return (
    isRecord(selector) && (!isRecord(selector.matchLabels) || Object.keys(selector.matchLabels).length === 0)
  );
}

function modeOf(policy: Resource): string | undefined {
  const spec = policy.body.spec;
  const mtls = isRecord(spec) ? spec.mtls : undefined;
  const mode = isRecord(mtls) ? mtls.mode : undefined;
  return typeof mode === 'string' ? mode : undefined;
}

function meshEnabled(namespace: Resource): boolean {
  const labels = namespace.labels;
  return (
    labels['istio-injection'] === 'enabled' ||
    (labels['istio.io/rev'] ?? '') !== '' ||
    labels['istio.io/dataplane-mode'] === 'ambient'
  );
}

/**
 * `istio-mtls-coverage`: every namespace in the mesh (labelled `istio-injection: enabled`,
 * `istio.io/rev` or `istio.io/dataplane-mode: ambient`) has STRICT mutual TLS: a namespace-wide
 * PeerAuthentication in it says STRICT, or it has none (or one that says UNSET) and the mesh-wide
 * one in the root namespace says STRICT — the precedence Istio applies.
 */
export const istioMtlsCoverageCheck: CheckDefinition = {
  name: 'istio-mtls-coverage',
  description: 'mesh namespaces without STRICT mutual TLS (PeerAuthentication, namespace- or mesh-wide)',
  compile(options, policy) {
    const rootNamespace = stringOption(policy, options, 'rootNamespace', 'istio-system');
    return {
      scope: 'resource',
      readsRun: true,
      evaluate(resource: Resource, ctx: EvalContext): Violation[] {
        if (!meshEnabled(resource)) return [];
        const policies = runResources(ctx, 'PeerAuthentication', 'security.istio.io').filter(namespaceWide);
        const modeIn = (namespace: string): string | undefined => {
          const modes = policies.filter((p) => (p.namespace ?? 'default') === namespace).map(modeOf);
          // Istio takes the oldest of several; any weaker one among them is a finding anyway.
          if (modes.length === 0) return undefined;
          return modes.find((mode) => mode !== 'STRICT') ?? 'STRICT';
        };
        const own = modeIn(resource.name);
        const mesh = modeIn(rootNamespace);
        const effective = own !== undefined && own !== 'UNSET' ? own : mesh;
        if (effective === 'STRICT') return [];
        const why =
          own !== undefined && own !== 'UNSET'
            ? `its PeerAuthentication sets mtls.mode ${own}`
            : mesh !== undefined
              ? `the mesh-wide PeerAuthentication in ${rootNamespace} sets mtls.mode ${mesh ?? 'UNSET'} and the namespace does not override it`
              : `no PeerAuthentication sets STRICT for it or mesh-wide in ${rootNamespace}`;
        return [{ path: '/metadata/labels', values: { problem: why } }];
      },
    };
  },
};
