/**
 * One Kyverno validate rule against one resource, with Kyverno's outcomes (pass, fail, skip,
 * error) and messages: context, preconditions, then deny conditions, pattern / anyPattern, foreach
 * or podSecurity.
 */
import { posix } from 'node:path';
import { operatorNamed } from './conditions.js';
import { ruleExcludes, ruleMatches, type MatchSubject } from './match.js';
import { matchPattern } from './pattern.js';
import type { Conditions, ContextEntry, ForEachValidation, KyvernoRule, Obj } from './types.js';
import { query } from './jmespath.js';
import type { ApiCallResolver } from './api-calls.js';
import { celPreconditionsHold, validateCel, type CelInputs } from './cel.js';
import { hasVariables, setPath, substituteAll, SubstitutionError, type VariableScope } from './variables.js';

export type RuleStatus = 'pass' | 'fail' | 'skip' | 'error' | 'unknown';

export interface RuleOutcome {
  status: RuleStatus;
  message: string;
  /** Where a pattern failed (`/spec/containers/0/image/`). */
  path?: string;
}

/** Values a run supplies in place of the cluster (a `kyverno test` values file, or none). */
export interface RuleValues {
  /** Set in the context before the rule runs (`request.mode: dev`). */
  global?: Record<string, unknown>;
  /** Rule-level values: context entries by name, or any dotted path. */
  rule?: Record<string, unknown>;
  /** Values for this resource (dotted paths). */
  resource?: Record<string, unknown>;
}

/** A pod security check the podSecurity front end provides (kept apart: it needs the built-in library). */
export type PodSecurityCheck = (
  object: Obj,
  level: string,
  version: string | undefined,
  exclude: NonNullable<NonNullable<KyvernoRule['validate']>['podSecurity']>['exclude'],
) => { violations: Array<{ control: string; message: string }> } | { error: string };

export interface RuleRequest extends MatchSubject {
  oldObject?: Obj;
  /** ConfigMaps a `configMap` context entry may read (from the run's inputs); absent: unknown. */
  configMap?(name: string, namespace: string): Obj | undefined;
  /** True when `configMap` knows every ConfigMap there is (a `kyverno test`), so a miss is an error. */
  configMapsComplete?: boolean;
  values?: RuleValues;
  podSecurity?: PodSecurityCheck;
  /** Answers `apiCall` context entries (a test's cluster resources or mocks); absent: unknown. */
  apiCall?: ApiCallResolver;
}

class Unknown extends Error {}

const variablesIn = new WeakMap<object, boolean>();
const dataReaders = new WeakMap<KyvernoRule, boolean>();

/** Whether a rule reads variables at all (most pattern rules do not: they skip building the data). */
function readsData(rule: KyvernoRule): boolean {
  let answer = dataReaders.get(rule);
  if (answer === undefined) {
    const validate = rule.validate ?? {};
    answer =
      hasVariables(rule) ||
      Boolean(rule.context?.length || rule.preconditions || rule.celPreconditions?.length) ||
      Boolean(validate.deny || validate.foreach || validate.cel);
    dataReaders.set(rule, answer);
  }
  return answer;
}

