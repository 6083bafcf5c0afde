/**
 * The `vap` rule: one ValidatingAdmissionPolicy with one binding, compiled once (every expression
 * parsed and planned at load) and evaluated per resource the way the API server's validating
 * admission policy plugin does: match, params, matchConditions, validations with their messages,
 * auditAnnotations, failurePolicy. Its violations carry the API server's own denial text.
 */
import {
  CelCompileError,
  CelEnvironment,
  CostBudget,
  ciAuthorizer,
  ciRequestResource,
  UnknownValueError,
  type CelOutcome,
  type CompiledExpression,
} from '../cel/index.js';
import type { CompiledRule, EvalContext, Violation } from '../engine/rules/types.js';
import { selectorMatches } from '../engine/label-selector.js';
import { ParapetError } from '../model/errors.js';
import type { Policy } from '../model/policy.js';
import type { Resource } from '../model/resource.js';
import { matchResources, type NamespaceLabels, type RequestAttributes } from './match.js';
import { ResourceIndex, type ResourceInfo } from './resources.js';
import type { ClusterObject, Json, VapRuleSpec } from './types.js';

const MAP = Symbol.for('@bufbuild/cel/map');

/** A map whose every read is unknown (the requesting user in CI, a namespace not among the inputs). */
class UnknownMap {
  readonly [MAP] = {};
  constructor(private readonly reason: string) {}
  get size(): number {
    throw new UnknownValueError(this.reason);
  }
  get(): never {
    throw new UnknownValueError(this.reason);
  }
  has(): never {
    throw new UnknownValueError(this.reason);
  }
  keys(): never {
    throw new UnknownValueError(this.reason);
  }
  values(): never {
    throw new UnknownValueError(this.reason);
  }
  entries(): never {
    throw new UnknownValueError(this.reason);
  }
  forEach(): never {
    throw new UnknownValueError(this.reason);
  }
  [Symbol.iterator](): never {
    throw new UnknownValueError(this.reason);
  }
}

/** Error thrown out of a lazily evaluated variable into the expression that reads it. */
class VariableError extends Error {}

/** `variables`: each evaluated on first read and kept for the rest of the evaluation. */
class LazyVariables {
  readonly [MAP] = {};
  private readonly values = new Map<string, unknown>();
  constructor(
    private readonly programs: ReadonlyMap<string, CompiledExpression>,
    private readonly activation: Record<string, unknown>,
    private readonly budget: CostBudget,
  ) {}
  get size(): number {
    return this.programs.size;
  }
  has(name: unknown): boolean {
    return typeof name === 'string' && this.programs.has(name);
  }
  get(name: unknown): unknown {
    if (typeof name !== 'string') return undefined;
    if (this.values.has(name)) return this.values.get(name);
    const program = this.programs.get(name);
    if (!program) return undefined;
    const outcome = program.evaluate(this.activation, this.budget);
    if (outcome.kind === 'unknown') throw new UnknownValueError(outcome.reason);
    if (outcome.kind === 'error') throw new VariableError(outcome.message);
    this.values.set(name, outcome.value);
    return outcome.value;
  }
  keys(): IterableIterator<string> {
    return this.programs.keys();
  }
  *values_(): IterableIterator<unknown> {
    for (const name of this.programs.keys()) yield this.get(name);
  }
  *entries(): IterableIterator<[string, unknown]> {
    for (const name of this.programs.keys()) yield [name, this.get(name)];
  }
  forEach(callback: (value: unknown, key: string) => void): void {
    for (const [key, value] of this.entries()) callback(value, key);
  }
  [Symbol.iterator](): IterableIterator<[string, unknown]> {
    return this.entries();
  }
}

const VARIABLES = [
  'object',
  'oldObject',
  'request',
  'params',
  'namespaceObject',
  'variables',
  'authorizer',
  'authorizer.requestResource',
];

let environment: CelEnvironment | undefined;
/** One environment for every VAP expression (compiled programs keep a reference to it). */
export function vapEnvironment(): CelEnvironment {
  return (environment ??= new CelEnvironment({ variables: VARIABLES }));
}

function labelsOf(object: Json | undefined): Record<string, string> {
  const metadata = object?.metadata;
  const labels = typeof metadata === 'object' && metadata !== null ? (metadata as Json).labels : undefined;
  if (typeof labels !== 'object' || labels === null) return {};
  return Object.fromEntries(Object.entries(labels as Json).map(([k, v]) => [k, String(v)]));
}

interface AdmissionFacts {
  operation?: string;
  subResource?: string;
  userInfo?: unknown;
  oldObject?: Json;
  dryRun?: boolean;
}

