/**
 * Which resource types the API server serves, from its discovery documents (`/api`, `/apis` and
 * each group's preferred version), as kubectl reads them. Only listable top-level resources count:
 * subresources (`pods/status`) and types without the `list` verb are left out.
 */
import type { KubeApi } from './kube-api.js';

export interface ServedType {
  /** `v1`, `apps/v1`. */
  apiVersion: string;
  /** `''` for the core group. */
  group: string;
  kind: string;
  /** The plural resource name in URLs: `deployments`. */
  resource: string;
  namespaced: boolean;
}

interface ApiResource {
  name: string;
  kind: string;
  namespaced: boolean;
  verbs?: string[];
}

interface ApiResourceList {
  groupVersion: string;
  resources?: ApiResource[];
}

interface ApiGroupList {
  groups?: Array<{
    name: string;
    preferredVersion?: { groupVersion: string };
    versions?: Array<{ groupVersion: string }>;
  }>;
}

/** Runs `work` over `items` with at most `limit` at a time, keeping the order of results. */
async function mapLimited<T, R>(items: T[], limit: number, work: (item: T) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const runners = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const index = next++;
      out[index] = await work(items[index]!);
    }
  });
  await Promise.all(runners);
  return out;
}

/** Every listable resource type the cluster serves, at each group's preferred version. */
export async function discoverTypes(api: KubeApi): Promise<ServedType[]> {
  const core = await api.request<{ versions?: string[] }>({ path: '/api' });
  const groups = await api.request<ApiGroupList>({ path: '/apis' });
  const groupVersions = [
    ...(core.versions ?? ['v1']).slice(0, 1).map((v) => ({ path: `/api/${v}`, group: '' })),
    ...(groups.groups ?? []).flatMap((g) => {
      const preferred = g.preferredVersion?.groupVersion ?? g.versions?.[0]?.groupVersion;
      return preferred ? [{ path: `/apis/${preferred}`, group: g.name }] : [];
    }),
  ];
  const lists = await mapLimited(groupVersions, 8, (gv) =>
    api.request<ApiResourceList>({ path: gv.path }).then((list) => ({ gv, list })),
  );
  const types: ServedType[] = [];
  for (const { gv, list } of lists) {
    for (const resource of list.resources ?? []) {
      if (resource.name.includes('/')) continue;
      if (!(resource.verbs ?? []).includes('list')) continue;
      types.push({
        apiVersion: list.groupVersion,
        group: gv.group,
        kind: resource.kind,
        resource: resource.name,
        namespaced: resource.namespaced,
      });
    }
  }
  return types;
}
