/**
 * The `server:` section of `parapet.yaml` and the webhook's normalised settings. Command-line flags
 * of `parapet serve` override the file; `Settings.domains.server` carries the file's values.
 */

export type FailureDecision = 'allow' | 'deny';

/** Webhook settings, every field set. */
export interface ServerSettings {
  /** Globs over policy ids whose `fix` patches `/mutate` returns. Empty: `/mutate` never patches. */
  mutate: string[];
  /** Globs over namespaces never evaluated (the webhook's own namespace is added to these). */
  excludeNamespaces: string[];
  /** Globs over user names never evaluated (controllers that must not be blocked). */
  excludeUsers: string[];
  /** Globs over group names never evaluated. */
  excludeGroups: string[];
  /** The namespace the webhook runs in; never evaluated so a bad rollout cannot lock it out. */
  namespace: string;
  /** Per-request evaluation budget in milliseconds; keep it well under the webhook's timeoutSeconds. */
  budgetMs: number;
  /** The answer when the budget is exceeded or evaluation fails unexpectedly. */
  failureDecision: FailureDecision;
  /** Largest request body accepted, in bytes. */
  maxBodyBytes: number;
  /** Globs over policy ids evaluated against `oldObject` on DELETE (otherwise DELETE is allowed). */
  deletePolicies: string[];
  /** Containers (init, ephemeral included) one pod spec may hold; more is denied unevaluated. */
  maxContainers: number;
  /** Items any one list in the object may hold; more is denied unevaluated. */
  maxListItems: number;
  /** Nesting depth of the object; deeper is denied unevaluated. */
  maxDepth: number;
  /** JSON values (objects, lists, strings, numbers...) one request body may hold; more is denied unparsed. */
  maxValues: number;
  /** Findings one review may raise; more is denied (mutate: no patch) with the count. */
  maxFindings: number;
  /** Findings a denial message names; it says how many more there are. */
  maxDeniedFindings: number;
  /** Request bytes held across all requests in flight (bodies being read, queued, evaluated). */
  maxInflightBytes: number;
  /** Concurrent connections to the admission port; more are refused. */
  maxConnections: number;
  /** Time a client has to send a whole request (headers and body), in milliseconds. */
  requestTimeoutMs: number;
  /** Requests one keep-alive connection may carry before the server closes it. */
  maxRequestsPerConnection: number;
  /** Evaluation threads (`parapet serve`): each evaluates one review at a time. */
  evaluationThreads: number;
  /** Heap limit of each evaluation thread in MiB; a review that needs more is answered by the failure decision. */
  evaluationHeapMiB: number;
  /** Loaded evaluation threads held in reserve: one takes over at once from a thread that is stopped. */
  spareThreads: number;
}

export function defaultServerSettings(): ServerSettings {
  return {
    mutate: [],
    excludeNamespaces: ['kube-system'],
    excludeUsers: [],
    excludeGroups: [],
    namespace: process.env.POD_NAMESPACE || 'parapet-system',
    budgetMs: 1500,
    failureDecision: 'deny',
    // An AdmissionReview can carry object and oldObject, each up to etcd's 1.5 MiB request limit.
    maxBodyBytes: 3 * 1024 * 1024 + 64 * 1024,
    deletePolicies: [],
    maxContainers: 100,
    maxListItems: 2000,
    maxDepth: 64,
    maxValues: 200_000,
    maxFindings: 5000,
    maxDeniedFindings: 10,
    maxInflightBytes: 24 * 1024 * 1024,
    maxConnections: 256,
    requestTimeoutMs: 10_000,
    maxRequestsPerConnection: 1000,
    evaluationThreads: 2,
    evaluationHeapMiB: 64,
    spareThreads: 1,
  };
}

