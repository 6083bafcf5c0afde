/**
 * Reads ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding and CustomResourceDefinition
 * documents, with the API server's own validation of the fields parapet relies on: a document the
 * API server would refuse is an error naming the file, not a policy that silently never applies.
 */
import type {
  ClusterObject,
  Json,
  LabelSelector,
  MatchResources,
  NamedRuleWithOperations,
  ValidatingAdmissionPolicy,
  ValidatingAdmissionPolicyBinding,
} from './types.js';

const GROUP = 'admissionregistration.k8s.io/';

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export class VapParseError extends Error {}

function fail(message: string): never {
  throw new VapParseError(message);
}

function strings(value: unknown, where: string): string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string'))
    fail(`${where} must be a list of strings`);
  return value as string[];
}

function selector(value: unknown, where: string): LabelSelector | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) fail(`${where} must be a label selector`);
  const out: LabelSelector = {};
  if (value.matchLabels !== undefined) {
    if (!isObject(value.matchLabels)) fail(`${where}.matchLabels must be a map`);
    out.matchLabels = Object.fromEntries(Object.entries(value.matchLabels).map(([k, v]) => [k, String(v)]));
  }
  if (value.matchExpressions !== undefined) {
    if (!Array.isArray(value.matchExpressions)) fail(`${where}.matchExpressions must be a list`);
    out.matchExpressions = value.matchExpressions.map((item, i) => {
      if (!isObject(item) || typeof item.key !== 'string')
        fail(`${where}.matchExpressions[${i}].key is required`);
      if (!['In', 'NotIn', 'Exists', 'DoesNotExist'].includes(String(item.operator)))
        fail(`${where}.matchExpressions[${i}].operator: Unsupported value: "${String(item.operator)}"`);
      return {
        key: item.key,
        operator: String(item.operator),
        values: strings(item.values, `${where}.matchExpressions[${i}].values`),
      };
    });
  }
  return out;
}

function rules(value: unknown, where: string): NamedRuleWithOperations[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) fail(`${where} must be a list`);
  return value.map((rule, i) => {
    const at = `${where}[${i}]`;
    if (!isObject(rule)) fail(`${at} must be a map`);
    const operations = strings(rule.operations, `${at}.operations`);
    for (const op of operations ?? [])
      if (!['*', 'CREATE', 'UPDATE', 'DELETE', 'CONNECT'].includes(op))
        fail(`${at}.operations: Unsupported value: "${op}"`);
    const scope = rule.scope === undefined ? undefined : String(rule.scope);
    if (scope !== undefined && !['*', 'Cluster', 'Namespaced'].includes(scope))
      fail(`${at}.scope: Unsupported value: "${scope}"`);
    return {
      apiGroups: strings(rule.apiGroups, `${at}.apiGroups`),
      apiVersions: strings(rule.apiVersions, `${at}.apiVersions`),
      resources: strings(rule.resources, `${at}.resources`),
      operations,
      scope,
      resourceNames: strings(rule.resourceNames, `${at}.resourceNames`),
    };
  });
}

function matchResources(value: unknown, where: string): MatchResources | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) fail(`${where} must be a map`);
  const policy = value.matchPolicy === undefined ? 'Equivalent' : String(value.matchPolicy);
  if (policy !== 'Exact' && policy !== 'Equivalent')
    fail(`${where}.matchPolicy: Unsupported value: "${policy}"`);
  return {
    namespaceSelector: selector(value.namespaceSelector, `${where}.namespaceSelector`),
    objectSelector: selector(value.objectSelector, `${where}.objectSelector`),
    resourceRules: rules(value.resourceRules, `${where}.resourceRules`),
    excludeResourceRules: rules(value.excludeResourceRules, `${where}.excludeResourceRules`),
    matchPolicy: policy,
  };
}

function named(value: unknown, where: string, field: string): Array<{ name: string; expression: string }> {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) fail(`${where} must be a list`);
  const seen = new Set<string>();
  return value.map((item, i) => {
    if (!isObject(item) || typeof item.name !== 'string' || item.name === '')
      fail(`${where}[${i}].name: Required value`);
    if (typeof item[field] !== 'string' || item[field] === '')
      fail(`${where}[${i}].${field}: Required value`);
    if (seen.has(item.name)) fail(`${where}[${i}].name: Duplicate value: "${item.name}"`);
    seen.add(item.name);
    return { name: item.name, expression: item[field] as string };
  });
}

