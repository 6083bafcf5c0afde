/**
 * `kyverno test` files run unchanged: a `Test` (`cli.kyverno.io/v1alpha1`, or the older untyped
 * layout) names policies, resources, values, user info, exceptions and the expected result of each
 * (policy, rule, resource). Every result that differs is reported by name.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describeError, ParapetError } from '../model/errors.js';
import { clusterApiCalls, mockedApiCalls, readApiCallMocks, type ApiCallResolver } from './api-calls.js';
import { readKyvernoPolicies, type LoadedKyvernoPolicy } from './load.js';
import { ruleMatches } from './match.js';
import type { Conditions, MatchBlock, Obj } from './types.js';
import {
  evaluateConditions,
  evaluateRule,
  ruleData,
  type PodSecurityCheck,
  type RuleRequest,
} from './validate.js';

/** The file name `kyverno test` looks for in a directory. */
export const KYVERNO_TEST_FILE = 'kyverno-test.yaml';

export interface KyvernoTestRow {
  policy: string;
  rule: string;
  resource: string;
  expected: string;
  actual: string;
  ok: boolean;
  message: string;
}

export interface KyvernoTestOutcome {
  file: string;
  name: string;
  rows: KyvernoTestRow[];
  /** A problem with the test itself (missing file, missing policy ...). */
  errors: string[];
  ok: boolean;
}

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function fail(file: string, message: string): never {
  throw new ParapetError('PARAPET_KYVERNO', `${file}: ${message}`, { file });
}

function readYaml(file: string): unknown[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    fail(file, `cannot read: ${describeError(error)}`);
  }
  const out: unknown[] = [];
  for (const document of parseAllDocuments(text)) {
    if (document.errors.length > 0) fail(file, `invalid YAML: ${document.errors[0]!.message.split('\n')[0]}`);
    const value = document.toJS({ maxAliasCount: 100 }) as unknown;
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

/** Every `kyverno-test.yaml` below `dir`, sorted (hidden folders skipped). */
export function findKyvernoTests(dir: string): string[] {
  const out: string[] = [];
  const visit = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true }).sort((a, b) =>
      a.name < b.name ? -1 : 1,
    )) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.isFile() && entry.name === KYVERNO_TEST_FILE) out.push(full);
    }
  };
  if (statSync(dir).isDirectory()) visit(dir);
  else out.push(dir);
  return out;
}

/** True when the file holds a `kyverno test` Test document. */
export function isKyvernoTestFile(file: string): boolean {
  if (path.basename(file) === KYVERNO_TEST_FILE) return true;
  if (!/\.ya?ml$/.test(file)) return false;
  try {
    return (
      /^kind:\s*Test\s*$/m.test(readFileSync(file, 'utf8')) &&
      /^apiVersion:\s*cli\.kyverno\.io\//m.test(readFileSync(file, 'utf8'))
    );
  } catch {
    return false;
  }
}

interface Values {
  global: Record<string, unknown>;
  policies: Map<
    string,
    { rules: Map<string, Record<string, unknown>>; resources: Map<string, Record<string, unknown>> }
  >;
  namespaceLabels: Map<string, Record<string, string>>;
  subresources: Array<{ kind: string; subresource: string }>;
}

/**
 * A rule's `foreachValues` (a list per context entry). `kyverno test` (v1.19) sets the first value of
 * each list for every element of the foreach, so parapet does the same to give the same verdicts.
 */
function foreachValues(rule: Obj): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (!isObject(rule.foreachValues)) return out;
  for (const [key, list] of Object.entries(rule.foreachValues))
    if (Array.isArray(list) && list.length > 0) out[key] = list[0];
  return out;
}

