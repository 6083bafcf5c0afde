/**
 * Kyverno's autogen: a rule written for Pods also judges the Pod templates of controllers
 * (`autogen-NAME` for Deployment, DaemonSet, Job, StatefulSet, ReplicaSet, ReplicationController;
 * `autogen-cronjob-NAME` for CronJob), as Kyverno generates them, honouring the
 * `pod-policies.kyverno.io/autogen-controllers` annotation (`none` turns it off).
 */
import type { KyvernoRule, ResourceDescription, ResourceFilter, MatchBlock } from './types.js';

type Obj = Record<string, unknown>;

export const podControllers = [
  'DaemonSet',
  'Deployment',
  'Job',
  'StatefulSet',
  'ReplicaSet',
  'ReplicationController',
  'CronJob',
];
const podControllerGvk: Record<string, string> = {
  DaemonSet: 'apps/v1/DaemonSet',
  Deployment: 'apps/v1/Deployment',
  Job: 'batch/v1/Job',
  StatefulSet: 'apps/v1/StatefulSet',
  ReplicaSet: 'apps/v1/ReplicaSet',
  ReplicationController: 'v1/ReplicationController',
  CronJob: 'batch/v1/CronJob',
  Pod: 'v1/Pod',
};

export const AUTOGEN_ANNOTATION = 'pod-policies.kyverno.io/autogen-controllers';

function kindName(kind: string): string {
  const parts = kind.split('/');
  return parts[parts.length - 1]!;
}

function containsKind(kinds: string[] | undefined, kind: string): boolean {
  return (kinds ?? []).some((k) => kindName(k) === kind || k === kind);
}

function descriptions(block: MatchBlock | undefined): ResourceDescription[] {
  if (!block) return [];
  const out: ResourceDescription[] = [];
  if (block.resources) out.push(block.resources);
  for (const filter of [...(block.any ?? []), ...(block.all ?? [])])
    if (filter.resources) out.push(filter.resources);
  return out;
}

function supportsAutogen(rules: KyvernoRule[]): boolean {
  let needed = false;
  for (const rule of rules) {
    if (rule.generate) return false;
    const mutate = rule.mutate as Obj | undefined;
    if (
      mutate &&
      (mutate.patchesJson6902 || ((mutate.foreach as Obj[] | undefined) ?? []).some((f) => f.patchesJson6902))
    )
      return false;
    for (const description of [...descriptions(rule.match), ...descriptions(rule.exclude)]) {
      const kinds = description.kinds ?? [];
      if (
        description.name ||
        (description.names?.length ?? 0) > 0 ||
        description.selector ||
        description.annotations
      )
        return false;
      if (kinds.length > 1 && containsKind(kinds, 'Pod')) return false;
      if (kinds.some((k) => k === 'Pod' || podControllers.includes(kindName(k)))) needed = true;
    }
  }
  return needed;
}

/** The autogen controllers for a policy: the annotation's list, all controllers, or none. */
export function autogenControllers(rules: KyvernoRule[], annotations: Record<string, string>): string[] {
  if (!supportsAutogen(rules)) return [];
  const annotated = annotations[AUTOGEN_ANNOTATION];
  if (annotated === undefined) return [...podControllers];
  if (annotated.trim() === 'none') return [];
  return annotated
    .split(',')
    .map((kind) => kind.trim())
    .filter(Boolean);
}

function replaceKinds(filters: ResourceFilter[], kinds: string[], onlyPod: boolean): ResourceFilter[] {
  return filters.map((filter) => {
    if (onlyPod && !containsKind(filter.resources?.kinds, 'Pod')) return filter;
    return {
      ...filter,
      resources: { ...filter.resources, kinds: kinds.map((k) => podControllerGvk[k] ?? k) },
    };
  });
}

function shiftBlock(
  block: MatchBlock | undefined,
  kinds: string[],
  onlyPod: boolean,
  exclude: boolean,
): MatchBlock | undefined {
  if (!block) return undefined;
  if (block.any?.length) return { ...block, any: replaceKinds(block.any, kinds, onlyPod) };
  if (block.all?.length) return { ...block, all: replaceKinds(block.all, kinds, onlyPod) };
  if (exclude && !block.resources?.kinds?.length) return block;
  return { ...block, resources: { ...block.resources, kinds: kinds.map((k) => podControllerGvk[k] ?? k) } };
}

function wrap(pattern: unknown, key: string): unknown {
  return { spec: { [key]: pattern } };
}

/** Kyverno rewrites the rule's JSON text: `request.object.spec` becomes the template's spec. */
function rewrite(value: unknown, cronJob: boolean, cel = false): unknown {
  const inner = cronJob ? 'spec.jobTemplate.spec.template' : 'spec.template';
  let text = JSON.stringify(value);
  if (cel)
    return JSON.parse(
      text
        .replace(/\b(object|oldObject)\.spec/g, `$1.${inner}.spec`)
        .replace(/\b(object|oldObject)\.metadata/g, `$1.${inner}.metadata`),
    ) as unknown;
  text = text
    .replace(/request\.object\.spec/g, `request.object.${inner}.spec`)
    .replace(/request\.oldObject\.spec/g, `request.oldObject.${inner}.spec`)
    .replace(/request\.object\.metadata/g, `request.object.${inner}.metadata`)
    .replace(/request\.oldObject\.metadata/g, `request.oldObject.${inner}.metadata`);
  return JSON.parse(text) as unknown;
}

