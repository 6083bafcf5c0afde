/**
 * JMESPath as Kyverno evaluates it: the community library for the language, Kyverno's custom
 * functions registered on it, and Kyverno's one difference in semantics (a plain field path that
 * names a key the data does not have is an error, not null; inside functions, filters, `||` ... it
 * is null).
 */
import { createHash } from 'node:crypto';
import path from 'node:path';
import {
  compile,
  registerFunction,
  TreeInterpreter,
  TYPE_ANY,
  TYPE_ARRAY,
  TYPE_NUMBER,
  TYPE_OBJECT,
  TYPE_STRING,
  type JSONValue,
} from '@jmespath-community/jmespath';
import { parse as parseYaml } from 'yaml';
import { compareQuantities, parseDuration, parseQuantity, formatDuration } from './quantity.js';
import { wildcardMatch } from './wildcard.js';
import { x509Decode } from './x509.js';

type Node = ReturnType<typeof compile>;

/** A plain field path names a key its data lacks (Kyverno's `Unknown key "x" in path`). */
export class NotFoundError extends Error {
  constructor(readonly key: string) {
    super(`Unknown key "${key}" in path`);
  }
}

const cache = new Map<string, Node>();

function compiled(expression: string): Node {
  let node = cache.get(expression);
  if (!node) {
    node = compile(legacyLiterals(expression));
    if (cache.size > 10_000) cache.clear();
    cache.set(expression, node);
  }
  return node;
}

/**
 * go-jmespath reads a backtick literal that is not JSON as a string (`` `foo` ``), as policies in
 * the wild rely on; the community library is strict, so such literals become raw strings.
 */
function legacyLiterals(expression: string): string {
  return expression.replace(/`((?:[^`\\]|\\.)*)`/g, (whole, body: string) => {
    try {
      JSON.parse(body.replace(/\\`/g, '`'));
      return whole;
    } catch {
      return `'${body.replace(/'/g, "\\'")}'`;
    }
  });
}

interface AstNode {
  type: string;
  name?: string;
  value?: unknown;
  left?: AstNode;
  right?: AstNode;
}

/** The steps of a pure field/index chain, or undefined when the expression is anything else. */
function fieldChain(node: AstNode): Array<string | number> | undefined {
  if (node.type === 'Field') return [node.name!];
  if (node.type === 'Subexpression' || node.type === 'IndexExpression') {
    const left = fieldChain(node.left!);
    if (!left) return undefined;
    const right = node.right!;
    if (right.type === 'Field') return [...left, right.name!];
    if (right.type === 'Index') return [...left, Number(right.value)];
    const nested = fieldChain(right);
    return nested ? [...left, ...nested] : undefined;
  }
  return undefined;
}

function checkNotFound(node: Node, data: unknown): void {
  const chain = fieldChain(node as unknown as AstNode);
  if (!chain) return;
  let current: unknown = data;
  for (const step of chain) {
    if (typeof step === 'number') {
      current = Array.isArray(current) ? current.at(step) : null;
    } else if (current !== null && typeof current === 'object' && !Array.isArray(current)) {
      const object = current as Record<string, unknown>;
      if (!Object.prototype.hasOwnProperty.call(object, step)) throw new NotFoundError(step);
      current = object[step];
    } else {
      return;
    }
    if (current === null || current === undefined) return;
  }
}

/** Evaluate `expression` over `data` with Kyverno's functions. Throws on syntax errors and unknown keys. */
export function query(expression: string, data: unknown): unknown {
  const node = compiled(expression);
  const result = TreeInterpreter.search(node, data as JSONValue);
  if (result === null || result === undefined) {
    checkNotFound(node, data);
    return null;
  }
  return result;
}

// ---- Kyverno's custom functions ---------------------------------------------------------------