/** Whether a pattern holds `{{ }}` variables, answered once per pattern object. */
function holdsVariables(pattern: unknown): boolean {
  if (typeof pattern !== 'object' || pattern === null) return hasVariables(pattern);
  let answer = variablesIn.get(pattern);
  if (answer === undefined) variablesIn.set(pattern, (answer = hasVariables(pattern)));
  return answer;
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Kyverno's `images` variable: containers by name with registry, path, name, tag, digest. */
export function imagesOf(object: Obj): Obj {
  const spec = podSpecOf(object);
  const out: Obj = {};
  if (!spec) return out;
  for (const field of ['containers', 'initContainers', 'ephemeralContainers']) {
    const list = spec[field];
    if (!Array.isArray(list)) continue;
    const entries: Obj = {};
    for (const container of list) {
      if (!isObject(container) || typeof container.image !== 'string' || typeof container.name !== 'string')
        continue;
      entries[container.name] = imageInfo(container.image);
    }
    if (Object.keys(entries).length > 0) out[field] = entries;
  }
  return out;
}

function podSpecOf(object: Obj): Obj | undefined {
  const spec = object.spec;
  if (!isObject(spec)) return undefined;
  if (object.kind === 'Pod') return spec;
  if (object.kind === 'CronJob') {
    const job = (spec.jobTemplate as Obj | undefined)?.spec as Obj | undefined;
    return ((job?.template as Obj | undefined)?.spec as Obj | undefined) ?? undefined;
  }
  return ((spec.template as Obj | undefined)?.spec as Obj | undefined) ?? undefined;
}

function imageInfo(image: string): Obj {
  let rest = image;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
  }
  const slash = rest.indexOf('/');
  const first = slash >= 0 ? rest.slice(0, slash) : '';
  let registry = 'docker.io';
  let repository = rest;
  if (slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost')) {
    registry = first;
    repository = rest.slice(slash + 1);
  }
  let tag = '';
  const colon = repository.lastIndexOf(':');
  if (colon >= 0) {
    tag = repository.slice(colon + 1);
    repository = repository.slice(0, colon);
  }
  if (!tag && !digest) tag = 'latest';
  const name = repository.slice(repository.lastIndexOf('/') + 1);
  const pathPart = repository;
  const reference = `${registry}/${pathPart}${tag ? `:${tag}` : ''}${digest ? `@${digest}` : ''}`;
  return {
    registry,
    path: pathPart,
    name,
    tag,
    digest,
    reference,
    referenceWithTag: `${registry}/${pathPart}:${tag}`,
  };
}

/** The JSON the rule's variables read: request, images, service account, values. */
export function ruleData(request: RuleRequest): Obj {
  const meta = isObject(request.object.metadata) ? request.object.metadata : {};
  const apiVersion = typeof request.object.apiVersion === 'string' ? request.object.apiVersion : 'v1';
  const slash = apiVersion.indexOf('/');
  const username = request.userInfo?.username ?? '';
  const sa = /^system:serviceaccount:([^:]+):(.+)$/.exec(username);
  const deleting = request.operation === 'DELETE';
  const data: Obj = {
    request: {
      operation: request.operation,
      object: deleting ? null : request.object,
      oldObject: deleting ? request.object : (request.oldObject ?? null),
      userInfo: request.userInfo ?? { username: '', groups: [] },
      roles: request.roles ?? [],
      clusterRoles: request.clusterRoles ?? [],
      namespace: typeof meta.namespace === 'string' ? meta.namespace : '',
      name: typeof meta.name === 'string' ? meta.name : '',
      kind: {
        group: slash >= 0 ? apiVersion.slice(0, slash) : '',
        version: slash >= 0 ? apiVersion.slice(slash + 1) : apiVersion,
        kind: request.object.kind,
      },
      subResource: request.subresource ?? '',
    },
    serviceAccountName: sa ? sa[2] : '',
    serviceAccountNamespace: sa ? sa[1] : '',
  };
  // Parsing every image reference is the costliest part of the data: only rules that read it pay.
  let images: Obj | undefined;
  Object.defineProperty(data, 'images', {
    enumerable: true,
    configurable: true,
    get: () => (images ??= imagesOf(request.object)),
    set: (value: Obj) => {
      images = value;
    },
  });
  for (const [key, value] of Object.entries(request.values?.global ?? {})) setPath(data, key, value);
  for (const [key, value] of Object.entries(request.values?.resource ?? {})) setPath(data, key, value);
  return data;
}

function scopeOf(data: Obj, request: RuleRequest): VariableScope {
  return { data, deleting: request.operation === 'DELETE' };
}