function parseValues(raw: unknown): Values {
  const values: Values = { global: {}, policies: new Map(), namespaceLabels: new Map(), subresources: [] };
  if (!isObject(raw)) return values;
  if (isObject(raw.globalValues)) values.global = raw.globalValues;
  for (const policy of Array.isArray(raw.policies) ? raw.policies : []) {
    if (!isObject(policy) || typeof policy.name !== 'string') continue;
    const entry = values.policies.get(policy.name) ?? {
      rules: new Map<string, Record<string, unknown>>(),
      resources: new Map<string, Record<string, unknown>>(),
    };
    for (const rule of Array.isArray(policy.rules) ? policy.rules : [])
      if (isObject(rule) && typeof rule.name === 'string')
        entry.rules.set(rule.name, { ...(isObject(rule.values) ? rule.values : {}), ...foreachValues(rule) });
    for (const resource of Array.isArray(policy.resources) ? policy.resources : [])
      if (isObject(resource) && typeof resource.name === 'string')
        entry.resources.set(resource.name, isObject(resource.values) ? resource.values : {});
    values.policies.set(policy.name, entry);
  }
  for (const ns of Array.isArray(raw.namespaceSelector) ? raw.namespaceSelector : [])
    if (isObject(ns) && typeof ns.name === 'string' && isObject(ns.labels))
      values.namespaceLabels.set(ns.name, ns.labels as Record<string, string>);
  return values;
}

interface TestResultSpec {
  policy: string;
  rule?: string;
  resources: string[];
  kind?: string;
  result: string;
}

function resultsOf(test: Obj, file: string): TestResultSpec[] {
  const results = test.results;
  if (!Array.isArray(results)) fail(file, 'results: must be a list');
  return results.map((raw, i) => {
    if (!isObject(raw)) fail(file, `results[${i}]: must be a mapping`);
    const resources = Array.isArray(raw.resources)
      ? raw.resources.map(String)
      : typeof raw.resource === 'string'
        ? [
            typeof raw.namespace === 'string' && raw.namespace
              ? `${raw.namespace}/${raw.resource}`
              : raw.resource,
          ]
        : [];
    const result =
      typeof raw.result === 'string' ? raw.result : typeof raw.status === 'string' ? raw.status : '';
    if (typeof raw.policy !== 'string' || !result) fail(file, `results[${i}]: needs policy and result`);
    return {
      policy: raw.policy,
      rule: typeof raw.rule === 'string' ? raw.rule : undefined,
      resources,
      kind: typeof raw.kind === 'string' ? raw.kind : undefined,
      result,
    };
  });
}

function list(value: unknown): string[] {
  if (Array.isArray(value)) return value.map(String);
  if (typeof value === 'string') return [value];
  return [];
}

function expandLists(docs: unknown[]): Obj[] {
  const out: Obj[] = [];
  for (const doc of docs) {
    if (!isObject(doc)) continue;
    if (typeof doc.kind === 'string' && doc.kind.endsWith('List') && Array.isArray(doc.items))
      out.push(...expandLists(doc.items));
    else if (doc.kind === 'ClusterResource' && isObject(doc.spec) && Array.isArray(doc.spec.resources))
      out.push(...expandLists(doc.spec.resources));
    else out.push(doc);
  }
  return out;
}

function meta(object: Obj): { name: string; namespace: string } {
  const m = isObject(object.metadata) ? object.metadata : {};
  return {
    name: typeof m.name === 'string' ? m.name : '',
    namespace: typeof m.namespace === 'string' ? m.namespace : '',
  };
}

interface Exception {
  policy: string;
  rules: string[];
  match: MatchBlock;
  conditions?: Conditions;
}

function exceptionsFrom(docs: unknown[]): Exception[] {
  const out: Exception[] = [];
  for (const doc of docs) {
    if (!isObject(doc) || doc.kind !== 'PolicyException' || !isObject(doc.spec)) continue;
    for (const entry of Array.isArray(doc.spec.exceptions) ? doc.spec.exceptions : [])
      if (isObject(entry) && typeof entry.policyName === 'string')
        out.push({
          policy: entry.policyName,
          rules: list(entry.ruleNames),
          match: (doc.spec.match ?? {}) as MatchBlock,
          conditions: (doc.spec.conditions ?? undefined) as Conditions | undefined,
        });
  }
  return out;
}

/** A PolicyException's conditions (none: it applies wherever it matches). */
function exceptionConditionsHold(exception: Exception, request: RuleRequest): boolean {
  if (!exception.conditions) return true;
  try {
    return evaluateConditions(exception.conditions, {
      data: ruleData(request),
      deleting: request.operation === 'DELETE',
    }).value;
  } catch {
    return false;
  }
}

