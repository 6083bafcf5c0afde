import { readFileSync } from 'node:fs';
import { basename, dirname, relative } from 'node:path';
import { Ajv } from 'ajv';
import { parseAllDocuments } from 'yaml';
import { describeError, ParapetError } from '../model/errors.js';
import type { Mode, Policy, Severity } from '../model/policy.js';
import type { PolicySourceContext, PolicySourceLoader } from '../policies/source-loader.js';
import { readBundle } from './bundle.js';
import { conftestEntrypoint, conftestRules } from './conftest.js';
import {
  isConstraint,
  isConstraintTemplate,
  modeForAction,
  parseConstraint,
  parseTemplate,
  type Constraint,
  type ConstraintTemplate,
} from './gatekeeper.js';

/** The folder beside Rego policies where `parapet rego build` commits compiled bundles. */
export const compiledFolder = 'compiled';

/** What a generated Conftest policy's `rule.rego` carries. */
export interface ConftestRuleSpec {
  flavor: 'conftest';
  module: string;
  entrypoint: string;
  namespace: string;
  /** The Rego rule this policy reports (`deny_run_as_root`). */
  rule: string;
  /** Every Conftest rule of the namespace (one evaluation answers them all). */
  rules: string[];
  /** `.rego` files of the directory (absolute). */
  files: string[];
  /** A precompiled bundle when the directory has no sources. */
  bundle?: string;
  /** Root of the policy directory (for `compiled/`). */
  root: string;
}

/** What a generated Gatekeeper policy's `rule.rego` carries. */
export interface GatekeeperRuleSpec {
  flavor: 'gatekeeper';
  module: string;
  entrypoint: string;
  template: ConstraintTemplate;
  constraint: Constraint;
  root: string;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9.]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '');
}

function fail(file: string, message: string): never {
  throw new ParapetError('PARAPET_REGO', `${file}: ${message}`, { file });
}

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new ParapetError(
      'PARAPET_POLICY_READ',
      `${file}: cannot read policy file: ${describeError(error)}`,
      { file },
    );
  }
}

function isTestFile(file: string): boolean {
  return file.endsWith('_test.rego');
}

/** The Conftest namespaces to run (the `--namespace` option, or `main`). */
function namespacesFrom(ctx: PolicySourceContext): string[] {
  const option = ctx.options.namespaces ?? ctx.options.namespace;
  const list = Array.isArray(option)
    ? option.filter((item): item is string => typeof item === 'string')
    : typeof option === 'string'
      ? [option]
      : [];
  return list.length > 0 ? list : ['main'];
}

function conftestPolicies(
  root: string,
  regoFiles: string[],
  bundles: string[],
  namespaces: string[],
  builtin: boolean,
): Policy[] {
  const sources = regoFiles.map((file) => ({
    path: relative(root, file),
    displayPath: file,
    text: readText(file),
  }));
  const policies: Policy[] = [];
  for (const namespace of namespaces) {
    let rules = conftestRules(sources, namespace);
    let bundle: string | undefined;
    if (regoFiles.length === 0 && bundles.length > 0) {
      // A directory holding only a compiled bundle: its manifest names the rule entrypoints.
      bundle = bundles[0]!;
      const prefix = `${namespace.replace(/\./g, '/')}/`;
      rules = readBundle(bundle)
        .entrypoints.filter((entry) => entry.startsWith(prefix))
        .map((entry) => entry.slice(prefix.length))
        .filter((rule) => /^(deny|violation|warn|exception)(_\w+)?$/.test(rule));
    }
    const reported = rules.filter((rule) => rule !== 'exception');
    if (reported.length === 0) continue;
    for (const rule of reported) {
      const warn = rule.startsWith('warn');
      const spec: ConftestRuleSpec = {
        flavor: 'conftest',
        module: bundle ?? root,
        entrypoint: bundle ? `${namespace.replace(/\./g, '/')}/${rule}` : conftestEntrypoint(namespace),
        namespace,
        rule,
        rules,
        files: regoFiles,
        bundle,
        root,
      };
      const definedIn = sources.find((source) => conftestRules([source], namespace).includes(rule));
      const file = bundle ?? definedIn?.displayPath ?? root;
      policies.push({
        id: `conftest.${slug(namespace)}.${slug(rule.replace(/_/g, '-'))}`,
        title: `Conftest rule ${rule} (package ${namespace})`,
        description: `Results of the Rego rule ${rule} in package ${namespace} (${root}), as Conftest reports them.`,
        severity: (warn ? 'medium' : 'high') as Severity,
        category: 'conftest',
        tags: ['conftest', 'rego'],
        references: [],
        match: { source: ['kubernetes', 'terraform'] },
        rule: { rego: spec } as unknown as Policy['rule'],
        message: `Conftest rule ${rule} of package ${namespace} reported a violation`,
        defaultMode: warn ? 'warn' : 'enforce',
        file,
        builtin,
      });
    }
  }
  return policies;
}

const parameterAjv = new Ajv({ strict: false, allErrors: false });

