import type { ResourceSource } from './resource.js';

export const severities = ['critical', 'high', 'medium', 'low', 'info'] as const;
export type Severity = (typeof severities)[number];

/** Lower rank is more severe. */
export function severityRank(severity: Severity): number {
  return severities.indexOf(severity);
}

/** True when `severity` is at least as severe as `threshold`. */
export function atOrAbove(severity: Severity, threshold: Severity): boolean {
  return severityRank(severity) <= severityRank(threshold);
}

export const modes = ['enforce', 'warn', 'audit'] as const;
export type Mode = (typeof modes)[number];

/** Which resources a policy applies to. Every field that is set must match. */
export interface PolicyMatch {
  source?: ResourceSource | ResourceSource[];
  /** minimatch globs over the resource kind. */
  kinds?: string[];
  /** minimatch globs over resource kinds that are excluded. */
  excludeKinds?: string[];
  /** minimatch globs over the namespace (Kubernetes). */
  namespaces?: string[];
  excludeNamespaces?: string[];
  /** Label equality; a value `*` means the label must be present. */
  labels?: Record<string, string>;
  /** Terraform plan actions (create, update, delete, replace, read, no-op, forget): any must match. */
  actions?: string[];
}

/** A JSON Schema the target must satisfy, or a violation is reported. */
export interface SchemaRule {
  schema: {
    /** What the schema is applied to. */
    target?: 'body' | 'podSpec' | 'containers' | 'resource';
    /** JSON Schema (draft 2020-12 subset understood by ajv) with parapet's domain keywords. */
    assert: Record<string, unknown>;
    /** Optional filter: the rule applies only where the target satisfies this schema. */
    when?: Record<string, unknown>;
    /** JSON pointer (relative to the target) to report instead of the deepest error's. */
    path?: string;
  };
}

/** A cross-resource rule: a resource needs (or must not have) a related resource. */
export interface RelationRule {
  relation: {
    related: {
      source?: ResourceSource;
      kinds: string[];
      /** The related resource must also satisfy this schema (over itself as a whole resource). */
      assert?: Record<string, unknown>;
    };
    /** How a related resource is tied to this one; every listed join must hold. */
    join: RelationJoin[];
    /** `present`: a violation when no related resource exists. `absent`: a violation when one does. */
    expect: 'present' | 'absent';
    /** The resource passes anyway when it satisfies this schema (for example an inline block). */
    unless?: Record<string, unknown>;
    /** JSON pointer reported as the offending path. */
    path?: string;
  };
}

export type RelationJoin =
  | { sameNamespace: true }
  /** The related resource's label selector at `selector` (a JSON pointer in its body) selects this resource's pod labels. */
  | { selects: { selector: string } }
  /** The related resource refers to this one through an attribute (or any of a list) in the Terraform configuration. */
  | { references: { attribute: string | string[] } }
  /** This resource refers to the related one through an attribute (or any of a list) in the Terraform configuration. */
  | { referencedBy: { attribute: string | string[] } }
  /** A value in this resource equals a value in the related one (JSON pointers over the whole resource). */
  | { equal: { self: string; related: string } };

/** A rule over the whole input set: a count or sum across matching resources, against a limit. */
export interface AggregateRule {
  aggregate: {
    /** Only resources satisfying this schema (over the whole resource) count. */
    where?: Record<string, unknown>;
    /** Count resources, or sum a number at a JSON pointer (over the whole resource). */
    sum?: string;
    /** One total per group: the whole input (`all`), each file, or each namespace. */
    groupBy?: 'all' | 'file' | 'namespace';
    max?: number | ParamRef;
    min?: number | ParamRef;
  };
}

/** A rule implemented in TypeScript and registered by name, for logic data cannot express. */
export interface CheckRule {
  /** `target`: what the policy's `fix` pointers are relative to (default the body). */
  check: { name: string; with?: Record<string, unknown>; target?: 'body' | 'podSpec' };
}

/** A rule that evaluates a Rego entrypoint compiled to Wasm. */
export interface RegoRule {
  rego: { module: string; entrypoint: string; data?: string };
}

export type PolicyRule = SchemaRule | RelationRule | AggregateRule | CheckRule | RegoRule;

/** `{ $param: name }` anywhere in a rule is replaced by the configured (or default) parameter value at compile time. */
export interface ParamRef {
  $param: string;
}

export interface PolicyTests {
  /** Files (relative to the policy file) that must produce at least one failing finding. */
  fail?: PolicyTestCase[];
  /** Files that must produce no failing finding. */
  pass?: PolicyTestCase[];
  /** Files that must produce only `unknown` findings. */
  unknown?: PolicyTestCase[];
}