function str(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

function goRegex(pattern: string): RegExp {
  // Go RE2 inline flags at the start ((?i)) are the common case in policies.
  const flags = /^\(\?([imsU]+)\)/.exec(pattern);
  if (flags) {
    const js = flags[1]!.replace(/[^ims]/g, '');
    return new RegExp(pattern.slice(flags[0].length), js);
  }
  return new RegExp(pattern);
}

type Operand =
  { kind: 'number'; value: number } | { kind: 'quantity'; text: string } | { kind: 'duration'; ns: number };

function operand(value: unknown): Operand {
  if (typeof value === 'number') return { kind: 'number', value };
  if (typeof value === 'string') {
    const duration = parseDuration(value);
    if (duration !== undefined) return { kind: 'duration', ns: duration };
    if (parseQuantity(value) !== undefined) return { kind: 'quantity', text: value };
  }
  throw new Error(`invalid operand ${JSON.stringify(value)}: expected a number, a quantity or a duration`);
}

function quantityValue(text: string): number {
  return parseQuantity(text)!;
}

function formatQuantityLike(value: number, like: string): string {
  const suffix = /[a-zA-Z]+$/.exec(like)?.[0] ?? '';
  const scale = parseQuantity(`1${suffix}`) ?? 1;
  const scaled = value / scale;
  return `${Number.isInteger(scaled) ? scaled : Number(scaled.toPrecision(15))}${suffix}`;
}

function arithmetic(name: string, a: unknown, b: unknown): JSONValue {
  const x = operand(a);
  const y = operand(b);
  const numeric = (op: (p: number, q: number) => number): JSONValue => {
    if (x.kind === 'number' && y.kind === 'number') return op(x.value, y.value);
    if (x.kind === 'duration' && y.kind === 'duration') return formatDuration(op(x.ns, y.ns));
    if (x.kind === 'duration' && y.kind === 'number') return formatDuration(op(x.ns, y.value * 1e9));
    if (x.kind === 'number' && y.kind === 'duration') return formatDuration(op(x.value * 1e9, y.ns));
    const like = x.kind === 'quantity' ? x.text : (y as { text: string }).text;
    const p = x.kind === 'quantity' ? quantityValue(x.text) : x.kind === 'number' ? x.value : NaN;
    const q = y.kind === 'quantity' ? quantityValue(y.text) : y.kind === 'number' ? y.value : NaN;
    if (Number.isNaN(p) || Number.isNaN(q)) throw new Error(`${name}: mixed quantity and duration operands`);
    return formatQuantityLike(op(p, q), like);
  };
  switch (name) {
    case 'add':
      return numeric((p, q) => p + q);
    case 'subtract':
      return numeric((p, q) => p - q);
    case 'multiply':
      if (x.kind !== 'number' && y.kind !== 'number')
        throw new Error('multiply: one operand must be a number');
      return numeric((p, q) => p * q);
    case 'divide': {
      const divisor = y.kind === 'number' ? y.value : y.kind === 'duration' ? y.ns : quantityValue(y.text);
      if (divisor === 0) throw new Error('divide: zero divisor');
      if (x.kind !== 'number' && y.kind !== 'number') {
        const dividend = x.kind === 'duration' ? x.ns : quantityValue((x as { text: string }).text);
        return dividend / divisor;
      }
      return numeric((p, q) => p / q);
    }
    case 'modulo': {
      const modulus = (p: number, q: number) => {
        if (q === 0) throw new Error('modulo: zero divisor');
        return p % q;
      };
      return numeric(modulus);
    }
  }
  throw new Error(`unknown arithmetic function ${name}`);
}

function timeOf(value: string): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) throw new Error(`invalid RFC 3339 time "${value}"`);
  return date;
}