function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function loadContext(entries: ContextEntry[] | undefined, data: Obj, request: RuleRequest): void {
  for (const entry of entries ?? []) {
    const supplied = Object.entries({ ...request.values?.rule, ...request.values?.resource }).filter(
      ([key]) => key === entry.name || key.startsWith(`${entry.name}.`),
    );
    if (supplied.length > 0) {
      for (const [key, value] of supplied) setPath(data, key, value);
      continue;
    }
    const scope = scopeOf(data, request);
    if (entry.variable) {
      let value: unknown = null;
      try {
        if (entry.variable.value !== undefined) value = substituteAll(entry.variable.value, scope);
        if (entry.variable.jmesPath) {
          const expression = substituteAll(entry.variable.jmesPath, scope) as string;
          value = entry.variable.value !== undefined ? query(expression, value) : query(expression, data);
        }
      } catch (error) {
        if (entry.variable.default === undefined) throw error;
        value = null;
      }
      if ((value === null || value === undefined) && entry.variable.default !== undefined)
        value = substituteAll(entry.variable.default, scope);
      if (value === null || value === undefined)
        throw new SubstitutionError(
          `failed to add context entry ${entry.name}: variable ${entry.name} resolved to null`,
        );
      setPath(data, entry.name, value);
      continue;
    }
    if (entry.configMap && request.configMap) {
      const name = String(substituteAll(entry.configMap.name, scope));
      const namespace = String(substituteAll(entry.configMap.namespace ?? 'default', scope));
      const found = request.configMap(name, namespace);
      if (!found) {
        // A test names all the cluster there is; a CI run holds only some of it, so a miss there is unknown.
        if (request.configMapsComplete)
          throw new SubstitutionError(
            `failed to load context entry ${entry.name}: configmap ${namespace}/${name} not found`,
          );
        throw new Unknown(
          `context entry ${entry.name}: configmap ${namespace}/${name} is not among the inputs`,
        );
      }
      setPath(data, entry.name, found);
      continue;
    }
    if (entry.apiCall && request.apiCall) {
      const value = loadApiCall(entry.name, entry.apiCall, scope, request);
      if (value !== undefined) {
        setPath(data, entry.name, value);
        continue;
      }
    }
    const source = entry.configMap
      ? 'configMap'
      : entry.apiCall
        ? 'apiCall'
        : entry.imageRegistry
          ? 'imageRegistry'
          : entry.globalReference
            ? 'globalReference'
            : 'unknown';
    throw new Unknown(
      `context entry ${entry.name} (${source}) needs the cluster; supply it in a values file`,
    );
  }
  for (const [key, value] of Object.entries(request.values?.rule ?? {}))
    if (!(entries ?? []).some((entry) => key === entry.name || key.startsWith(`${entry.name}.`)))
      setPath(data, key, value);
}

const namespacePath = /^\/api(s)?\/.*?\/namespaces\/([^/]+)\/?.*$/;

/**
 * An apiCall entry's value from the request's resolver, as Kyverno loads it: variables substituted
 * in the whole call, a namespaced policy kept to its namespace, the entry's `default` for a failed
 * request, then `jmesPath` on the body. Undefined when the resolver cannot answer.
 */