/** Kyverno's report result for a rule outcome. */
function reportResult(status: string, scored: boolean): string {
  if (status === 'fail') return scored ? 'fail' : 'warn';
  if (status === 'unknown') return 'error';
  return status;
}

export interface KyvernoTestOptions {
  podSecurity?: PodSecurityCheck;
}

/** Run one `kyverno test` file. */
export function runKyvernoTest(file: string, options: KyvernoTestOptions = {}): KyvernoTestOutcome {
  const dir = path.dirname(file);
  const test = readYaml(file)[0];
  if (!isObject(test)) fail(file, 'not a kyverno test file (expected a Test mapping)');
  const name =
    isObject(test.metadata) && typeof test.metadata.name === 'string'
      ? test.metadata.name
      : typeof test.name === 'string'
        ? test.name
        : path.basename(dir);
  const outcome: KyvernoTestOutcome = { file, name, rows: [], errors: [], ok: false };
  const resolve = (entry: string) => path.resolve(dir, entry);
  const policies: LoadedKyvernoPolicy[] = [];
  for (const entry of list(test.policies)) {
    const policyFile = resolve(entry);
    if (!existsSync(policyFile)) {
      outcome.errors.push(`policy file ${entry} does not exist`);
      continue;
    }
    const loaded = readKyvernoPolicies(policyFile);
    if (loaded.length === 0)
      outcome.errors.push(`policy file ${entry} holds no Kyverno ClusterPolicy or Policy`);
    policies.push(...loaded);
  }
  const resources: Obj[] = [];
  for (const entry of list(test.resources)) {
    const resourceFile = resolve(entry);
    if (!existsSync(resourceFile)) {
      outcome.errors.push(`resource file ${entry} does not exist`);
      continue;
    }
    resources.push(...expandLists(readYaml(resourceFile)));
  }
  const clusterResources: Obj[] = [];
  for (const entry of list(test.clusterResources))
    for (const doc of readYaml(resolve(entry))) {
      clusterResources.push(...expandLists([doc]));
      // CRD paths are relative to the test's folder, as kyverno test reads them.
      if (isObject(doc) && doc.kind === 'ClusterResource' && isObject(doc.spec))
        for (const crd of list(doc.spec.crds)) clusterResources.push(...expandLists(readYaml(resolve(crd))));
    }
  let apiCall: ApiCallResolver | undefined;
  try {
    const mocks = readApiCallMocks(test.apiCallResponses);
    // Like kyverno test, API paths are served only when the test describes the cluster.
    const cluster =
      list(test.clusterResources).length > 0
        ? clusterApiCalls([...resources, ...clusterResources])
        : undefined;
    apiCall = mocks.length > 0 ? mockedApiCalls(mocks, cluster) : cluster;
  } catch (error) {
    fail(file, describeError(error));
  }
  const configMaps = [...resources, ...clusterResources].filter((r) => r.kind === 'ConfigMap');
  const valuesFile = typeof test.variables === 'string' ? resolve(test.variables) : undefined;
  const values = parseValues(valuesFile ? readYaml(valuesFile)[0] : test.values);
  const user = typeof test.userinfo === 'string' ? readYaml(resolve(test.userinfo))[0] : undefined;
  const exceptions = exceptionsFrom(list(test.exceptions).flatMap((entry) => readYaml(resolve(entry))));
  const namespaceLabels = new Map(values.namespaceLabels);
  for (const resource of resources)
    if (resource.kind === 'Namespace')
      namespaceLabels.set(
        meta(resource).name,
        (isObject(resource.metadata) && isObject(resource.metadata.labels)
          ? resource.metadata.labels
          : {}) as Record<string, string>,
      );
  const userInfo = isObject(user) ? user : {};
  for (const spec of resultsOf(test, file)) {
    const policy = policies.find(
      (p) => p.key === spec.policy || p.doc.metadata.name === spec.policy.split('/').pop(),
    );
    const label = `${spec.policy}${spec.rule ? `/${spec.rule}` : ''}`;
    if (!policy) {
      outcome.errors.push(`result ${label}: policy ${spec.policy} is not among the test's policies`);
      continue;
    }
    const rules = spec.rule
      ? policy.rules.filter(
          (r) =>
            r.name === spec.rule ||
            r.name === `autogen-${spec.rule}` ||
            r.name === `autogen-cronjob-${spec.rule}`,
        )
      : policy.rules;
    if (spec.rule && rules.length === 0) {
      const unsupported = policy.unsupported.find((u) => u.rule === spec.rule);
      outcome.errors.push(
        `result ${label}: ${unsupported ? `rule ${spec.rule}: ${unsupported.reason}` : `policy ${spec.policy} has no rule ${spec.rule}`}`,
      );
      continue;
    }
    const scored = policy.doc.metadata.annotations?.['policies.kyverno.io/scored'] !== 'false';
    const policyValues = values.policies.get(policy.doc.metadata.name);
    for (const wanted of spec.resources) {
      const parts = wanted.split('/');
      const matches = resources.filter((r) => {
        const m = meta(r);
        return parts.length === 2 ? m.namespace === parts[0] && m.name === parts[1] : m.name === wanted;
      });
      if (matches.length === 0) {
        outcome.errors.push(`result ${label}: resource ${wanted} is not among the test's resources`);
        continue;
      }
      for (const object of matches) {
        const m = meta(object);
        const resourceId = `${String(object.kind)}/${m.namespace ? `${m.namespace}/` : ''}${m.name}`;
        const responses: Array<{ rule: string; status: string; message: string }> = [];
        for (const rule of rules) {
          const request: RuleRequest = {
            object,
            operation: 'CREATE',
            userInfo: isObject(userInfo.userInfo)
              ? (userInfo.userInfo as RuleRequest['userInfo'])
              : undefined,
            roles: list(userInfo.roles),
            clusterRoles: list(userInfo.clusterRoles),
            namespaceLabels: (ns) => namespaceLabels.get(ns),
            policyNamespace:
              policy.doc.kind === 'Policy' ? (policy.doc.metadata.namespace ?? 'default') : undefined,
            podSecurity: options.podSecurity,
            configMapsComplete: true,
            apiCall,
            configMap: (cmName, cmNamespace) =>
              configMaps.find(
                (cm) => meta(cm).name === cmName && (meta(cm).namespace || 'default') === cmNamespace,
              ),
            values: {
              global: values.global,
              rule: {
                ...(policyValues?.rules.get(rule.autogenOf ?? rule.name) ?? {}),
                ...(policyValues?.rules.get(rule.name) ?? {}),
              },
              resource: policyValues?.resources.get(m.name),
            },
          };
          const excepted = exceptions.some(
            (e) =>
              e.policy === policy.doc.metadata.name &&
              e.rules.includes(rule.name) &&
              ruleMatches(e.match, request) &&
              exceptionConditionsHold(e, request),
          );
          const result = evaluateRule(rule, request);
          if (!result) continue;
          if (excepted) {
            responses.push({
              rule: rule.name,
              status: 'skip',
              message: 'rule is skipped due to policy exceptions',
            });
            continue;
          }
          responses.push({
            rule: rule.name,
            status: reportResult(result.status, scored),
            message: result.message,
          });
        }
        if (responses.length === 0) {
          // Kyverno reports a resource no rule applied to as excluded, which passes whatever was expected.
          outcome.rows.push({
            policy: spec.policy,
            rule: spec.rule ?? '',
            resource: resourceId,
            expected: spec.result,
            actual: 'excluded',
            ok: true,
            message: 'no rule applied',
          });
          continue;
        }
        for (const response of responses)
          outcome.rows.push({
            policy: spec.policy,
            rule: response.rule,
            resource: resourceId,
            expected: spec.result,
            actual: response.status,
            ok: response.status === spec.result,
            message: response.message,
          });
      }
    }
  }
  if (outcome.rows.length === 0 && outcome.errors.length === 0)
    outcome.errors.push('the test checks no result');
  outcome.ok = outcome.errors.length === 0 && outcome.rows.every((row) => row.ok);
  return outcome;
}