function ruleName(prefix: string, name: string): string {
  return `${prefix}-${name}`.slice(0, 63);
}

function generate(
  rule: KyvernoRule,
  name: string,
  tplKey: string,
  kinds: string[],
  onlyPod: boolean,
  cronJob: boolean,
): KyvernoRule | undefined {
  const validate = rule.validate;
  if (!validate) return undefined;
  const out: KyvernoRule = {
    ...rule,
    name,
    match: shiftBlock(rule.match, kinds, onlyPod, false),
    exclude: shiftBlock(rule.exclude, kinds, onlyPod, true),
  };
  const base = {
    message: validate.message,
    failureAction: validate.failureAction,
    allowExistingViolations: validate.allowExistingViolations,
  };
  if (validate.pattern !== undefined) out.validate = { ...base, pattern: wrap(validate.pattern, tplKey) };
  else if (validate.deny !== undefined) out.validate = { ...base, deny: validate.deny };
  else if (validate.podSecurity !== undefined) out.validate = { ...base, podSecurity: validate.podSecurity };
  else if (validate.anyPattern !== undefined)
    out.validate = { ...base, anyPattern: (validate.anyPattern as unknown[]).map((p) => wrap(p, tplKey)) };
  else if (validate.foreach !== undefined) out.validate = { ...base, foreach: validate.foreach };
  else if (validate.cel !== undefined) out.validate = { ...validate };
  else return undefined;
  const rewritten = rewrite(
    {
      validate: out.validate,
      preconditions: out.preconditions,
      context: out.context,
      celPreconditions: out.celPreconditions,
    },
    cronJob,
    validate.cel !== undefined,
  ) as Partial<KyvernoRule>;
  return {
    ...out,
    validate: rewritten.validate,
    preconditions: rewritten.preconditions,
    context: rewritten.context,
    celPreconditions: rewritten.celPreconditions,
    autogenOf: rule.name,
  };
}

/** The rules Kyverno runs for a policy: the written ones (without stale autogen rules) and the generated. */
export function computeRules(rules: KyvernoRule[], annotations: Record<string, string>): KyvernoRule[] {
  const controllers = autogenControllers(rules, annotations);
  if (controllers.length === 0) return rules;
  const withoutCron = controllers.filter((c) => c !== 'CronJob').sort();
  const generated: KyvernoRule[] = [];
  for (const rule of rules) {
    if (rule.name.startsWith('autogen-')) continue;
    // Kyverno generates controller rules only for rules that match Pods (and exclude Pods, if they exclude kinds).
    const matchKinds = descriptions(rule.match).flatMap((d) => d.kinds ?? []);
    const excludeKinds = descriptions(rule.exclude).flatMap((d) => d.kinds ?? []);
    if (!containsKind(matchKinds, 'Pod') || (excludeKinds.length > 0 && !containsKind(excludeKinds, 'Pod')))
      continue;
    let forControllers: KyvernoRule | undefined;
    if (withoutCron.length > 0 || controllers.includes('CronJob')) {
      forControllers = generate(
        rule,
        ruleName('autogen', rule.name),
        'template',
        withoutCron.length ? withoutCron : ['CronJob'],
        true,
        false,
      );
    }
    if (forControllers && withoutCron.length > 0) generated.push(forControllers);
    if (controllers.includes('CronJob') && forControllers) {
      const cron = generate(
        { ...rule, match: forControllers.match, exclude: forControllers.exclude, validate: rule.validate },
        ruleName('autogen-cronjob', rule.name),
        'jobTemplate',
        ['CronJob'],
        false,
        true,
      );
      if (cron && cron.validate) {
        // The CronJob rule wraps the Pod controller rule's template pattern once more.
        generated.push({ ...cron, validate: rewrapCron(cron.validate, rule) });
      }
    }
  }
  if (generated.length === 0) return rules;
  return [...rules.filter((rule) => !rule.name.startsWith('autogen-')), ...generated];
}

function rewrapCron(
  validate: NonNullable<KyvernoRule['validate']>,
  rule: KyvernoRule,
): NonNullable<KyvernoRule['validate']> {
  const source = rule.validate!;
  const inner = (pattern: unknown) => ({ spec: { jobTemplate: { spec: { template: pattern } } } });
  if (source.pattern !== undefined) return { ...validate, pattern: rewrite(inner(source.pattern), true) };
  if (source.anyPattern !== undefined)
    return { ...validate, anyPattern: (source.anyPattern as unknown[]).map((p) => rewrite(inner(p), true)) };
  return validate;
}