function loadApiCall(name: string, apiCall: Obj, scope: VariableScope, request: RuleRequest): unknown {
  let call: Obj;
  try {
    call = substituteAll(apiCall, scope) as Obj;
  } catch (error) {
    throw new SubstitutionError(
      `failed to substitute variables in context entry ${name} ${String(apiCall.urlPath ?? '')}: ${describeError(error)}`,
    );
  }
  const service = isObject(call.service) ? call.service : undefined;
  const urlPath = typeof call.urlPath === 'string' ? call.urlPath : undefined;
  const method = typeof call.method === 'string' && call.method ? call.method : 'GET';
  if (urlPath && request.policyNamespace !== undefined) {
    let unescaped = urlPath;
    try {
      unescaped = decodeURIComponent(urlPath);
    } catch {
      // Kyverno keeps the raw path when it does not unescape.
    }
    const clean = posix.normalize(unescaped).replace(/(.)\/$/, '$1');
    const match = namespacePath.exec(clean);
    if (!match)
      throw new SubstitutionError(
        `path ${clean} does not contain a namespace segment, which is required for namespaced policies`,
      );
    if (match[2] !== request.policyNamespace)
      throw new SubstitutionError(
        `path ${clean} refers to namespace ${match[2]}, which is different from the policy namespace ${request.policyNamespace}`,
      );
  }
  const answer = request.apiCall!({
    ...(urlPath ? { urlPath } : {}),
    ...(!urlPath && typeof service?.url === 'string' ? { url: service.url } : {}),
    method,
  });
  if (!answer) return undefined;
  if ('error' in answer) {
    if (answer.defaultApplies && apiCall.default !== undefined) return apiCall.default;
    throw new SubstitutionError(answer.error);
  }
  if (typeof call.jmesPath !== 'string' || call.jmesPath === '') return answer.body;
  try {
    return query(call.jmesPath, answer.body) ?? null;
  } catch (error) {
    throw new SubstitutionError(
      `failed to apply JMESPath ${call.jmesPath} for context entry ${name}: ${describeError(error)}`,
    );
  }
}

interface ConditionResult {
  value: boolean;
  message: string;
}

function evaluateCondition(
  condition: { key?: unknown; operator: string; value?: unknown; message?: string },
  scope: VariableScope,
): ConditionResult {
  let key: unknown;
  let value: unknown;
  try {
    key = substituteAll(condition.key ?? null, scope);
  } catch (error) {
    throw new SubstitutionError(`failed to substitute variables in condition key: ${describeError(error)}`);
  }
  try {
    value = substituteAll(condition.value ?? null, scope);
  } catch (error) {
    throw new SubstitutionError(`failed to substitute variables in condition value: ${describeError(error)}`);
  }
  const op = operatorNamed(condition.operator);
  if (!op) throw new Error(`unknown condition operator "${condition.operator}"`);
  return { value: op(key, value), message: condition.message ?? '' };
}

function joinNonEmpty(parts: string[], separator: string): string {
  return parts.filter(Boolean).join(separator);
}

/** any/all conditions (or the older list, all of which must hold). */
export function evaluateConditions(
  conditions: Conditions | undefined,
  scope: VariableScope,
): ConditionResult {
  if (!conditions) return { value: true, message: '' };
  if (Array.isArray(conditions)) {
    const trueMessages: string[] = [];
    for (const condition of conditions) {
      const result = evaluateCondition(condition, scope);
      if (!result.value) return { value: false, message: result.message };
      trueMessages.push(result.message);
    }
    return { value: true, message: joinNonEmpty(trueMessages, ';') };
  }
  let anyResult = true;
  const falseMessages: string[] = [];
  const trueMessages: string[] = [];
  if (conditions.any) {
    anyResult = false;
    for (const condition of conditions.any) {
      const result = evaluateCondition(condition, scope);
      if (result.value) {
        anyResult = true;
        trueMessages.push(result.message);
        break;
      }
      falseMessages.push(result.message);
    }
  }
  let allResult = true;
  for (const condition of conditions.all ?? []) {
    const result = evaluateCondition(condition, scope);
    if (!result.value) {
      allResult = false;
      falseMessages.push(result.message);
      break;
    }
    trueMessages.push(result.message);
  }
  const value = anyResult && allResult;
  return { value, message: joinNonEmpty(value ? trueMessages : falseMessages, '; ') };
}

interface Block {
  context?: ContextEntry[];
  preconditions?: Conditions;
  pattern?: unknown;
  anyPattern?: unknown[];
  deny?: { conditions?: Conditions };
  foreach?: ForEachValidation[];
}