interface Decision {
  message: string;
  status?: 'unknown';
}

/** The namespace object the policy sees: from the run's inputs, then the policy folders. */
function findNamespace(name: string, ctx: EvalContext, objects: ClusterObject[]): Json | undefined {
  for (const resource of ctx.resourcesOfKinds?.(
    (source, kind) => source === 'kubernetes' && kind === 'Namespace',
  ) ?? ctx.resources) {
    if (resource.source === 'kubernetes' && resource.kind === 'Namespace' && resource.name === name)
      return resource.body;
  }
  return objects.find(
    (object) => object.kind === 'Namespace' && object.apiVersion === 'v1' && object.name === name,
  )?.body;
}

function requestMap(
  attrs: RequestAttributes,
  matched: ResourceInfo,
  admission: AdmissionFacts | undefined,
  object: Json,
): Json {
  const gvk = (info: ResourceInfo) => ({ group: info.group, version: info.version, kind: info.kind });
  const gvr = (info: ResourceInfo) => ({ group: info.group, version: info.version, resource: info.resource });
  return {
    uid: '',
    kind: gvk(matched),
    resource: gvr(matched),
    subResource: attrs.subresource,
    requestKind: gvk(attrs.info),
    requestResource: gvr(attrs.info),
    requestSubResource: attrs.subresource,
    name: attrs.name,
    namespace: attrs.namespace,
    operation: attrs.operation,
    userInfo: admission?.userInfo ?? new UnknownMap('the requesting user is known only at admission'),
    dryRun: admission?.dryRun ?? false,
    options: attrs.operation === 'CREATE' ? { apiVersion: 'meta.k8s.io/v1', kind: 'CreateOptions' } : null,
    object,
  };
}

function compileAll(
  policy: Policy,
  what: string,
  sources: Array<{ where: string; expression: string }>,
): CompiledExpression[] {
  return sources.map(({ where, expression }) => {
    try {
      return vapEnvironment().compile(expression);
    } catch (error) {
      if (error instanceof CelCompileError)
        throw new ParapetError(
          'PARAPET_POLICY_COMPILE',
          `${policy.file}: ${what} ${where}: ${error.message}`,
          { file: policy.file },
        );
      throw error;
    }
  });
}

function errorText(expression: string, outcome: Extract<CelOutcome, { kind: 'error' }>): string {
  if (outcome.costExceeded && outcome.message.startsWith('validation failed due to running out'))
    return outcome.message;
  return `expression '${expression}' resulted in error: ${outcome.message}`;
}

