/**
 * `{{ ... }}` variables as Kyverno substitutes them: a string that is one variable takes the
 * variable's value and type; otherwise values are printed into the string (objects as JSON).
 * `{{- ...}}` substitutes shallowly, `\{{` escapes.
 */
import { NotFoundError, query } from './jmespath.js';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const VARIABLES = /(^|[^\\])(\{\{(?:\{[^{}]*\}|[^{}])*\}\})/g;

/** Variable substitution failed (the rule then reports an error). */
export class SubstitutionError extends Error {
  constructor(
    message: string,
    readonly notFound = false,
  ) {
    super(message);
  }
}

/** The data variables are read from, and whether the request is a DELETE. */
export interface VariableScope {
  data: Obj;
  deleting: boolean;
}

function resolve(scope: VariableScope, variable: string, path: string): unknown {
  let expression = variable;
  if (expression === '@') {
    const tokens = path
      .split('/')
      .filter(Boolean)
      .map((token) => token.replace(/^[+<=X^]?\((.+)\)$/, '$1'));
    const at = tokens.lastIndexOf('foreach');
    const rest = at >= 0 ? tokens.slice(at + 3) : tokens.slice(tokens[0] === 'validate' ? 2 : 0);
    expression = ['request.object', ...rest.map((t) => (/^\d+$/.test(t) ? `[${t}]` : `"${t}"`))]
      .join('.')
      .replace(/\.\[/g, '[');
  }
  if (scope.deleting) expression = expression.replace(/request\.object/g, 'request.oldObject');
  try {
    return query(expression, scope.data);
  } catch (error) {
    if (error instanceof NotFoundError)
      throw new SubstitutionError(`failed to resolve ${expression} at path ${path}: ${error.message}`, true);
    throw new SubstitutionError(
      `failed to resolve ${expression} at path ${path}: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function substituteString(value: string, scope: VariableScope, path: string): unknown {
  let text = value;
  for (let round = 0; round < 16; round += 1) {
    const matches = [...text.matchAll(VARIABLES)];
    if (matches.length === 0) break;
    let shallow = false;
    for (const match of matches) {
      const whole = match[2]!;
      let variable = whole.slice(2, -2).trim();
      shallow = false;
      if (variable.startsWith('-')) {
        variable = variable.slice(1).trim();
        shallow = true;
      }
      let resolved = resolve(scope, variable, path);
      if (text === whole) return resolved;
      if (shallow && typeof resolved === 'string') resolved = resolved.replace(/\{\{/g, '\\{{');
      const printed = typeof resolved === 'string' ? resolved : JSON.stringify(resolved ?? null);
      const at = text.indexOf(whole);
      text = text.slice(0, at) + printed + text.slice(at + whole.length);
    }
    if (shallow) break;
  }
  return text.replace(/\\\{\{/g, '{{');
}

/** True when the document holds a `{{` variable anywhere (compiled rules skip substitution otherwise). */
export function hasVariables(document: unknown): boolean {
  if (typeof document === 'string') return document.includes('{{');
  if (Array.isArray(document)) return document.some(hasVariables);
  if (isObject(document))
    return Object.entries(document).some(([key, value]) => key.includes('{{') || hasVariables(value));
  return false;
}

/** Substitute every variable in keys and values of `document`. */
export function substituteAll(document: unknown, scope: VariableScope, path = ''): unknown {
  if (typeof document === 'string')
    return document.includes('{{') ? substituteString(document, scope, path) : document;
  if (Array.isArray(document)) return document.map((item, i) => substituteAll(item, scope, `${path}/${i}`));
  if (isObject(document)) {
    const out: Obj = {};
    for (const [key, value] of Object.entries(document)) {
      const newKey = key.includes('{{') ? substituteString(key, scope, `${path}/${key}`) : key;
      out[typeof newKey === 'string' ? newKey : JSON.stringify(newKey)] = substituteAll(
        value,
        scope,
        `${path}/${key}`,
      );
    }
    return out;
  }
  return document;
}

/** `a."b.c".d` as ['a', 'b.c', 'd'] (Kyverno reads value keys as CSV with '.' between fields). */
function splitDotted(dotted: string): string[] {
  const keys: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < dotted.length; i += 1) {
    const ch = dotted[i]!;
    if (ch === '"') {
      if (quoted && dotted[i + 1] === '"') {
        current += '"';
        i += 1;
      } else quoted = !quoted;
    } else if (ch === '.' && !quoted) {
      keys.push(current);
      current = '';
    } else current += ch;
  }
  keys.push(current);
  return keys;
}

/** Set `value` at a dotted path (`request.object.metadata.name`) in a copy of `data`'s branches. */
export function setPath(data: Obj, dotted: string, value: unknown): void {
  const keys = splitDotted(dotted);
  let current = data;
  for (let i = 0; i < keys.length - 1; i += 1) {
    const key = keys[i]!;
    const next = current[key];
    const copy: Obj = isObject(next) ? { ...next } : {};
    current[key] = copy;
    current = copy;
  }
  current[keys[keys.length - 1]!] = value;
}