class Validator {
  constructor(
    private readonly rule: KyvernoRule,
    private readonly request: RuleRequest,
  ) {}

  private get name(): string {
    return this.rule.name;
  }

  private get message(): string {
    return this.rule.validate?.message ?? '';
  }

  run(block: Block, data: Obj, element: unknown, nesting: number, root: boolean): RuleOutcome | undefined {
    try {
      loadContext(block.context, data, this.request);
    } catch (error) {
      if (error instanceof Unknown) return { status: 'unknown', message: error.message };
      return { status: 'error', message: `failed to load context: ${describeError(error)}` };
    }
    const scope = scopeOf(data, this.request);
    let preconditions: ConditionResult;
    try {
      preconditions = evaluateConditions(block.preconditions, scope);
    } catch (error) {
      return { status: 'error', message: `failed to evaluate preconditions: ${describeError(error)}` };
    }
    if (!preconditions.value)
      return {
        status: 'skip',
        message: joinNonEmpty(['preconditions not met', preconditions.message], '; '),
      };
    if (block.deny) return this.deny(block.deny.conditions, scope);
    if (block.pattern !== undefined || block.anyPattern !== undefined) {
      if (this.request.operation === 'DELETE' && (element === undefined || !isObject(element)))
        return undefined;
      return this.patterns(block, scope, isObject(element) ? element : this.request.object);
    }
    if (block.foreach) return this.foreach(block.foreach, data, nesting);
    if (root) return this.rootOnly(scope);
    return undefined;
  }

  private rootOnly(scope: VariableScope): RuleOutcome | undefined {
    const validate = this.rule.validate ?? {};
    if (validate.podSecurity) return this.podSecurity(validate.podSecurity);
    if (validate.cel) {
      const verdict = validateCel(validate.cel, celInputs(this.request, scope.data));
      if (verdict.status === 'pass')
        return { status: 'pass', message: `validation rule '${this.name}' passed.` };
      return verdict;
    }
    if (validate.manifests)
      return { status: 'unknown', message: `rule ${this.name}: validate.manifests is not supported` };
    if (validate.assert)
      return { status: 'unknown', message: `rule ${this.name}: validate.assert is not supported` };
    void scope;
    return undefined;
  }

  private substituted(text: string, scope: VariableScope): string | undefined {
    try {
      const value = substituteAll(text, scope);
      return typeof value === 'string'
        ? value
        : "the produced message didn't resolve to a string, check your policy definition.";
    } catch {
      return undefined;
    }
  }

  private deny(conditions: Conditions | undefined, scope: VariableScope): RuleOutcome {
    let result: ConditionResult;
    try {
      result = evaluateConditions(conditions, scope);
    } catch (error) {
      return { status: 'error', message: `failed to check deny conditions: ${describeError(error)}` };
    }
    if (!result.value) return { status: 'pass', message: `validation rule '${this.name}' passed.` };
    if (!this.message && !result.message)
      return { status: 'fail', message: `validation error: rule ${this.name} failed` };
    const text = joinNonEmpty([this.message, result.message], '; ');
    return { status: 'fail', message: this.substituted(text, scope) ?? result.message };
  }

  private errorMessage(error: string, path: string, scope: VariableScope): string {
    if (!this.message) {
      if (path) return `validation error: rule ${this.name} failed at path ${path}`;
      return `validation error: rule ${this.name} execution error: ${error}`;
    }
    let msg = this.substituted(this.message, scope);
    if (msg === undefined)
      return `validation error: variables substitution error in rule ${this.name} execution error: ${error}`;
    if (!msg.endsWith('.')) msg += '.';
    if (path) return `validation error: ${msg} rule ${this.name} failed at path ${path}`;
    return `validation error: ${msg} rule ${this.name} execution error: ${error}`;
  }

