/**
 * A Kyverno validate rule on the engine's `CompiledRule` seam: the resource and its admission
 * request (`facts.admission`) go in, a fail, unknown or error comes out as parapet reports them.
 */
import type { Resource } from '../model/resource.js';
import type { Notice } from '../model/result.js';
import type { CompiledRule, EvalContext, Violation } from '../engine/rules/types.js';
import type { KyvernoRuleSpec } from './source.js';
import type { Obj } from './types.js';
import { evaluateRule, type PodSecurityCheck, type RuleRequest } from './validate.js';

interface AdmissionFacts {
  operation?: string;
  subResource?: string;
  userInfo?: { username?: string; groups?: string[] };
  oldObject?: Obj;
  roles?: string[];
  clusterRoles?: string[];
}

const namespaceLabels = new WeakMap<EvalContext, Map<string, Record<string, string>>>();

/** Labels of the Namespace objects among a run's inputs (built once per run). */
function namespaceLookup(ctx: EvalContext): (name: string) => Record<string, string> | undefined {
  let labels = namespaceLabels.get(ctx);
  if (!labels) {
    labels = new Map();
    for (const resource of ctx.resources)
      if (resource.source === 'kubernetes' && resource.kind === 'Namespace')
        labels.set(resource.name, resource.labels);
    namespaceLabels.set(ctx, labels);
  }
  return (name) => labels.get(name) ?? ctx.namespaceLabels?.(name);
}

const configMaps = new WeakMap<EvalContext, Map<string, Obj>>();

/** The ConfigMaps among a run's inputs, by `namespace/name` (what `configMap` context entries read). */
function configMapLookup(ctx: EvalContext): (name: string, namespace: string) => Obj | undefined {
  let byName = configMaps.get(ctx);
  if (!byName) {
    byName = new Map();
    for (const resource of ctx.resources)
      if (resource.source === 'kubernetes' && resource.kind === 'ConfigMap')
        byName.set(`${resource.namespace ?? 'default'}/${resource.name}`, resource.body as Obj);
    configMaps.set(ctx, byName);
  }
  return (name, namespace) => byName.get(`${namespace}/${name}`);
}

const noticed = new WeakMap<Notice[], Set<Notice>>();

function notify(ctx: EvalContext, notices: Notice[]): void {
  if (notices.length === 0) return;
  let seen = noticed.get(ctx.notices);
  if (!seen) noticed.set(ctx.notices, (seen = new Set()));
  for (const notice of notices) {
    if (seen.has(notice)) continue;
    seen.add(notice);
    ctx.notices.push(notice);
  }
}

/** `/spec/containers/0/image/` as a JSON pointer. */
function pointerOf(path: string | undefined): string {
  if (!path) return '';
  const trimmed = path.replace(/\/+$/, '');
  return trimmed === '' ? '' : trimmed.startsWith('/') ? trimmed : `/${trimmed}`;
}

/** Compile one generated policy's rule. */
export function compileKyvernoRule(
  spec: KyvernoRuleSpec,
  podSecurity: PodSecurityCheck | undefined,
): CompiledRule {
  const { policy, rule, notices } = spec;
  const policyNamespace =
    policy.doc.kind === 'Policy' ? (policy.doc.metadata.namespace ?? 'default') : undefined;
  const text = JSON.stringify(rule);
  const readsConfigMaps = text.includes('"configMap"');
  const readsNamespaceLabels =
    JSON.stringify(rule.match ?? {}).includes('namespaceSelector') ||
    JSON.stringify(rule.exclude ?? {}).includes('namespaceSelector');
  return {
    scope: 'resource',
    readsRun: readsConfigMaps || readsNamespaceLabels,
    readsNamespaceLabels,
    evaluateOne(resource: Resource, ctx: EvalContext): Violation | undefined {
      notify(ctx, notices);
      const admission = (resource.facts.admission ?? {}) as AdmissionFacts;
      const request: RuleRequest = {
        object: resource.body as Obj,
        operation: admission.operation ?? 'CREATE',
        subresource: admission.subResource || undefined,
        userInfo: admission.userInfo,
        roles: admission.roles,
        clusterRoles: admission.clusterRoles,
        oldObject: admission.oldObject,
        namespaceLabels: namespaceLookup(ctx),
        policyNamespace,
        podSecurity,
        configMap: readsConfigMaps ? configMapLookup(ctx) : undefined,
      };
      const outcome = evaluateRule(rule, request);
      if (!outcome) return undefined;
      switch (outcome.status) {
        case 'fail':
          return {
            path: pointerOf(outcome.path),
            message: outcome.message,
            details: { kyvernoRule: rule.name },
          };
        case 'unknown':
          return { path: '', status: 'unknown', message: outcome.message };
        case 'error':
          throw new Error(outcome.message);
        default:
          return undefined;
      }
    },
  };
}
