import type { Resource } from '../../model/resource.js';
import type { Violation } from '../rules/types.js';
import { isRecord, optionError } from './ecosystem-support.js';
import type { CheckDefinition } from './types.js';

const INSTANCE = 'app.kubernetes.io/instance';
const KEY = 'app.kubernetes.io~1instance';
const RELEASE = 'meta.helm.sh/release-name';

function stringAt(record: unknown, key: string): string | undefined {
  if (!isRecord(record)) return undefined;
  const value = record[key];
  return typeof value === 'string' ? value : undefined;
}

/** Where a workload's selector and a Service's selector name the instance, with their pointers. */
function selectorInstances(resource: Resource): Array<{ path: string; value: string }> {
  const spec = resource.body.spec;
  if (!isRecord(spec)) return [];
  const out: Array<{ path: string; value: string }> = [];
  if (resource.kind === 'Service') {
    const value = stringAt(spec.selector, INSTANCE);
    if (value !== undefined) out.push({ path: `/spec/selector/${KEY}`, value });
  } else if (isRecord(spec.selector)) {
    // ReplicationControllers select with a plain map, the apps kinds with matchLabels.
    const plain = resource.kind === 'ReplicationController';
    const value = plain ? stringAt(spec.selector, INSTANCE) : stringAt(spec.selector.matchLabels, INSTANCE);
    if (value !== undefined)
      out.push({ path: plain ? `/spec/selector/${KEY}` : `/spec/selector/matchLabels/${KEY}`, value });
  }
  return out;
}

/**
 * `k8s-instance-label`: an object's `app.kubernetes.io/instance` label names one instance of an
 * application everywhere it is written: the Helm release that owns the object
 * (`meta.helm.sh/release-name`), the pod template's labels, the workload's or Service's selector,
 * and, with `requireNamePrefix`, the start of the object's name.
 */
export const k8sInstanceLabelCheck: CheckDefinition = {
  name: 'k8s-instance-label',
  description:
    'objects whose app.kubernetes.io/instance label disagrees with their release, pods, selector or name',
  compile(options, policy) {
    const requireNamePrefix = options.requireNamePrefix ?? false;
    if (typeof requireNamePrefix !== 'boolean')
      throw optionError(
        policy,
        `requireNamePrefix must be true or false (got ${JSON.stringify(requireNamePrefix)})`,
      );
    return {
      scope: 'resource',
      evaluate(resource): Violation[] {
        const metadata = isRecord(resource.body.metadata) ? resource.body.metadata : {};
        const instance = stringAt(metadata.labels, INSTANCE);
        const out: Violation[] = [];
        const release = stringAt(metadata.annotations, RELEASE);
        const labelPath = `/metadata/labels/${KEY}`;
        if (instance === undefined) {
          // Helm's charts label every object with their release; a template's label without its object's is judged below.
          const templateValue = stringAt(resource.facts.podLabels, INSTANCE);
          if (release !== undefined && templateValue !== undefined && templateValue !== release)
            out.push({
              path: `${resource.facts.podMetadataPath ?? ''}/labels/${KEY}`,
              values: {
                problem: `the pods are labelled instance "${templateValue}" but Helm release "${release}" owns the object`,
              },
            });
          return out;
        }
        if (release !== undefined && release !== instance)
          out.push({
            path: labelPath,
            values: { problem: `the label says "${instance}" but Helm release "${release}" owns the object` },
          });
        const templateValue = stringAt(resource.facts.podLabels, INSTANCE);
        if (templateValue !== undefined && templateValue !== instance)
          out.push({
            path: `${resource.facts.podMetadataPath ?? ''}/labels/${KEY}`,
            values: {
              problem: `its pods are labelled instance "${templateValue}", the object "${instance}"`,
            },
          });
        for (const selector of selectorInstances(resource))
          if (selector.value !== instance)
            out.push({
              path: selector.path,
              values: {
                problem: `its selector picks instance "${selector.value}", the object is labelled "${instance}"`,
              },
            });
        if (requireNamePrefix && !resource.name.startsWith(instance))
          out.push({
            path: labelPath,
            values: { problem: `the name ${resource.name} does not start with the instance "${instance}"` },
          });
        return out;
      },
    };
  },
};