  private patterns(block: Block, scope: VariableScope, target: Obj): RuleOutcome {
    let pattern: unknown;
    let anyPattern: unknown[] | undefined;
    try {
      if (block.pattern !== undefined)
        pattern = holdsVariables(block.pattern)
          ? substituteAll(block.pattern, scope, '/validate/pattern')
          : block.pattern;
      else
        anyPattern = (
          holdsVariables(block.anyPattern)
            ? substituteAll(block.anyPattern, scope, '/validate/anyPattern')
            : block.anyPattern
        ) as unknown[];
    } catch (error) {
      return { status: 'error', message: `variable substitution failed: ${describeError(error)}` };
    }
    if (block.pattern !== undefined) {
      const outcome = matchPattern(target, pattern);
      switch (outcome.status) {
        case 'pass':
          return { status: 'pass', message: `validation rule '${this.name}' passed.` };
        case 'skip':
          return { status: 'skip', message: outcome.message };
        case 'error':
          return { status: 'error', message: this.errorMessage(outcome.message, '', scope) };
        case 'fail':
          return {
            status: 'fail',
            message: this.errorMessage(outcome.message, outcome.path, scope),
            path: outcome.path,
          };
      }
    }
    if (!Array.isArray(anyPattern))
      return { status: 'error', message: 'failed to deserialize anyPattern, expected type array' };
    const failed: string[] = [];
    const skipped: string[] = [];
    let firstPath: string | undefined;
    for (let i = 0; i < anyPattern.length; i += 1) {
      const outcome = matchPattern(target, anyPattern[i]);
      if (outcome.status === 'pass')
        return { status: 'pass', message: `validation rule '${this.name}' anyPattern[${i}] passed.` };
      if (outcome.status === 'skip') skipped.push(`rule ${this.name}[${i}] skipped: ${outcome.message}`);
      else if (outcome.status === 'error') failed.push(`rule ${this.name}[${i}] failed: ${outcome.message}`);
      else {
        failed.push(`rule ${this.name}[${i}] failed at path ${outcome.path}`);
        firstPath ??= outcome.path;
      }
    }
    if (skipped.length > 0 && failed.length === 0) return { status: 'skip', message: skipped.join(' ') };
    if (failed.length > 0) {
      const errors = failed.join(' ');
      let message: string;
      if (!this.message) message = `validation error: ${errors}`;
      else {
        const msg = this.substituted(this.message, scope);
        if (msg === undefined)
          message = `validation error: variables substitution error in rule ${this.name} execution error: ${errors}`;
        else
          message = msg.endsWith('.')
            ? `validation error: ${msg} ${errors}`
            : `validation error: ${msg}. ${errors}`;
      }
      return { status: 'fail', message, path: firstPath };
    }
    return { status: 'pass', message: this.message };
  }

  private foreach(loops: ForEachValidation[], data: Obj, nesting: number): RuleOutcome | undefined {
    let applied = 0;
    let listError: string | undefined;
    for (const loop of loops) {
      let elements: unknown;
      try {
        const expression = substituteAll(loop.list, scopeOf(data, this.request)) as string;
        elements = query(expression, data);
      } catch (error) {
        const message = describeError(error);
        if (message.includes('Unknown key')) continue;
        listError = message;
        continue;
      }
      if (elements === null || elements === undefined) continue;
      if (!Array.isArray(elements)) {
        listError = `failed to evaluate list ${loop.list}: not a list`;
        continue;
      }
      for (let index = 0; index < elements.length; index += 1) {
        const element = elements[index];
        if (element === null || element === undefined) continue;
        const scoped: Obj = {
          ...data,
          element,
          elementIndex: index,
          [`element${nesting}`]: element,
          [`elementIndex${nesting}`]: index,
        };
        const inner: Block = {
          context: loop.context,
          preconditions: loop.preconditions,
          pattern: loop.pattern,
          anyPattern: loop.anyPattern,
          deny: loop.deny,
          foreach: loop.foreach,
        };
        if (loop.elementScope === true && !isObject(element))
          return {
            status: 'error',
            message: `failed to process foreach: element ${index} is not an object, elementScope needs one`,
          };
        const elementScope = loop.elementScope ?? true;
        const outcome = this.run(inner, scoped, elementScope ? element : undefined, nesting + 1, false);
        if (!outcome) continue;
        if (outcome.status === 'skip') continue;
        if (outcome.status !== 'pass') {
          if (outcome.status === 'error' && outcome.message.includes('failed to evaluate preconditions'))
            continue;
          return {
            status: outcome.status,
            message: `validation failure: ${outcome.message}`,
            path: outcome.path,
          };
        }
        applied += 1;
      }
    }
    if (applied === 0) {
      if (listError) return { status: 'error', message: `failed to evaluate list: ${listError}` };
      return undefined;
    }
    return { status: 'pass', message: 'rule passed' };
  }