function goTime(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

function labelMatch(selector: unknown, labels: unknown): boolean {
  if (!isObject(selector) || !isObject(labels)) return false;
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function semverParts(version: string): [number[], string] | undefined {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(
    version.trim(),
  );
  if (!match) return undefined;
  return [[Number(match[1]), Number(match[2] ?? 0), Number(match[3] ?? 0)], match[4] ?? ''];
}

function semverCmp(a: string, b: string): number {
  const x = semverParts(a);
  const y = semverParts(b);
  if (!x || !y) throw new Error(`invalid semantic version ${!x ? a : b}`);
  for (let i = 0; i < 3; i += 1) if (x[0][i] !== y[0][i]) return x[0][i]! < y[0][i]! ? -1 : 1;
  if (x[1] === y[1]) return 0;
  if (x[1] === '') return 1;
  if (y[1] === '') return -1;
  return x[1] < y[1] ? -1 : 1;
}

/** Whether `version` satisfies a Masterminds-style range (`>=1.2.0`, `<2 || >3`, `1.x`). */
function semverSatisfies(version: string, range: string): boolean {
  return range.split('||').some((alternative) =>
    alternative
      .trim()
      .split(/[\s,]+/)
      .filter(Boolean)
      .every((constraint) => {
        const match = /^(>=|<=|!=|=|>|<|~|\^)?\s*(.+)$/.exec(constraint)!;
        const op = match[1] ?? '=';
        const target = match[2]!;
        if (/[xX*]/.test(target)) {
          const prefix = target.split('.').filter((part) => !/^[xX*]$/.test(part));
          const parts = semverParts(version)?.[0] ?? [];
          return prefix.every((part, i) => Number(part) === parts[i]);
        }
        const cmp = semverCmp(version, target);
        switch (op) {
          case '>=':
            return cmp >= 0;
          case '<=':
            return cmp <= 0;
          case '>':
            return cmp > 0;
          case '<':
            return cmp < 0;
          case '!=':
            return cmp !== 0;
          case '~': {
            const t = semverParts(target)![0];
            const v = semverParts(version)![0];
            return cmp >= 0 && v[0] === t[0] && v[1] === t[1];
          }
          case '^': {
            const t = semverParts(target)![0];
            const v = semverParts(version)![0];
            return cmp >= 0 && v[0] === t[0];
          }
          default:
            return cmp === 0;
        }
      }),
  );
}

/** `docker.io/library/nginx:latest` for `nginx`, as Kyverno's image_normalize gives it. */
function normalizeImage(image: string): string {
  let rest = image;
  let digest = '';
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at);
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
    tag = repository.slice(colon);
    repository = repository.slice(0, colon);
  }
  if (registry === 'docker.io' && !repository.includes('/')) repository = `library/${repository}`;
  if (!tag && !digest) tag = ':latest';
  return `${registry}/${repository}${tag}${digest}`;
}

const registered: string[] = [];

function define(
  name: string,
  fn: (args: unknown[]) => unknown,
  signature: Array<{ types: number[]; optional?: boolean; variadic?: boolean }>,
): void {
  registerFunction(name, ((args: unknown[]) => fn(args) as JSONValue) as never, signature as never, {
    override: true,
  });
  registered.push(name);
}

const S = { types: [TYPE_STRING] };
const A = { types: [TYPE_ANY] };
const N = { types: [TYPE_NUMBER] };