/** The server settings that are whole-number limits, with their bounds (flags and the file share them). */
export const serverLimits = {
  maxContainers: { min: 1, max: 100_000, flag: '--max-containers' },
  maxListItems: { min: 1, max: 1_000_000, flag: '--max-list-items' },
  maxDepth: { min: 8, max: 10_000, flag: '--max-depth' },
  maxValues: { min: 1000, max: 100_000_000, flag: '--max-values' },
  maxFindings: { min: 1, max: 1_000_000, flag: '--max-findings' },
  maxDeniedFindings: { min: 1, max: 1000, flag: '--max-denied-findings' },
  maxInflightBytes: { min: 1024 * 1024, max: 8 * 1024 ** 3, flag: '--max-inflight-bytes' },
  maxConnections: { min: 1, max: 1_000_000, flag: '--max-connections' },
  requestTimeoutMs: { min: 100, max: 300_000, flag: '--request-timeout-ms' },
  maxRequestsPerConnection: { min: 1, max: 1_000_000, flag: '--max-requests-per-connection' },
  evaluationThreads: { min: 1, max: 64, flag: '--evaluation-threads' },
  evaluationHeapMiB: { min: 16, max: 65_536, flag: '--evaluation-heap-mib' },
  spareThreads: { min: 0, max: 64, flag: '--spare-threads' },
} as const;

const limitDescriptions: Record<keyof typeof serverLimits, string> = {
  maxContainers: 'Containers (init and ephemeral included) one pod spec may hold (default 100).',
  maxListItems: 'Items any one list in the object may hold (default 2000).',
  maxDepth: 'Nesting depth of the object (default 64).',
  maxValues: 'JSON values one request body may hold, object and oldObject together (default 200000).',
  maxFindings: 'Findings one review may raise (default 5000).',
  maxDeniedFindings: 'Findings a denial message names (default 10).',
  maxInflightBytes: 'Request bytes held across all requests in flight (default 25165824).',
  maxConnections: 'Concurrent connections to the admission port (default 256).',
  requestTimeoutMs: 'Time a client has to send a whole request, in ms (default 10000).',
  maxRequestsPerConnection: 'Requests one keep-alive connection may carry (default 1000).',
  evaluationThreads: 'Evaluation threads of parapet serve (default 2).',
  evaluationHeapMiB: 'Heap limit of each evaluation thread in MiB (default 64).',
  spareThreads:
    'Loaded evaluation threads held in reserve, taking over at once from a stopped thread (default 1).',
};

const limitProperties = Object.fromEntries(
  Object.entries(serverLimits).map(([key, { min, max }]) => [
    key,
    {
      type: 'integer',
      minimum: min,
      maximum: max,
      description: limitDescriptions[key as keyof typeof serverLimits],
    },
  ]),
);

const globList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;

/** JSON Schema of the `server:` section of `parapet.yaml`. */
export const serverSectionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    mutate: { ...globList, description: 'Policy id globs whose fix patches /mutate returns.' },
    excludeNamespaces: {
      ...globList,
      description: 'Namespace globs never evaluated (default: kube-system).',
    },
    excludeUsers: { ...globList, description: 'User name globs never evaluated.' },
    excludeGroups: { ...globList, description: 'Group name globs never evaluated.' },
    namespace: {
      type: 'string',
      minLength: 1,
      description: "The webhook's own namespace (default: $POD_NAMESPACE or parapet-system).",
    },
    budgetMs: {
      type: 'integer',
      minimum: 1,
      maximum: 29000,
      description: 'Per-request evaluation budget in milliseconds (default 1500).',
    },
    failureDecision: {
      enum: ['allow', 'deny'],
      description: 'Answer when the budget is exceeded (default deny).',
    },
    maxBodyBytes: { type: 'integer', minimum: 1024, description: 'Largest accepted request body in bytes.' },
    deletePolicies: { ...globList, description: 'Policy id globs evaluated against oldObject on DELETE.' },
    ...limitProperties,
  },
} as const;

/** Turns a validated `server:` section into settings over the defaults. */
export function normalizeServerSection(value: unknown): ServerSettings {
  const settings = defaultServerSettings();
  if (typeof value !== 'object' || value === null) return settings;
  return { ...settings, ...(value as Partial<ServerSettings>) };
}

/** The server settings carried in `Settings.domains.server`, or the defaults. */
export function serverSettingsFrom(domains: Record<string, unknown>): ServerSettings {
  const value = domains.server;
  if (value && typeof value === 'object' && 'budgetMs' in value) return value as ServerSettings;
  return normalizeServerSection(value);
}
