import type { Policy } from '../../model/policy.js';
import type { Resource } from '../../model/resource.js';
import type { CompiledRule, Violation } from '../rules/types.js';
import {
  grantsAction,
  hasCondition,
  judgeIamDocuments,
  type IamStatement,
  unconstrainedResource,
} from './aws-iam-documents.js';
import { optionError } from './ecosystem-support.js';
import type { CheckDefinition } from './types.js';

type Find = 'grants' | 'literalActions' | 'notElements';

interface Options {
  find: Find;
  attributes: string[];
  /** `grants`: concrete actions (lower case) that must not be granted on every resource without a condition. */
  actions: string[];
  /** `grants`: actions that take no resource (wildcard-only): granted by any statement without a condition. */
  anyResource: Set<string>;
  /** `grants`: sets of actions that are dangerous only together (every one granted). */
  combinations: string[][];
  /** `literalActions`: Action elements written exactly so (`*`, `iam:*`), compared without case. */
  patterns: Set<string>;
  /** `literalActions`: only statements on every resource count. */
  resourceWildcard: boolean;
}

function stringList(policy: Policy, options: Record<string, unknown>, name: string): string[] {
  const value = options[name] ?? [];
  if (!Array.isArray(value) || value.some((item) => typeof item !== 'string' || item === ''))
    throw optionError(policy, `${name} must be a list of non-empty strings`);
  return (value as string[]).map((item) => item.toLowerCase());
}

function readOptions(policy: Policy, options: Record<string, unknown>): Options {
  const find = options.find ?? 'grants';
  if (find !== 'grants' && find !== 'literalActions' && find !== 'notElements')
    throw optionError(
      policy,
      `find must be grants, literalActions or notElements (got ${JSON.stringify(find)})`,
    );
  const attributes = options.attributes ?? ['policy', 'inline_policy'];
  if (!Array.isArray(attributes) || attributes.some((a) => typeof a !== 'string'))
    throw optionError(policy, 'attributes must be a list of attribute names');
  const combinations = options.combinations ?? [];
  if (!Array.isArray(combinations) || combinations.some((c) => !Array.isArray(c) || c.length === 0))
    throw optionError(policy, 'combinations must be a list of non-empty lists of actions');
  const parsed: Options = {
    find,
    attributes: attributes as string[],
    actions: stringList(policy, options, 'actions'),
    anyResource: new Set(stringList(policy, options, 'anyResource')),
    combinations: (combinations as unknown[][]).map((set, index) =>
      stringList(policy, { [`combinations[${index}]`]: set }, `combinations[${index}]`),
    ),
    patterns: new Set(stringList(policy, options, 'patterns')),
    resourceWildcard: options.resourceWildcard !== false,
  };
  if (find === 'grants' && !parsed.actions.length && !parsed.combinations.length)
    throw optionError(policy, 'find: grants needs actions or combinations');
  if (find === 'literalActions' && !parsed.patterns.size)
    throw optionError(policy, 'find: literalActions needs patterns');
  return parsed;
}

/** Whether an Allow statement without a condition hands `action` out without resource constraints. */
function allowsFreely(statement: IamStatement, action: string, options: Options): boolean {
  if (statement.effect !== 'Allow' || hasCondition(statement)) return false;
  if (!unconstrainedResource(statement) && !options.anyResource.has(action)) return false;
  return grantsAction(statement, action);
}

/** A Deny without a condition on every resource takes the action away again. */
function deniedEverywhere(statements: IamStatement[], action: string): boolean {
  return statements.some(
    (s) =>
      s.effect === 'Deny' &&
      !hasCondition(s) &&
      s.notResources === undefined &&
      s.resources.includes('*') &&
      grantsAction(s, action),
  );
}

/** The actions (of `candidates`) the document grants without constraints, in the order given. */
function freelyGranted(statements: IamStatement[], candidates: string[], options: Options): string[] {
  return candidates.filter(
    (action) =>
      statements.some((statement) => allowsFreely(statement, action, options)) &&
      !deniedEverywhere(statements, action),
  );
}

/** The finding of one known document, or undefined. */
function judge(
  document: { path: string; statements: IamStatement[] },
  options: Options,
): Violation | undefined {
  const { statements, path } = document;
  if (options.find === 'notElements') {
    const index = statements.findIndex(
      (s) => s.effect === 'Allow' && (s.notActions !== undefined || s.notResources !== undefined),
    );
    if (index < 0) return undefined;
    const element = statements[index]!.notActions !== undefined ? 'NotAction' : 'NotResource';
    return { path, values: { statement: index, element }, details: { statement: index, element } };
  }
  if (options.find === 'literalActions') {
    const index = statements.findIndex(
      (s) =>
        s.effect === 'Allow' &&
        (!options.resourceWildcard || unconstrainedResource(s)) &&
        s.actions.some((action) => options.patterns.has(action.toLowerCase())),
    );
    if (index < 0) return undefined;
    const action = statements[index]!.actions.find((a) => options.patterns.has(a.toLowerCase()));
    return { path, values: { statement: index, actions: action }, details: { statement: index, action } };
  }
  const found = new Set<string>();
  if (options.actions.length)
    for (const action of freelyGranted(statements, options.actions, options)) found.add(action);
  for (const set of options.combinations)
    if (freelyGranted(statements, set, options).length === set.length)
      for (const action of set) found.add(action);
  if (!found.size) return undefined;
  const actions = [...found];
  return { path, values: { actions: actions.join(', ') }, details: { actions } };
}

/**
 * `aws-iam-permissions`: what IAM policy documents grant — given as JSON text (`jsonencode`, heredocs,
 * `data.aws_iam_policy_document.x.json`), as aws_iam_role `inline_policy` blocks or as the statements
 * of an aws_iam_policy_document data source read at apply. `find: grants` looks for actions (or
 * combinations of them) allowed on every resource without a condition, the way privilege-escalation
 * and exfiltration reviews read a policy; `literalActions` for Action elements written as given
 * (`*`, `iam:*`); `notElements` for Allow statements with NotAction or NotResource.
 */
export const awsIamPermissionsCheck: CheckDefinition = {
  name: 'aws-iam-permissions',
  description: 'actions IAM policy documents grant: dangerous actions, wildcards, NotAction/NotResource',
  compile(options, policy): CompiledRule {
    const parsed = readOptions(policy, options);
    return {
      scope: 'resource',
      evaluate(resource: Resource): Violation[] {
        return judgeIamDocuments(resource, parsed.attributes, (document) => judge(document, parsed));
      },
    };
  },
};