function metadataName(doc: Json, what: string): string {
  const metadata = isObject(doc.metadata) ? doc.metadata : {};
  if (typeof metadata.name !== 'string' || metadata.name === '') fail(`${what} has no metadata.name`);
  return metadata.name;
}

export function isVapDocument(doc: unknown): doc is Json {
  return (
    isObject(doc) &&
    typeof doc.apiVersion === 'string' &&
    doc.apiVersion.startsWith(GROUP) &&
    (doc.kind === 'ValidatingAdmissionPolicy' || doc.kind === 'ValidatingAdmissionPolicyBinding')
  );
}

export function parsePolicy(doc: Json, file: string): ValidatingAdmissionPolicy {
  const name = metadataName(doc, 'ValidatingAdmissionPolicy');
  const what = `ValidatingAdmissionPolicy ${name}`;
  const spec = isObject(doc.spec) ? doc.spec : fail(`${what}: spec is required`);
  let paramKind: ValidatingAdmissionPolicy['paramKind'];
  if (spec.paramKind !== undefined && spec.paramKind !== null) {
    if (
      !isObject(spec.paramKind) ||
      typeof spec.paramKind.apiVersion !== 'string' ||
      typeof spec.paramKind.kind !== 'string'
    )
      fail(`${what}: spec.paramKind needs apiVersion and kind`);
    paramKind = { apiVersion: spec.paramKind.apiVersion, kind: spec.paramKind.kind };
  }
  const validations = (spec.validations ?? []) as unknown;
  if (!Array.isArray(validations)) fail(`${what}: spec.validations must be a list`);
  const audit = (spec.auditAnnotations ?? []) as unknown;
  if (!Array.isArray(audit)) fail(`${what}: spec.auditAnnotations must be a list`);
  if (validations.length === 0 && audit.length === 0)
    fail(
      `${what}: spec.validations: Required value: validations or auditAnnotations must contain at least one item`,
    );
  const failurePolicy = spec.failurePolicy === undefined ? 'Fail' : String(spec.failurePolicy);
  if (failurePolicy !== 'Fail' && failurePolicy !== 'Ignore')
    fail(`${what}: spec.failurePolicy: Unsupported value: "${failurePolicy}"`);
  const constraints = matchResources(spec.matchConstraints, `${what}: spec.matchConstraints`);
  if (!constraints?.resourceRules?.length)
    fail(`${what}: spec.matchConstraints.resourceRules: Required value`);
  return {
    name,
    file,
    paramKind,
    matchConstraints: constraints,
    matchConditions: named(spec.matchConditions, `${what}: spec.matchConditions`, 'expression'),
    variables: named(spec.variables, `${what}: spec.variables`, 'expression'),
    validations: validations.map((item, i) => {
      if (!isObject(item) || typeof item.expression !== 'string' || item.expression.trim() === '')
        fail(`${what}: spec.validations[${i}].expression: Required value`);
      if (item.message !== undefined && (typeof item.message !== 'string' || item.message.includes('\n')))
        fail(`${what}: spec.validations[${i}].message: must be a single line`);
      return {
        expression: item.expression,
        message: item.message as string | undefined,
        messageExpression: typeof item.messageExpression === 'string' ? item.messageExpression : undefined,
        reason: typeof item.reason === 'string' ? item.reason : undefined,
      };
    }),
    auditAnnotations: audit.map((item, i) => {
      if (!isObject(item) || typeof item.key !== 'string' || typeof item.valueExpression !== 'string')
        fail(`${what}: spec.auditAnnotations[${i}] needs key and valueExpression`);
      return { key: item.key, valueExpression: item.valueExpression };
    }),
    failurePolicy,
  };
}