export type PolicyTestCase =
  | string
  | {
      file: string;
      count?: number;
      paths?: string[];
      params?: Record<string, unknown>;
      /** The PSS version (v1.N) a versioned policy runs at for this case. */
      pssVersion?: string;
    };

/**
 * The catalogues a policy can name its equivalents in: peer tools' check ids and benchmark
 * sections. `--select SCHEME:GLOB` selects by them, as `tag:GLOB` does by tags.
 */
export const equivalentSchemes = [
  'checkov',
  'trivy',
  'tfsec',
  'polaris',
  'kyverno',
  'cis-kubernetes',
  'cis-aws',
  'cis-azure',
  'cis-gcp',
  'nsa-cisa',
] as const;

export type EquivalentScheme = (typeof equivalentSchemes)[number];

/** A documented difference from a peer's verdict on one of the policy's fixtures. */
export interface EquivalentDifference {
  tool: EquivalentScheme;
  /** The fixture, relative to the policy file. */
  file: string;
  reason: string;
}

/** A policy as written in a YAML file, after validation. */
export interface PolicyDocument {
  id: string;
  title: string;
  description?: string;
  severity: Severity;
  category: string;
  tags?: string[];
  match: PolicyMatch;
  rule: PolicyRule;
  /** Template with `{{ path }}` placeholders; see the README for the available roots. */
  message: string;
  remediation?: string;
  references?: string[];
  /** The same check in peer tools and benchmarks: scheme -> ids (`checkov: [CKV_K8S_16]`). */
  equivalents?: Partial<Record<EquivalentScheme, string[]>>;
  /** Fixtures on which a peer's verdict deliberately differs, and why (the differential tests read these). */
  differences?: EquivalentDifference[];
  /** Parameter declarations: JSON Schema per parameter, with `default`. */
  parameters?: Record<string, Record<string, unknown> & { default?: unknown; description?: string }>;
  /**
   * Ids of policies this one replaces when both are selected (Pod Security Admission's restricted
   * checks replace some baseline ones; running both would judge twice, and differently).
   */
  overrides?: string[];
  /**
   * Parameters with no default worth running on (an organisation's registries, labels, budgets):
   * until the configuration sets all of them, the policy is inactive and a run that meets its
   * resources carries one notice saying so.
   */
  requiresParameters?: string[];
  /** The policy follows a versioned standard (Pod Security Admission's versioned checks). */
  versioned?: PolicyVersioning;
  /**
   * Opinionated checks a site adopts deliberately (priority classes, topology spread): off unless
   * `--enable` / `policies.enable` or a `--select` / `policies.select` selector names the policy.
   */
  optional?: boolean;
  /** The mode used when configuration sets none (Gatekeeper's enforcementAction maps here). Default `enforce`. */
  defaultMode?: Mode;
  /**
   * An RFC 6902 JSON Patch that fixes a violation, for the mutating webhook. Paths are relative to
   * the rule's target instance (for `containers`: the `{container, pod}` object).
   */
  fix?: Array<Record<string, unknown>>;
  tests?: PolicyTests;
}

/**
 * How a policy follows the version a run picks (`by: pss`: `--pss-version`): it exists from `since`
 * (v1.N), and `parameters` holds parameter defaults keyed by the version (v1.N) they start at.
 */
export interface PolicyVersioning {
  by: 'pss';
  since?: string;
  parameters?: Record<string, Record<string, unknown>>;
}

/** A loaded policy: the document plus where it came from. */
export interface Policy extends PolicyDocument {
  tags: string[];
  references: string[];
  /** Absolute path of the policy file, or `<builtin>` for generated ones. */
  file: string;
  builtin: boolean;
}

/** What reports need to know about a policy. */
export interface PolicyInfo {
  id: string;
  title: string;
  description?: string;
  severity: Severity;
  category: string;
  tags: string[];
  remediation?: string;
  references: string[];
  equivalents?: Partial<Record<EquivalentScheme, string[]>>;
  file: string;
  builtin: boolean;
}

export function policyInfo(policy: Policy): PolicyInfo {
  return {
    id: policy.id,
    title: policy.title,
    description: policy.description,
    severity: policy.severity,
    category: policy.category,
    tags: policy.tags,
    remediation: policy.remediation,
    references: policy.references,
    ...(policy.equivalents ? { equivalents: policy.equivalents } : {}),
    file: policy.file,
    builtin: policy.builtin,
  };
}
