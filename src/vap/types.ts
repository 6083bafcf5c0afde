/** ValidatingAdmissionPolicy and its binding (admissionregistration.k8s.io/v1), as parapet reads them. */

export type Json = Record<string, unknown>;

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: string; values?: string[] }>;
}

export interface NamedRuleWithOperations {
  apiGroups?: string[];
  apiVersions?: string[];
  resources?: string[];
  operations?: string[];
  scope?: string;
  resourceNames?: string[];
}

export interface MatchResources {
  namespaceSelector?: LabelSelector;
  objectSelector?: LabelSelector;
  resourceRules?: NamedRuleWithOperations[];
  excludeResourceRules?: NamedRuleWithOperations[];
  matchPolicy?: 'Exact' | 'Equivalent';
}

export interface Validation {
  expression: string;
  message?: string;
  messageExpression?: string;
  reason?: string;
}

export interface ValidatingAdmissionPolicy {
  name: string;
  file: string;
  paramKind?: { apiVersion: string; kind: string };
  matchConstraints?: MatchResources;
  matchConditions: Array<{ name: string; expression: string }>;
  variables: Array<{ name: string; expression: string }>;
  validations: Validation[];
  auditAnnotations: Array<{ key: string; valueExpression: string }>;
  failurePolicy: 'Fail' | 'Ignore';
}

export interface ParamRef {
  name?: string;
  namespace?: string;
  selector?: LabelSelector;
  parameterNotFoundAction?: 'Allow' | 'Deny';
}

export interface ValidatingAdmissionPolicyBinding {
  name: string;
  file: string;
  policyName: string;
  paramRef?: ParamRef;
  matchResources?: MatchResources;
  validationActions: Array<'Deny' | 'Warn' | 'Audit'>;
}

/** A Kubernetes object read from the policy folder as cluster state (params, namespaces). */
export interface ClusterObject {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  labels: Record<string, string>;
  body: Json;
  file: string;
}

/** What the `vap` rule of one generated policy carries. */
export interface VapRuleSpec {
  policy: ValidatingAdmissionPolicy;
  /** Undefined for a policy no binding names: loaded, inactive. */
  binding?: ValidatingAdmissionPolicyBinding;
  /** Objects of the policy folders that may serve as params or namespaces. */
  objects: ClusterObject[];
  /** Resources defined by CustomResourceDefinitions in the policy folders. */
  customResources: Array<readonly [string, string, string, string, boolean]>;
}