export function parseBinding(doc: Json, file: string): ValidatingAdmissionPolicyBinding {
  const name = metadataName(doc, 'ValidatingAdmissionPolicyBinding');
  const what = `ValidatingAdmissionPolicyBinding ${name}`;
  const spec = isObject(doc.spec) ? doc.spec : fail(`${what}: spec is required`);
  if (typeof spec.policyName !== 'string' || spec.policyName === '')
    fail(`${what}: spec.policyName: Required value`);
  const actions = strings(spec.validationActions, `${what}: spec.validationActions`) ?? [];
  if (actions.length === 0)
    fail(`${what}: spec.validationActions: Required value: must contain at least one value`);
  for (const action of actions)
    if (!['Deny', 'Warn', 'Audit'].includes(action))
      fail(`${what}: spec.validationActions: Unsupported value: "${action}"`);
  if (actions.includes('Deny') && actions.includes('Warn'))
    fail(`${what}: spec.validationActions: Invalid value: may not contain both "Deny" and "Warn"`);
  let paramRef: ValidatingAdmissionPolicyBinding['paramRef'];
  if (isObject(spec.paramRef)) {
    const ref = spec.paramRef;
    const action =
      ref.parameterNotFoundAction === undefined ? undefined : String(ref.parameterNotFoundAction);
    if (action !== undefined && action !== 'Allow' && action !== 'Deny')
      fail(`${what}: spec.paramRef.parameterNotFoundAction: Unsupported value: "${action}"`);
    if (ref.name !== undefined && ref.selector !== undefined)
      fail(`${what}: spec.paramRef: Forbidden: name and selector are mutually exclusive`);
    if (ref.name === undefined && ref.selector === undefined)
      fail(`${what}: spec.paramRef: Required value: one of name or selector must be set`);
    paramRef = {
      name: typeof ref.name === 'string' ? ref.name : undefined,
      namespace: typeof ref.namespace === 'string' ? ref.namespace : undefined,
      selector: selector(ref.selector, `${what}: spec.paramRef.selector`),
      parameterNotFoundAction: action as 'Allow' | 'Deny' | undefined,
    };
  }
  return {
    name,
    file,
    policyName: spec.policyName,
    paramRef,
    matchResources: matchResources(spec.matchResources, `${what}: spec.matchResources`),
    validationActions: actions as Array<'Deny' | 'Warn' | 'Audit'>,
  };
}

export function isCustomResourceDefinition(doc: unknown): doc is Json {
  return (
    isObject(doc) &&
    doc.kind === 'CustomResourceDefinition' &&
    String(doc.apiVersion).startsWith('apiextensions.k8s.io/')
  );
}

/** The resources a CustomResourceDefinition serves: [group, version, kind, plural, namespaced]. */
export function crdResources(doc: Json): Array<readonly [string, string, string, string, boolean]> {
  const spec = isObject(doc.spec) ? doc.spec : fail('CustomResourceDefinition has no spec');
  const names = isObject(spec.names) ? spec.names : fail('CustomResourceDefinition has no spec.names');
  if (typeof spec.group !== 'string' || typeof names.kind !== 'string' || typeof names.plural !== 'string')
    fail('CustomResourceDefinition needs spec.group, spec.names.kind and spec.names.plural');
  const versions = Array.isArray(spec.versions) ? spec.versions : [];
  const namespaced = spec.scope !== 'Cluster';
  return versions
    .filter((v): v is Json => isObject(v) && typeof v.name === 'string' && v.served !== false)
    .map(
      (v) =>
        [
          spec.group as string,
          v.name as string,
          names.kind as string,
          names.plural as string,
          namespaced,
        ] as const,
    );
}

/** Any other Kubernetes object of the policy folder, kept as possible params or namespaces. */
export function clusterObject(doc: unknown, file: string): ClusterObject | undefined {
  if (!isObject(doc) || typeof doc.apiVersion !== 'string' || typeof doc.kind !== 'string') return undefined;
  const metadata = isObject(doc.metadata) ? doc.metadata : {};
  if (typeof metadata.name !== 'string') return undefined;
  const labels = isObject(metadata.labels)
    ? Object.fromEntries(Object.entries(metadata.labels).map(([k, v]) => [k, String(v)]))
    : {};
  return {
    apiVersion: doc.apiVersion,
    kind: doc.kind,
    name: metadata.name,
    namespace: typeof metadata.namespace === 'string' ? metadata.namespace : undefined,
    labels,
    body: doc,
    file,
  };
}
