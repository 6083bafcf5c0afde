/**
 * `parapet audit`: the objects that already run in a cluster, judged by the same engine, policies,
 * configuration and waivers as `check`. Each page of a list is turned into resources and handed to
 * an engine session, which checks and drops what no cross-resource policy needs, so memory follows
 * the page size and the cross-resource kinds, not the size of the cluster.
 */
import type { Engine } from '../engine/engine.js';
import { kubernetesResource, workloadKinds } from '../inputs/kubernetes.js';
import { ParapetError } from '../model/errors.js';
import type { Notice, Result } from '../model/result.js';
import type { Resource } from '../model/resource.js';
import { discoverTypes, type ServedType } from './discovery.js';
import { KubeApiError, type KubeApi } from './kube-api.js';

export interface AuditScope {
  /** Namespaces to audit; empty: every namespace, and cluster-scoped objects. */
  namespaces: string[];
  /** A label selector (`app=web,tier!=db`) passed to every list. */
  labelSelector?: string;
  /** Objects per list request (default 500). */
  pageSize?: number;
  /** Also judge objects a controller owns (ReplicaSets of Deployments, Pods of ReplicaSets ...). */
  includeOwned?: boolean;
}

export interface AuditStats {
  /** Resource types listed, as `apiVersion/kind`. */
  types: string[];
  /** Objects judged. */
  objects: number;
  /** Objects left out because a controller owns them. */
  owned: number;
  /** List requests (pages) made. */
  pages: number;
}

/**
 * Kinds that record what happened rather than what was configured: never judged. Their objects
 * come and go by the thousand and no reviewer can fix one.
 */
const neverAudited = new Set(['Event']);

/**
 * The audit's own output: a report judged would be reported on, and the report about it would keep
 * the namespace's report alive after every object it named is gone.
 */
const reportGroup = 'wgpolicyk8s.io';

/** Whether the selected policies judge or read objects of this kind. */
function wanted(engine: Engine, kind: string): boolean {
  if (neverAudited.has(kind)) return false;
  // Namespaces feed namespace selectors (Gatekeeper, Kyverno); workloads feed image and cost facts.
  if (kind === 'Namespace') return true;
  const images = engine.policies.some((p) => [p.policy.match.source ?? []].flat().includes('image'));
  if (images && workloadKinds.includes(kind)) return true;
  return engine.policies.some(
    (p) => p.matchesKind('kubernetes', kind) || p.rule.readsKinds?.('kubernetes', kind) === true,
  );
}

/** The served types to list for these policies: one type per kind, the first in discovery order. */
export function typesToList(types: readonly ServedType[], engine: Engine): ServedType[] {
  const byKind = new Map<string, ServedType>();
  for (const type of types)
    if (type.group !== reportGroup && !byKind.has(type.kind) && wanted(engine, type.kind))
      byKind.set(type.kind, type);
  return [...byKind.values()];
}

function listPath(type: ServedType, namespace: string | undefined): string {
  const prefix = type.group === '' ? `/api/${type.apiVersion}` : `/apis/${type.apiVersion}`;
  return namespace === undefined
    ? `${prefix}/${type.resource}`
    : `${prefix}/namespaces/${encodeURIComponent(namespace)}/${type.resource}`;
}

interface ObjectList {
  metadata?: { continue?: string };
  items?: Array<Record<string, unknown>>;
}

type Obj = Record<string, unknown>;

function isControlled(object: Obj): boolean {
  const refs = (object.metadata as Obj | undefined)?.ownerReferences;
  return Array.isArray(refs) && refs.some((ref) => (ref as Obj | null)?.controller === true);
}

/** A copy of a JSON value with every object's keys in code-point order, as Go's encoders write maps. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (value === null || typeof value !== 'object') return value;
  const out: Obj = {};
  for (const key of Object.keys(value).sort()) out[key] = sortedKeys((value as Obj)[key]);
  return out;
}

/**
 * The object as `kubectl get -o yaml` shows it: with apiVersion and kind (list items lack them),
 * keys in sorted order, and without `metadata.managedFields`, which kubectl hides and no policy
 * reads. Findings then match a check of kubectl's export byte for byte.
 */
export function asManifest(type: ServedType, item: Obj): Obj {
  const object = sortedKeys({ ...item, apiVersion: type.apiVersion, kind: type.kind }) as Obj;
  const metadata = object.metadata as Obj | undefined;
  if (metadata) delete metadata.managedFields;
  return object;
}

