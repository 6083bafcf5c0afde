/**
 * Kind to resource, as the API server maps them: built-in resources from the table generated from
 * kube-apiserver's discovery (kinds.generated.ts), custom resources from the CustomResourceDefinitions
 * found beside the policies.
 */
import { kubernetesResources } from './kinds.generated.js';

export interface ResourceInfo {
  group: string;
  version: string;
  kind: string;
  resource: string;
  namespaced: boolean;
}

type Row = readonly [string, string, string, string, boolean];

export class ResourceIndex {
  private readonly byGvk = new Map<string, ResourceInfo>();
  private readonly byGroupResource = new Map<string, ResourceInfo[]>();

  constructor(extra: readonly Row[] = []) {
    for (const [group, version, kind, resource, namespaced] of [...kubernetesResources, ...extra]) {
      const info = { group, version, kind, resource, namespaced };
      this.byGvk.set(`${group}/${version}/${kind}`, info);
      const key = `${group}/${resource}`;
      this.byGroupResource.set(key, [...(this.byGroupResource.get(key) ?? []), info]);
    }
  }

  /** The resource of an apiVersion and kind, or undefined for a kind the API server would not know. */
  lookup(apiVersion: string, kind: string): ResourceInfo | undefined {
    const slash = apiVersion.indexOf('/');
    const group = slash === -1 ? '' : apiVersion.slice(0, slash);
    const version = slash === -1 ? apiVersion : apiVersion.slice(slash + 1);
    return this.byGvk.get(`${group}/${version}/${kind}`);
  }

  /** Every served version of the same group and resource (matchPolicy Equivalent). */
  equivalents(info: ResourceInfo): ResourceInfo[] {
    return this.byGroupResource.get(`${info.group}/${info.resource}`) ?? [info];
  }

  /** Whether the kind of `apiVersion` is namespaced (params lookup); undefined when unknown. */
  namespaced(apiVersion: string, kind: string): boolean | undefined {
    return this.lookup(apiVersion, kind)?.namespaced;
  }
}