define('compare', ([a, b]) => (String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0), [S, S]);
define('equal_fold', ([a, b]) => String(a).toLowerCase() === String(b).toLowerCase(), [S, S]);
define(
  'replace',
  ([s, o, n, count]) => {
    let out = String(s);
    let left = Number(count);
    if (left < 0) return out.split(String(o)).join(String(n));
    while (left > 0 && out.includes(String(o))) {
      out = out.replace(String(o), String(n));
      left -= 1;
    }
    return out;
  },
  [S, S, S, N],
);
define('replace_all', ([s, o, n]) => String(s).split(String(o)).join(String(n)), [S, S, S]);
define('to_upper', ([s]) => String(s).toUpperCase(), [S]);
define('to_lower', ([s]) => String(s).toLowerCase(), [S]);
define(
  'trim',
  ([s, cut]) => {
    const chars = new Set(String(cut));
    const text = [...String(s)];
    let start = 0;
    let end = text.length;
    while (start < end && chars.has(text[start]!)) start += 1;
    while (end > start && chars.has(text[end - 1]!)) end -= 1;
    return text.slice(start, end).join('');
  },
  [S, S],
);
define('trim_prefix', ([s, p]) => (String(s).startsWith(String(p)) ? String(s).slice(String(p).length) : s), [
  S,
  S,
]);
define('split', ([s, sep]) => String(s).split(String(sep)), [S, S]);
define(
  'regex_replace_all',
  ([re, src, repl]) =>
    str(src).replace(
      new RegExp(goRegex(String(re)).source, 'g'),
      String(repl).replace(/\$\{?(\d+)\}?/g, '$$$1'),
    ),
  [S, { types: [TYPE_STRING, TYPE_NUMBER] }, { types: [TYPE_STRING, TYPE_NUMBER] }],
);
define(
  'regex_replace_all_literal',
  ([re, src, repl]) => str(src).replace(new RegExp(goRegex(String(re)).source, 'g'), () => String(repl)),
  [S, { types: [TYPE_STRING, TYPE_NUMBER] }, { types: [TYPE_STRING, TYPE_NUMBER] }],
);
define('regex_match', ([re, s]) => goRegex(String(re)).test(str(s)), [
  S,
  { types: [TYPE_STRING, TYPE_NUMBER] },
]);
define('pattern_match', ([p, s]) => wildcardMatch(String(p), str(s)), [
  S,
  { types: [TYPE_STRING, TYPE_NUMBER] },
]);
define('label_match', ([selector, labels]) => labelMatch(selector, labels), [
  { types: [TYPE_OBJECT] },
  { types: [TYPE_OBJECT] },
]);
define(
  'to_boolean',
  ([s]) => {
    const v = String(s).toLowerCase();
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw new Error(`to_boolean: "${String(s)}" is not a boolean`);
  },
  [S],
);
for (const name of ['add', 'subtract', 'multiply', 'divide', 'modulo'])
  define(name, ([a, b]) => arithmetic(name, a, b), [A, A]);