export function compileVapRule(policy: Policy, spec: VapRuleSpec): CompiledRule {
  const vap = spec.policy;
  const binding = spec.binding;
  const what = `ValidatingAdmissionPolicy ${vap.name}`;
  const index = new ResourceIndex(spec.customResources);
  const matchConditions = compileAll(
    policy,
    what,
    vap.matchConditions.map((c, i) => ({
      where: `spec.matchConditions[${i}] (${c.name})`,
      expression: c.expression,
    })),
  );
  const variablePrograms = new Map(
    compileAll(
      policy,
      what,
      vap.variables.map((v, i) => ({ where: `spec.variables[${i}] (${v.name})`, expression: v.expression })),
    ).map((program, i) => [vap.variables[i]!.name, program] as const),
  );
  const validations = compileAll(
    policy,
    what,
    vap.validations.map((v, i) => ({ where: `spec.validations[${i}].expression`, expression: v.expression })),
  );
  const messages = vap.validations.map((v, i) =>
    v.messageExpression === undefined
      ? undefined
      : compileAll(policy, what, [
          { where: `spec.validations[${i}].messageExpression`, expression: v.messageExpression },
        ])[0],
  );
  const audits = compileAll(
    policy,
    what,
    vap.auditAnnotations.map((a, i) => ({
      where: `spec.auditAnnotations[${i}].valueExpression`,
      expression: a.valueExpression,
    })),
  );
  const readsNamespace =
    [vap.matchConstraints?.namespaceSelector, binding?.matchResources?.namespaceSelector].some(
      (s) => s && Object.keys(s).length > 0,
    ) ||
    [
      ...vap.matchConditions,
      ...vap.variables,
      ...vap.validations.flatMap((v) => [
        { expression: v.expression },
        { expression: v.messageExpression ?? '' },
      ]),
      ...vap.auditAnnotations.map((a) => ({ expression: a.valueExpression })),
    ].some((e) => e.expression.includes('namespaceObject'));
  const noticed = new WeakSet<object>();
  const notice = (ctx: EvalContext, code: string, message: string) => {
    if (noticed.has(ctx.notices)) return;
    noticed.add(ctx.notices);
    ctx.notices.push({ level: 'info', code, file: policy.file, message });
  };

  const denial = (message: string) =>
    binding!.validationActions.includes('Deny') || !binding!.validationActions.includes('Warn')
      ? `ValidatingAdmissionPolicy '${vap.name}' with binding '${binding!.name}' denied request: ${message}`
      : `Validation failed for ValidatingAdmissionPolicy '${vap.name}' with binding '${binding!.name}': ${message}`;

  const params = (attrs: RequestAttributes): { params: Array<Json | null> } | { error: string } => {
    const paramKind = vap.paramKind;
    const ref = binding!.paramRef;
    if (!paramKind || !ref) return { params: [null] };
    const namespaced =
      index.namespaced(paramKind.apiVersion, paramKind.kind) ??
      spec.objects.some(
        (o) =>
          o.apiVersion === paramKind.apiVersion && o.kind === paramKind.kind && o.namespace !== undefined,
      );
    let namespace: string | undefined;
    if (namespaced) {
      namespace = ref.namespace || attrs.namespace;
      if (!namespace)
        return {
          error: 'cannot use namespaced paramRef in policy binding that matches cluster-scoped resources',
        };
    } else if (ref.namespace)
      return { error: 'paramRef.namespace must not be provided for a cluster-scoped `paramKind`' };
    const candidates = spec.objects.filter(
      (o) =>
        o.apiVersion === paramKind.apiVersion &&
        o.kind === paramKind.kind &&
        (namespace === undefined || (o.namespace ?? 'default') === namespace),
    );
    const found =
      ref.name !== undefined
        ? candidates.filter((o) => o.name === ref.name)
        : candidates.filter((o) => selectorMatches(ref.selector ?? {}, o.labels));
    if (found.length === 0 && ref.parameterNotFoundAction === 'Deny')
      return { error: 'no params found for policy binding with `Deny` parameterNotFoundAction' };
    return { params: found.map((o) => o.body) };
  };

  const evaluateOne = (resource: Resource, ctx: EvalContext): Violation[] => {
    if (!binding) {
      notice(
        ctx,
        'vap-unbound',
        `${policy.file}: ${what} has no ValidatingAdmissionPolicyBinding; it is loaded but inactive, as in the cluster`,
      );
      return [];
    }
    const body = resource.body;
    const info = index.lookup(String(body.apiVersion ?? ''), resource.kind);
    if (!info) {
      notice(
        ctx,
        'vap-unknown-kind',
        `${policy.file}: ${String(body.apiVersion)} ${resource.kind} is neither a built-in resource nor defined by a CustomResourceDefinition beside the policies; ${what} cannot match it`,
      );
      return [];
    }
    const admission = resource.facts.admission as AdmissionFacts | undefined;
    const operation = admission?.operation ?? 'CREATE';
    const isDelete = operation === 'DELETE';
    const oldObject = isDelete ? body : admission?.oldObject;
    const object = isDelete ? null : body;
    const namespace = info.namespaced ? (resource.namespace ?? 'default') : '';
    const attrs: RequestAttributes = {
      info,
      subresource: admission?.subResource ?? '',
      operation,
      name: resource.name,
      namespace,
      objectLabels: labelsOf(object ?? undefined),
      oldObjectLabels: oldObject ? labelsOf(oldObject) : undefined,
    };
    const namespaceBody =
      namespace && readsNamespace ? findNamespace(namespace, ctx, spec.objects) : undefined;
    const namespaceLabels: NamespaceLabels = namespaceBody ? labelsOf(namespaceBody) : undefined;
    const policyMatch = matchResources(vap.matchConstraints, attrs, index, namespaceLabels);
    const unknownNamespace = (): Violation[] => [
      {
        path: '',
        status: 'unknown',
        message: `${what}: whether it applies depends on the labels of namespace ${namespace}, which is not among the inputs or the policy folders`,
      },
    ];
    if (!policyMatch.matches) return policyMatch.needsNamespace ? unknownNamespace() : [];
    if (binding.matchResources) {
      const bindingMatch = matchResources(binding.matchResources, attrs, index, namespaceLabels);
      if (!bindingMatch.matches) return bindingMatch.needsNamespace ? unknownNamespace() : [];
    }
    const fail = vap.failurePolicy === 'Fail';
    const collected = params(attrs);
    if ('error' in collected)
      return fail ? [{ path: '', message: denial(`failed to configure binding: ${collected.error}`) }] : [];
    const namespaceObject = info.namespaced
      ? namespaceBody
        ? {
            metadata: (namespaceBody.metadata ?? {}) as Json,
            spec: (namespaceBody.spec ?? {}) as Json,
            status: (namespaceBody.status ?? {}) as Json,
          }
        : new UnknownMap(`namespace ${namespace} is not among the inputs or the policy folders`)
      : null;
    const violations: Violation[] = [];
    const decisions: Decision[] = [];
    const annotations: Record<string, string> = {};
    for (const param of collected.params) {
      const budget = new CostBudget();
      const activation: Record<string, unknown> = {
        object,
        oldObject: oldObject ?? null,
        request: requestMap(attrs, policyMatch.resource, admission, object ?? {}),
        params: param,
        namespaceObject,
        authorizer: ciAuthorizer,
        'authorizer.requestResource': ciRequestResource,
      };
      activation.variables = new LazyVariables(variablePrograms, activation, budget);
      // matchConditions: any false skips; errors (with none false) follow the failure policy.
      let skip = false;
      const errors: string[] = [];
      let unknownCondition: string | undefined;
      for (let i = 0; i < matchConditions.length && !skip; i += 1) {
        const outcome = matchConditions[i]!.evaluate(activation, budget);
        if (outcome.kind === 'value') {
          if (outcome.value === false) skip = true;
          else if (outcome.value !== true)
            errors.push(
              `expression '${vap.matchConditions[i]!.expression}' resulted in error: no such overload`,
            );
        } else if (outcome.kind === 'unknown') unknownCondition = outcome.reason;
        else errors.push(errorText(vap.matchConditions[i]!.expression, outcome));
      }
      if (skip) continue;
      if (unknownCondition) {
        decisions.push({
          message: `matchConditions cannot be decided outside the cluster: ${unknownCondition}`,
          status: 'unknown',
        });
        continue;
      }
      if (errors.length > 0) {
        if (fail) decisions.push({ message: errors.length === 1 ? errors[0]! : `[${errors.join(', ')}]` });
        continue;
      }
      for (let i = 0; i < validations.length; i += 1) {
        const validation = vap.validations[i]!;
        const outcome = validations[i]!.evaluate(activation, budget);
        if (outcome.kind === 'unknown') {
          decisions.push({
            message: `failed expression cannot be decided outside the cluster (${outcome.reason}): ${validation.expression.trim()}`,
            status: 'unknown',
          });
          continue;
        }
        if (outcome.kind === 'error') {
          if (fail) decisions.push({ message: errorText(validation.expression, outcome) });
          if (outcome.costExceeded && outcome.message.startsWith('validation failed due to running out'))
            break;
          continue;
        }
        if (outcome.value === true) continue;
        if (typeof outcome.value !== 'boolean') {
          if (fail)
            decisions.push({
              message: `expression '${validation.expression}' resulted in error: no such overload`,
            });
          continue;
        }
        let message = '';
        const messageProgram = messages[i];
        if (messageProgram) {
          const result = messageProgram.evaluate(activation, budget);
          if (result.kind === 'value' && typeof result.value === 'string') {
            message = result.value.trim();
            if (message.length > 5 * 1024 || message.includes('\n')) message = '';
          }
        }
        if (message === '' && validation.message) message = validation.message.trim();
        if (message === '') message = `failed expression: ${validation.expression.trim()}`;
        decisions.push({ message });
      }
      for (let i = 0; i < audits.length; i += 1) {
        const audit = vap.auditAnnotations[i]!;
        const outcome = audits[i]!.evaluate(activation, budget);
        if (outcome.kind === 'error') {
          if (fail) decisions.push({ message: errorText(audit.valueExpression, outcome) });
        } else if (outcome.kind === 'value') {
          if (typeof outcome.value === 'string') {
            if (outcome.value.trim() !== '') annotations[`${vap.name}/${audit.key}`] = outcome.value.trim();
          } else if (outcome.value !== null && fail) {
            decisions.push({
              message: `valueExpression '${audit.valueExpression}' resulted in unsupported return type: ${typeof outcome.value === 'boolean' ? 'bool' : typeof outcome.value}. Return type must be either string or null.`,
            });
          }
        }
      }
    }
    for (const decision of decisions) {
      const violation: Violation = {
        path: '',
        message:
          decision.status === 'unknown'
            ? `${what} with binding '${binding.name}': ${decision.message}`
            : denial(decision.message),
      };
      if (decision.status) violation.status = decision.status;
      if (Object.keys(annotations).length > 0) violation.details = { auditAnnotations: annotations };
      violations.push(violation);
    }
    return violations;
  };

  return {
    scope: 'resource',
    readsRun: readsNamespace,
    evaluate: evaluateOne,
  };
}
