/**
 * Answers for `apiCall` context entries without a cluster, as `kyverno test` gives them: GET paths of
 * the Kubernetes API served from the test's resources and `clusterResources` (with their CRDs), and
 * `apiCallResponses` mocks keyed by method and URL.
 */
import type { Obj } from './types.js';

/** One apiCall after variable substitution. */
export interface ApiCallRequest {
  urlPath?: string;
  url?: string;
  method: string;
}

/**
 * The body of a call, or why it failed. `defaultApplies` says whether the entry's `default` may stand
 * in for the failure (Kyverno uses it for a failed API request, not for a mocked error status).
 */
export type ApiCallAnswer = { body: unknown } | { error: string; defaultApplies: boolean };

/** Answers a call, or undefined when it cannot (the entry is then unknown). */
export type ApiCallResolver = (call: ApiCallRequest) => ApiCallAnswer | undefined;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function metaOf(object: Obj): { name: string; namespace: string } {
  const m = isObject(object.metadata) ? object.metadata : {};
  return {
    name: typeof m.name === 'string' ? m.name : '',
    namespace: typeof m.namespace === 'string' ? m.namespace : '',
  };
}

/** The resource name Kubernetes guesses for a kind when no CRD names it (`meta.UnsafeGuessKindToResource`). */
export function guessResource(kind: string): string {
  const singular = kind.toLowerCase();
  if (singular.endsWith('s')) return `${singular}es`;
  if (singular.endsWith('y')) return `${singular.slice(0, -1)}ies`;
  return `${singular}s`;
}

interface Parsed {
  group: string;
  version: string;
  namespace: string;
  resource: string;
  name: string;
}

/** `/api/v1/namespaces/NS/RESOURCE/NAME` or `/apis/GROUP/VERSION/...`, as Kyverno's fake client reads them. */
function parsePath(urlPath: string): Parsed | undefined {
  const parts = urlPath.split('?')[0]!.replace(/^\/+/, '').split('/');
  const out: Parsed = { group: '', version: '', namespace: '', resource: '', name: '' };
  let rest: string[];
  if (parts.length >= 2 && parts[0] === 'api') {
    out.version = parts[1]!;
    rest = parts.slice(2);
  } else if (parts.length >= 3 && parts[0] === 'apis') {
    out.group = parts[1]!;
    out.version = parts[2]!;
    rest = parts.slice(3);
  } else return undefined;
  if (rest.length >= 2 && rest[0] === 'namespaces') {
    out.namespace = rest[1]!;
    rest = rest.slice(2);
  }
  out.resource = rest[0] ?? '';
  out.name = rest[1] ?? '';
  return out.resource ? out : undefined;
}

/**
 * A read-only API server over `objects`: GET of one object or of a list, resource names taken from
 * the CRDs among the objects or guessed from the kind.
 */
export function clusterApiCalls(objects: Obj[]): ApiCallResolver {
  const resourceOfKind = new Map<string, string>();
  for (const object of objects) {
    if (object.kind !== 'CustomResourceDefinition' || !isObject(object.spec)) continue;
    const spec = object.spec;
    const names = isObject(spec.names) ? spec.names : {};
    if (typeof spec.group !== 'string' || typeof names.kind !== 'string' || typeof names.plural !== 'string')
      continue;
    for (const version of Array.isArray(spec.versions) ? spec.versions : [])
      if (isObject(version) && typeof version.name === 'string')
        resourceOfKind.set(`${spec.group}/${version.name}/${names.kind}`, names.plural);
  }
  const index = new Map<string, Obj[]>();
  for (const object of objects) {
    if (typeof object.kind !== 'string' || typeof object.apiVersion !== 'string') continue;
    const groupVersion = object.apiVersion.includes('/') ? object.apiVersion : `/${object.apiVersion}`;
    const resource = resourceOfKind.get(`${object.apiVersion}/${object.kind}`) ?? guessResource(object.kind);
    const key = `${groupVersion}/${resource}`;
    const list = index.get(key) ?? [];
    list.push(object);
    index.set(key, list);
  }
  return (call) => {
    if (!call.urlPath) return undefined;
    const path = call.urlPath;
    if (call.method !== 'GET')
      return {
        error: `failed to ${call.method} resource with raw url: ${path}: method ${call.method} not supported for fake client`,
        defaultApplies: true,
      };
    const parsed = parsePath(path);
    if (!parsed)
      return {
        error: `failed to GET resource with raw url: ${path}: failed to parse path: ${path.replace(/^\//, '')}`,
        defaultApplies: true,
      };
    const candidates = (index.get(`${parsed.group}/${parsed.version}/${parsed.resource}`) ?? []).filter(
      (object) => !parsed.namespace || metaOf(object).namespace === parsed.namespace,
    );
    if (!parsed.name) {
      const kind = candidates[0]?.kind ?? kindOfResource(parsed.resource);
      return {
        body: {
          apiVersion: parsed.group ? `${parsed.group}/${parsed.version}` : parsed.version,
          kind: `${String(kind)}List`,
          metadata: { resourceVersion: '' },
          items: candidates,
        },
      };
    }
    // A get names the namespace exactly: a namespaced object is not found through a cluster path.
    const found = candidates.find(
      (object) => metaOf(object).name === parsed.name && metaOf(object).namespace === parsed.namespace,
    );
    if (found) return { body: found };
    const groupResource = parsed.group ? `${parsed.resource}.${parsed.group}` : parsed.resource;
    return {
      error: `failed to GET resource with raw url: ${path}: ${groupResource} "${parsed.name}" not found`,
      defaultApplies: true,
    };
  };
}