  private podSecurity(spec: NonNullable<NonNullable<KyvernoRule['validate']>['podSecurity']>): RuleOutcome {
    const check = this.request.podSecurity;
    if (!check)
      return { status: 'unknown', message: `rule ${this.name}: podSecurity needs the built-in PSS policies` };
    const result = check(this.request.object, spec.level ?? 'baseline', spec.version, spec.exclude);
    if ('error' in result) return { status: 'error', message: result.error };
    if (result.violations.length === 0)
      return { status: 'pass', message: `Validation rule '${this.name}' passed.` };
    const controls = result.violations.map((v) => `${v.control}: ${v.message}`).join('; ');
    return {
      status: 'fail',
      message: `Validation rule '${this.name}' failed. It violates PodSecurity "${spec.level ?? 'baseline'}:${spec.version ?? 'latest'}": ${controls}`,
    };
  }
}

/** What CEL expressions see: the objects, the admission request, the namespace object. */
function celInputs(request: RuleRequest, data: Obj): CelInputs {
  const admission = (data.request ?? {}) as Obj;
  const meta = isObject(request.object.metadata) ? request.object.metadata : {};
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : '';
  const labels = namespace ? request.namespaceLabels(namespace) : undefined;
  return {
    object: request.operation === 'DELETE' ? null : request.object,
    oldObject: request.operation === 'DELETE' ? request.object : (request.oldObject ?? null),
    request: admission,
    namespaceObject: namespace
      ? { apiVersion: 'v1', kind: 'Namespace', metadata: { name: namespace, ...(labels ? { labels } : {}) } }
      : null,
  };
}

/**
 * The outcome of `rule` for the request, or undefined when the rule does not apply (not matched,
 * excluded, or nothing to validate), which Kyverno reports as no result.
 */
export function evaluateRule(rule: KyvernoRule, request: RuleRequest): RuleOutcome | undefined {
  if (!ruleMatches(rule.match, request) || ruleExcludes(rule.exclude, request)) return undefined;
  const validate = rule.validate;
  if (!validate) return undefined;
  const data = readsData(rule) ? ruleData(request) : {};
  if (rule.celPreconditions?.length) {
    const held = celPreconditionsHold(
      rule.celPreconditions as Array<{ name?: string; expression: string }>,
      celInputs(request, data),
    );
    if ('error' in held)
      return { status: 'error', message: `failed to evaluate cel preconditions: ${held.error}` };
    if (!held.value) return { status: 'skip', message: held.message ?? 'cel preconditions not met' };
  }
  const validator = new Validator(rule, request);
  try {
    return validator.run(
      {
        context: rule.context,
        preconditions: rule.preconditions,
        pattern: validate.pattern,
        anyPattern: validate.anyPattern,
        deny: validate.deny,
        foreach: validate.foreach,
      },
      data,
      undefined,
      0,
      true,
    );
  } catch (error) {
    return { status: 'error', message: describeError(error) };
  }
}
