/** The parts of Kyverno's `kyverno.io/v1` policy API that parapet reads. */

export type Obj = Record<string, unknown>;

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export interface ResourceDescription {
  kinds?: string[];
  name?: string;
  names?: string[];
  namespaces?: string[];
  annotations?: Record<string, string>;
  selector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  operations?: string[];
}

export interface Subject {
  kind: string;
  name: string;
  namespace?: string;
}

export interface UserInfoFilter {
  roles?: string[];
  clusterRoles?: string[];
  subjects?: Subject[];
}

export interface ResourceFilter extends UserInfoFilter {
  resources?: ResourceDescription;
}

export interface MatchBlock extends UserInfoFilter {
  any?: ResourceFilter[];
  all?: ResourceFilter[];
  resources?: ResourceDescription;
}

export interface Condition {
  key?: unknown;
  operator: string;
  value?: unknown;
  message?: string;
}

export type Conditions = Condition[] | { any?: Condition[]; all?: Condition[] };

export interface ContextEntry {
  name: string;
  variable?: { value?: unknown; jmesPath?: string; default?: unknown };
  configMap?: { name: string; namespace?: string };
  apiCall?: Obj;
  imageRegistry?: Obj;
  globalReference?: Obj;
}

export interface ForEachValidation {
  list: string;
  elementScope?: boolean;
  context?: ContextEntry[];
  preconditions?: Conditions;
  pattern?: unknown;
  anyPattern?: unknown[];
  deny?: { conditions?: Conditions };
  foreach?: ForEachValidation[];
}

export interface Validation {
  message?: string;
  failureAction?: string;
  allowExistingViolations?: boolean;
  pattern?: unknown;
  anyPattern?: unknown[];
  deny?: { conditions?: Conditions };
  foreach?: ForEachValidation[];
  podSecurity?: {
    level?: string;
    version?: string;
    exclude?: Array<{ controlName: string; images?: string[]; restrictedField?: string; values?: string[] }>;
  };
  cel?: Obj;
  manifests?: Obj;
  assert?: Obj;
}

export interface KyvernoRule {
  name: string;
  match?: MatchBlock;
  exclude?: MatchBlock;
  context?: ContextEntry[];
  preconditions?: Conditions;
  celPreconditions?: unknown[];
  validate?: Validation;
  mutate?: Obj;
  generate?: Obj;
  verifyImages?: unknown[];
  /** Set on generated rules: the rule they were generated from. */
  autogenOf?: string;
}

export interface KyvernoPolicyDoc {
  apiVersion: string;
  kind: 'ClusterPolicy' | 'Policy';
  metadata: {
    name: string;
    namespace?: string;
    annotations?: Record<string, string>;
    labels?: Record<string, string>;
  };
  spec: {
    rules?: KyvernoRule[];
    validationFailureAction?: string;
    background?: boolean;
    failurePolicy?: string;
    applyRules?: string;
  };
}