/** Where an object lives, as a URI reports can show: `cluster://CONTEXT/apis/apps/v1/namespaces/NS/deployments/NAME`. */
function locationOf(api: KubeApi, type: ServedType, object: Obj): string {
  const metadata = (object.metadata ?? {}) as Obj;
  const namespace =
    type.namespaced && typeof metadata.namespace === 'string' ? metadata.namespace : undefined;
  return `cluster://${api.context}${listPath(type, namespace)}/${String(metadata.name ?? '')}`;
}

/** Every object of `type` in scope, a page at a time. */
async function* pages(
  api: KubeApi,
  type: ServedType,
  scope: AuditScope,
  stats: AuditStats,
): AsyncGenerator<Obj[]> {
  const namespaces: Array<string | undefined> = !type.namespaced
    ? [undefined]
    : scope.namespaces.length
      ? scope.namespaces
      : [undefined];
  for (const namespace of namespaces) {
    let token: string | undefined;
    do {
      const query = new URLSearchParams({ limit: String(scope.pageSize ?? 500) });
      if (token) query.set('continue', token);
      if (scope.labelSelector) query.set('labelSelector', scope.labelSelector);
      let list: ObjectList;
      try {
        list = await api.request<ObjectList>({ path: `${listPath(type, namespace)}?${query}` });
      } catch (error) {
        // A continue token can expire on a busy cluster (410 Gone): start that list again.
        if (error instanceof KubeApiError && error.status === 410 && token) {
          token = undefined;
          continue;
        }
        throw error;
      }
      stats.pages += 1;
      token = list.metadata?.continue || undefined;
      yield list.items ?? [];
    } while (token);
  }
}

/**
 * Lists every kind the engine's policies judge or read and evaluates the objects page by page.
 * Cluster-scoped objects are judged only when no namespace is given, except the named Namespaces.
 */
export async function auditCluster(
  api: KubeApi,
  engine: Engine,
  scope: AuditScope,
  onObjects?: (count: number) => void,
): Promise<{ result: Result; stats: AuditStats }> {
  const served = await discoverTypes(api);
  const types = typesToList(served, engine);
  if (types.length === 0)
    throw new ParapetError(
      'PARAPET_CLUSTER',
      `${api.server}: the cluster serves no resource type that the selected policies judge`,
    );
  const stats: AuditStats = {
    types: types.map((t) => `${t.apiVersion}/${t.kind}`),
    objects: 0,
    owned: 0,
    pages: 0,
  };
  const notices: Notice[] = [];
  const session = engine.session();
  const namespaceSet = new Set(scope.namespaces);
  for (const type of types) {
    if (!type.namespaced && scope.namespaces.length && type.kind !== 'Namespace') continue;
    try {
      for await (const items of pages(api, type, scope, stats)) {
        const resources: Resource[] = [];
        for (const item of items) {
          if (!scope.includeOwned && isControlled(item)) {
            stats.owned += 1;
            continue;
          }
          const object = asManifest(type, item);
          if (type.kind === 'Namespace' && namespaceSet.size) {
            const name = (object.metadata as Obj | undefined)?.name;
            if (typeof name !== 'string' || !namespaceSet.has(name)) continue;
          }
          resources.push(kubernetesResource(object, { file: locationOf(api, type, item), line: 1 }));
        }
        stats.objects += resources.length;
        await session.add(resources);
        onObjects?.(stats.objects);
      }
    } catch (error) {
      // No right to list one kind: say so and judge the rest; other failures end the audit.
      if (error instanceof KubeApiError && (error.status === 403 || error.status === 404)) {
        notices.push({
          level: 'warning',
          code: 'audit-list-denied',
          message: `audit: cannot list ${type.apiVersion}/${type.kind}: ${error.message}`,
        });
        continue;
      }
      throw error;
    }
  }
  if (stats.objects === 0)
    throw new ParapetError(
      'PARAPET_CLUSTER',
      `${api.server}: no object to audit${scope.namespaces.length ? ` in namespace ${scope.namespaces.join(', ')}` : ''}${scope.labelSelector ? ` with labels ${scope.labelSelector}` : ''}`,
    );
  await session.add([], notices);
  const result = await session.finish();
  return { result, stats };
}