/** Why Gatekeeper's API server would refuse the Constraint's parameters under the template's schema, if it would. */
export function parametersProblem(template: ConstraintTemplate, constraint: Constraint): string | undefined {
  if (!template.parametersSchema) return undefined;
  const validate = parameterAjv.compile(template.parametersSchema);
  if (validate(constraint.parameters)) return undefined;
  const error = validate.errors![0]!;
  return `constraint ${constraint.kind}/${constraint.name}: spec.parameters${error.instancePath.replace(/\//g, '.')} ${error.message ?? 'is invalid'}`;
}

/** The policy a Constraint becomes, with the template that defines its kind. */
export function gatekeeperPolicy(
  template: ConstraintTemplate,
  constraint: Constraint,
  mode: Mode,
  root: string,
  builtin: boolean,
): Policy {
  const spec: GatekeeperRuleSpec = {
    flavor: 'gatekeeper',
    module: template.file,
    entrypoint: `${template.packageName.replace(/\./g, '/')}/violation`,
    template,
    constraint,
    root,
  };
  // A kinds entry without kinds (or with an empty list) matches every kind, as in Gatekeeper.
  const kinds = [
    ...new Set(
      (constraint.match.kinds ?? []).flatMap((entry) => (entry.kinds?.length ? entry.kinds : ['*'])),
    ),
  ];
  return {
    id: `${slug(constraint.kind)}.${slug(constraint.name)}`,
    title: `${constraint.kind} ${constraint.name}`,
    description: template.description,
    severity: mode === 'enforce' ? 'high' : mode === 'warn' ? 'medium' : 'low',
    category: 'gatekeeper',
    tags: ['gatekeeper', 'rego', slug(constraint.kind)],
    references: [],
    match: { source: 'kubernetes', kinds: kinds.length > 0 && !kinds.includes('*') ? kinds : undefined },
    rule: { rego: spec } as unknown as Policy['rule'],
    message: `${constraint.kind} ${constraint.name} reported a violation`,
    defaultMode: mode,
    file: constraint.file,
    builtin,
  };
}

function gatekeeperPolicies(
  templates: ConstraintTemplate[],
  constraints: Constraint[],
  root: string,
  builtin: boolean,
): Policy[] {
  const byKind = new Map(templates.map((template) => [template.kind, template]));
  const policies: Policy[] = [];
  for (const constraint of constraints) {
    const template = byKind.get(constraint.kind);
    if (!template)
      fail(
        constraint.file,
        `constraint ${constraint.kind}/${constraint.name} has no ConstraintTemplate defining kind ${constraint.kind} in ${root}`,
      );
    const mode = modeForAction(constraint.enforcementAction);
    if (!mode)
      fail(
        constraint.file,
        `constraint ${constraint.kind}/${constraint.name}: enforcementAction "${constraint.enforcementAction}" is not deny, warn, dryrun or scoped`,
      );
    // Gatekeeper's API server rejects constraints whose parameters break the template's schema; so does parapet.
    const problem = parametersProblem(template, constraint);
    if (problem) fail(constraint.file, problem);
    policies.push(gatekeeperPolicy(template, constraint, mode, root, builtin));
  }
  return policies;
}

/**
 * Rego sources in a policy directory: Conftest packages (`*.rego`, or a compiled `bundle.tar.gz`
 * alone), Gatekeeper ConstraintTemplates and Constraints. Native policies that name a Rego module
 * are left to the native loader; the files they name are claimed so it does not read them.
 */
export const regoPolicySource: PolicySourceLoader = {
  name: 'rego',
  async load(dir, files, ctx) {
    const root = files.length === 1 && files[0] === dir ? dirname(dir) : dir;
    const claimed: string[] = [];
    const regoFiles: string[] = [];
    const bundles: string[] = [];
    const templates: ConstraintTemplate[] = [];
    const constraints: Constraint[] = [];
    for (const file of files) {
      if (file.endsWith('.rego')) {
        claimed.push(file);
        if (!isTestFile(file)) regoFiles.push(file);
      } else if (file.endsWith('.wasm')) {
        claimed.push(file);
      } else if (file.endsWith('.tar.gz')) {
        claimed.push(file);
        // Bundles in a compiled/ folder are parapet's own compilations of the sources beside them.
        if (basename(dirname(file)) !== compiledFolder) bundles.push(file);
      } else if (/\.ya?ml$/i.test(file)) {
        const text = readText(file);
        if (!/^\s*apiVersion:\s*(templates|constraints)\.gatekeeper\.sh\//m.test(text)) continue;
        claimed.push(file);
        for (const doc of parseAllDocuments(text)) {
          if (doc.errors.length > 0) fail(file, `invalid YAML: ${doc.errors[0]!.message.split('\n')[0]}`);
          const value = doc.toJS({ maxAliasCount: 100 }) as unknown;
          if (isConstraintTemplate(value)) {
            const template = parseTemplate(value as Record<string, unknown>, file);
            if (typeof template === 'string') fail(file, template);
            templates.push(template);
          } else if (isConstraint(value)) {
            const constraint = parseConstraint(value as Record<string, unknown>, file);
            if (typeof constraint === 'string') fail(file, constraint);
            constraints.push(constraint);
          }
        }
      }
    }
    const policies = [
      ...conftestPolicies(root, regoFiles, bundles, namespacesFrom(ctx), ctx.builtin),
      ...gatekeeperPolicies(templates, constraints, root, ctx.builtin),
    ];
    return { policies, claimed };
  },
};
