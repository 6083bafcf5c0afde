import { parseJsonText } from '../keywords/jsonString.js';
import type { Resource } from '../../model/resource.js';
import type { Violation } from '../rules/types.js';
import { isRecord } from './ecosystem-support.js';

/** One statement of an IAM policy document, whatever form the plan held it in. */
export interface IamStatement {
  effect: 'Allow' | 'Deny';
  /** Lists are empty when the element is absent; NotAction/NotResource are undefined when absent. */
  actions: string[];
  notActions?: string[];
  resources: string[];
  notResources?: string[];
  /** Principal type (`AWS`, `Service`, `Federated`, `CanonicalUser`) -> identifiers; `*` becomes `{ AWS: ['*'] }`. */
  principals?: Record<string, string[]>;
  notPrincipals?: Record<string, string[]>;
  /** Operator -> condition key -> values; empty when the statement has no condition. */
  conditions: Record<string, Record<string, string[]>>;
}

/** A document found on a resource: where it is (JSON pointer) and its statements, or `unknown` until apply. */
export type IamDocument =
  { path: string; statements: IamStatement[] } | { path: string; unknown: true; unknownPaths: string[] };

function strings(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

function principalMap(value: unknown): Record<string, string[]> | undefined {
  if (value === undefined || value === null) return undefined;
  if (value === '*') return { AWS: ['*'] };
  if (!isRecord(value)) return undefined;
  const out: Record<string, string[]> = {};
  for (const [type, identifiers] of Object.entries(value)) out[type] = strings(identifiers);
  return out;
}

function conditionMap(value: unknown): Record<string, Record<string, string[]>> {
  const out: Record<string, Record<string, string[]>> = {};
  if (!isRecord(value)) return out;
  for (const [operator, keys] of Object.entries(value)) {
    if (!isRecord(keys)) continue;
    const entry: Record<string, string[]> = {};
    for (const [key, values] of Object.entries(keys))
      entry[key] = Array.isArray(values) ? values.map(String) : [String(values)];
    out[operator] = entry;
  }
  return out;
}

/** Statements of a JSON policy document (`{ Statement: [...] }`, a single statement object too). */
function jsonStatements(document: unknown): IamStatement[] | undefined {
  if (!isRecord(document)) return undefined;
  const raw = document.Statement;
  const list = Array.isArray(raw) ? raw : isRecord(raw) ? [raw] : [];
  return list.filter(isRecord).map((statement) => ({
    effect: statement.Effect === 'Deny' ? 'Deny' : 'Allow',
    actions: strings(statement.Action),
    ...('NotAction' in statement ? { notActions: strings(statement.NotAction) } : {}),
    resources: strings(statement.Resource),
    ...('NotResource' in statement ? { notResources: strings(statement.NotResource) } : {}),
    ...('Principal' in statement ? { principals: principalMap(statement.Principal) } : {}),
    ...('NotPrincipal' in statement ? { notPrincipals: principalMap(statement.NotPrincipal) } : {}),
    conditions: conditionMap(statement.Condition),
  }));
}

/** `principals { type identifiers }` blocks of aws_iam_policy_document; type `*` is the public principal. */
function blockPrincipals(value: unknown): Record<string, string[]> | undefined {
  if (!Array.isArray(value) || value.length === 0) return undefined;
  const out: Record<string, string[]> = {};
  for (const block of value.filter(isRecord)) {
    const type = typeof block.type === 'string' ? block.type : 'AWS';
    const key = type === '*' ? 'AWS' : type;
    out[key] = [...(out[key] ?? []), ...(type === '*' ? ['*'] : strings(block.identifiers))];
  }
  return out;
}

/** The `statement` blocks of an aws_iam_policy_document data source. */
function blockStatements(blocks: unknown[]): IamStatement[] {
  return blocks.filter(isRecord).map((block) => {
    const conditions: Record<string, Record<string, string[]>> = {};
    for (const condition of Array.isArray(block.condition) ? block.condition.filter(isRecord) : []) {
      if (typeof condition.test !== 'string' || typeof condition.variable !== 'string') continue;
      (conditions[condition.test] ??= {})[condition.variable] = strings(condition.values);
    }
    const notActions = strings(block.not_actions);
    const notResources = strings(block.not_resources);
    return {
      effect: block.effect === 'Deny' ? 'Deny' : 'Allow',
      actions: strings(block.actions),
      ...(notActions.length ? { notActions } : {}),
      resources: strings(block.resources),
      ...(notResources.length ? { notResources } : {}),
      ...(blockPrincipals(block.principals) ? { principals: blockPrincipals(block.principals) } : {}),
      ...(blockPrincipals(block.not_principals)
        ? { notPrincipals: blockPrincipals(block.not_principals) }
        : {}),
      conditions,
    };
  });
}

/** Unknown paths at or below `pointer`. */
function unknownAt(resource: Resource, pointer: string): string[] {
  return (resource.unknownPaths ?? []).filter((path) => path === pointer || path.startsWith(`${pointer}/`));
}

/** The document a JSON-text attribute holds; undefined when the attribute is absent or not a policy. */
function textDocument(resource: Resource, value: unknown, path: string): IamDocument | undefined {
  if (typeof value === 'string') {
    const statements = jsonStatements(parseJsonText(value));
    return statements ? { path, statements } : undefined;
  }
  const unknownPaths = unknownAt(resource, path);
  // Left out of the configuration, the provider computes it: there is no document to judge.
  const defaulted = resource.facts.providerDefaulted;
  const attribute = path.split('/')[1] ?? '';
  if (unknownPaths.length && !(Array.isArray(defaulted) && defaulted.includes(attribute)))
    return { path, unknown: true, unknownPaths };
  return undefined;
}

/**
 * The IAM policy documents of a resource in `attributes` (top-level attributes holding JSON text:
 * `policy`, `assume_role_policy`, `inline_policy` of an SSO permission set). aws_iam_role's
 * `inline_policy` blocks and the statements of an aws_iam_policy_document data source are read too.
 */
export function iamDocuments(resource: Resource, attributes: readonly string[]): IamDocument[] {
  const out: IamDocument[] = [];
  const body = resource.body;
  if (resource.kind === 'aws_iam_policy_document') {
    if (Array.isArray(body.statement) && body.statement.length)
      out.push({ path: '/statement', statements: blockStatements(body.statement) });
    else if (typeof body.json === 'string') {
      const found = textDocument(resource, body.json, '/json');
      if (found) out.push(found);
    } else {
      const unknownPaths = unknownAt(resource, '/statement');
      if (unknownPaths.length) out.push({ path: '/statement', unknown: true, unknownPaths });
    }
    return out;
  }
  for (const attribute of attributes) {
    if (resource.kind === 'aws_iam_role' && attribute === 'inline_policy') {
      const blocks = body.inline_policy;
      if (!Array.isArray(blocks)) continue;
      blocks.forEach((block, index) => {
        const path = `/inline_policy/${index}/policy`;
        const found = textDocument(resource, isRecord(block) ? block.policy : undefined, path);
        if (found) out.push(found);
      });
      continue;
    }
    const found = textDocument(resource, body[attribute], `/${attribute}`);
    if (found) out.push(found);
  }
  return out;
}

/**
 * The violations `judge` finds in each known document of a resource; when it finds none and a
 * document is known only after apply, one `unknown` verdict at the first such document.
 */
export function judgeIamDocuments(
  resource: Resource,
  attributes: readonly string[],
  judge: (document: { path: string; statements: IamStatement[] }) => Violation | undefined,
): Violation[] {
  const out: Violation[] = [];
  let unknown: Violation | undefined;
  for (const document of iamDocuments(resource, attributes)) {
    if ('unknown' in document) {
      unknown ??= { path: document.path, status: 'unknown', unknownPaths: document.unknownPaths };
      continue;
    }
    const violation = judge(document);
    if (violation) out.push(violation);
  }
  if (!out.length && unknown) out.push(unknown);
  return out;
}

const patternCache = new Map<string, RegExp>();

/** An IAM action or resource pattern (`*` any run, `?` one character; actions ignore case) as a regular expression. */
export function iamPattern(pattern: string): RegExp {
  let regex = patternCache.get(pattern);
  if (!regex) {
    const source = pattern
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
      .join('');
    regex = new RegExp(`^${source}$`, 'i');
    if (patternCache.size > 5000) patternCache.clear();
    patternCache.set(pattern, regex);
  }
  return regex;
}

/** True when the statement's Action (or NotAction) elements grant `action` (a concrete action name). */
export function grantsAction(statement: IamStatement, action: string): boolean {
  if (statement.notActions) return !statement.notActions.some((pattern) => iamPattern(pattern).test(action));
  return statement.actions.some((pattern) => iamPattern(pattern).test(action));
}

/** The statement applies to every resource: Resource `*`, or NotResource (everything but a list). */
export function unconstrainedResource(statement: IamStatement): boolean {
  return statement.notResources !== undefined || statement.resources.includes('*');
}

export function hasCondition(statement: IamStatement): boolean {
  return Object.values(statement.conditions).some((keys) => Object.keys(keys).length > 0);
}

/** Every condition key the statement tests, lower case (`sts:externalid`, `aws:principalorgid` ...). */
export function conditionKeys(statement: IamStatement): string[] {
  return Object.values(statement.conditions).flatMap((keys) =>
    Object.keys(keys).map((key) => key.toLowerCase()),
  );
}