define(
  'sum',
  ([list]) => {
    const items = list as unknown[];
    if (items.length === 0) throw new Error('sum: empty list');
    return items.slice(1).reduce<unknown>((total, item) => arithmetic('add', total, item), items[0]);
  },
  [{ types: [TYPE_ARRAY] }],
);
define(
  'round',
  ([n, digits]) => {
    const factor = 10 ** Number(digits);
    return Math.round(Number(n) * factor) / factor;
  },
  [N, N],
);
define('base64_decode', ([s]) => Buffer.from(String(s), 'base64').toString('utf8'), [S]);
define('x509_decode', ([s]) => x509Decode(String(s)), [S]);
define('base64_encode', ([s]) => Buffer.from(String(s), 'utf8').toString('base64'), [S]);
define(
  'time_since',
  ([, a, b]) =>
    formatDuration(
      (timeOf(String(b || new Date().toISOString())).getTime() - timeOf(String(a)).getTime()) * 1e6,
    ),
  [S, S, S],
);
define('time_now', () => goTime(new Date()), []);
define('time_now_utc', () => goTime(new Date()), []);
define('time_utc', ([t]) => goTime(timeOf(String(t))), [S]);
define(
  'time_add',
  ([t, d]) => goTime(new Date(timeOf(String(t)).getTime() + (parseDuration(String(d)) ?? NaN) / 1e6)),
  [S, S],
);
define('time_parse', ([, t]) => goTime(timeOf(String(t))), [S, S]);
define(
  'time_diff',
  ([a, b]) => formatDuration((timeOf(String(b)).getTime() - timeOf(String(a)).getTime()) * 1e6),
  [S, S],
);
define('time_before', ([a, b]) => timeOf(String(a)) < timeOf(String(b)), [S, S]);
define('time_after', ([a, b]) => timeOf(String(a)) > timeOf(String(b)), [S, S]);
define(
  'time_between',
  ([t, a, b]) => timeOf(String(t)) > timeOf(String(a)) && timeOf(String(t)) < timeOf(String(b)),
  [S, S, S],
);
define(
  'time_truncate',
  ([t, d]) => {
    const step = (parseDuration(String(d)) ?? 0) / 1e6;
    const ms = timeOf(String(t)).getTime();
    return goTime(new Date(step > 0 ? ms - (ms % step) : ms));
  },
  [S, S],
);
define(
  'time_to_cron',
  ([t]) => {
    const d = timeOf(String(t));
    return `${d.getUTCMinutes()} ${d.getUTCHours()} ${d.getUTCDate()} ${d.getUTCMonth() + 1} ${d.getUTCDay()}`;
  },
  [S],
);
define('path_canonicalize', ([p]) => path.posix.normalize(String(p)).replace(/(.)\/$/, '$1'), [S]);
define(
  'truncate',
  ([s, n]) => {
    const length = Math.max(0, Number(n));
    return String(s).slice(0, length);
  },
  [S, N],
);
define('semver_compare', ([v, range]) => semverSatisfies(String(v), String(range)), [S, S]);
define('parse_json', ([s]) => JSON.parse(String(s)) as unknown, [S]);
define('parse_yaml', ([s]) => parseYaml(String(s)) as unknown, [S]);
define(
  'lookup',
  ([collection, key]) => {
    if (Array.isArray(collection)) return collection[Number(key)] ?? null;
    if (isObject(collection)) return collection[String(key)] ?? null;
    return null;
  },
  [{ types: [TYPE_OBJECT, TYPE_ARRAY] }, { types: [TYPE_STRING, TYPE_NUMBER] }],
);
define(
  'items',
  ([input, keyName, valueName]) => {
    if (Array.isArray(input))
      return input.map((value, index) => ({
        [String(keyName)]: index,
        [String(valueName)]: value as unknown,
      }));
    return Object.keys(input as Record<string, unknown>)
      .sort()
      .map((key) => ({
        [String(keyName)]: key,
        [String(valueName)]: (input as Record<string, unknown>)[key],
      }));
  },
  [{ types: [TYPE_OBJECT, TYPE_ARRAY] }, S, S],
);
define(
  'object_from_lists',
  ([keys, values]) => {
    const out: Record<string, unknown> = {};
    (keys as unknown[]).forEach((key, i) => {
      out[String(key)] = (values as unknown[])[i] ?? null;
    });
    return out;
  },
  [{ types: [TYPE_ARRAY] }, { types: [TYPE_ARRAY] }],
);
define('image_normalize', ([s]) => normalizeImage(String(s)), [S]);
define(
  'is_external_url',
  ([s]) => {
    try {
      const url = new URL(String(s));
      const host = url.hostname;
      return !(
        host === 'localhost' ||
        /^127\./.test(host) ||
        /^10\./.test(host) ||
        /^192\.168\./.test(host) ||
        /^172\.(1[6-9]|2\d|3[01])\./.test(host) ||
        host === '::1' ||
        host === '[::1]'
      );
    } catch {
      return false;
    }
  },
  [S],
);
define('sha256', ([s]) => createHash('sha256').update(String(s)).digest('hex'), [S]);
define('sha1', ([s]) => createHash('sha1').update(String(s)).digest('hex'), [S]);
define('md5', ([s]) => createHash('md5').update(String(s)).digest('hex'), [S]);

/** The custom functions parapet adds to JMESPath (Kyverno's), sorted. */
export const kyvernoFunctions: readonly string[] = [...registered].sort();

export { compareQuantities };
