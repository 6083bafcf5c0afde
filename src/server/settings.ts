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
  };
}

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