/** The kind Kyverno's fake discovery infers from a resource name it does not know. */
function kindOfResource(resource: string): string {
  let kind = resource;
  if (kind.endsWith('ies')) kind = `${kind.slice(0, -3)}y`;
  else if (kind.endsWith('es')) kind = kind.slice(0, -2);
  else if (kind.endsWith('s')) kind = kind.slice(0, -1);
  return kind ? kind[0]!.toUpperCase() + kind.slice(1) : kind;
}

/** One `apiCallResponses` entry of a `kyverno test` file. */
export interface ApiCallMock {
  url?: string;
  urlPath?: string;
  method?: string;
  statusCode: number;
  body: unknown;
}

/**
 * Reads and checks a test's `apiCallResponses` the way `kyverno test` does; throws a one-line
 * message naming the entry when one is malformed.
 */
export function readApiCallMocks(raw: unknown): ApiCallMock[] {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) throw new Error('apiCallResponses: must be a list');
  const seen = new Set<string>();
  return raw.map((entry, i) => {
    if (!isObject(entry)) throw new Error(`apiCallResponses[${i}]: must be a mapping`);
    const url = typeof entry.url === 'string' ? entry.url.trim() : '';
    const urlPath = typeof entry.urlPath === 'string' ? entry.urlPath.trim() : '';
    if (!url && !urlPath) throw new Error(`apiCallResponses[${i}]: either url or urlPath is required`);
    if (url && urlPath) throw new Error(`apiCallResponses[${i}]: url and urlPath are mutually exclusive`);
    if (url) {
      let parsed: URL;
      try {
        parsed = new URL(url);
      } catch {
        throw new Error(`apiCallResponses[${i}]: url "${url}" is not a valid URL`);
      }
      if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
        throw new Error(`apiCallResponses[${i}]: url "${url}" must be an absolute https/http URL`);
    }
    if (urlPath && !urlPath.startsWith('/'))
      throw new Error(
        `apiCallResponses[${i}]: urlPath "${urlPath}" must be an absolute path starting with '/'`,
      );
    const method = typeof entry.method === 'string' ? entry.method.trim().toUpperCase() : '';
    if (method && method !== 'GET' && method !== 'POST')
      throw new Error(`apiCallResponses[${i}]: method must be GET or POST`);
    const label = url || urlPath;
    const response = isObject(entry.response) ? entry.response : {};
    if (!isObject(response.body))
      throw new Error(`apiCallResponses[${i}] "${label}": response.body must be a JSON object`);
    const statusCode = response.statusCode === undefined ? 200 : Number(response.statusCode);
    if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599)
      throw new Error(
        `apiCallResponses[${i}] "${label}": statusCode ${String(response.statusCode)} must be between 100 and 599`,
      );
    const key = method ? `${method}:${label}` : label;
    if (seen.has(key))
      throw new Error(
        `apiCallResponses: duplicate entry for "${label}" (key "${key}"): each method+url combination must be unique`,
      );
    seen.add(key);
    return {
      ...(url ? { url } : { urlPath }),
      ...(method ? { method } : {}),
      statusCode,
      body: response.body,
    };
  });
}

/** Answers calls from mocks (method-specific first, then any method); others go to `fallback`. */
export function mockedApiCalls(mocks: ApiCallMock[], fallback?: ApiCallResolver): ApiCallResolver {
  const index = new Map<string, ApiCallMock>();
  for (const mock of mocks) {
    const url = mock.url ?? mock.urlPath ?? '';
    index.set(mock.method ? `${mock.method}:${url}` : url, mock);
  }
  return (call) => {
    const url = call.url ?? call.urlPath ?? '';
    const mock = url ? (index.get(`${call.method}:${url}`) ?? index.get(url)) : undefined;
    if (!mock) return fallback?.(call);
    if (mock.statusCode < 200 || mock.statusCode >= 300)
      return {
        error: `HTTP ${mock.statusCode} from apiCall mock (v1 apiCall treats non-2xx as failure)`,
        defaultApplies: false,
      };
    return { body: structuredClone(mock.body) };
  };
}
