/**
 * Condition operators of `preconditions` and `deny.conditions` as Kyverno evaluates them, on
 * key and value after variable substitution.
 */
import { validateValue, operatorOf } from './pattern.js';
import { parseDuration, parseQuantity, compareQuantities } from './quantity.js';
import { wildcardMatch } from './wildcard.js';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (Array.isArray(a))
    return Array.isArray(b) && a.length === b.length && a.every((item, i) => deepEqual(item, b[i]));
  if (isObject(a)) {
    if (!isObject(b)) return false;
    const keys = Object.keys(a);
    return (
      keys.length === Object.keys(b).length && keys.every((key) => key in b && deepEqual(a[key], b[key]))
    );
  }
  return false;
}

/** Go's fmt.Sprint of a JSON value. */
function sprint(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(sprint).join(' ')}]`;
  return `map[${Object.keys(value as Obj)
    .sort()
    .map((key) => `${key}:${sprint((value as Obj)[key])}`)
    .join(' ')}]`;
}

function goParseFloat(text: string): number | undefined {
  if (!/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/.test(text.trim()) || text.trim() !== text)
    return undefined;
  return Number(text);
}

function durations(key: unknown, value: unknown): [number, number] | undefined {
  const k = typeof key === 'string' ? parseDuration(key) : typeof key === 'number' ? key * 1e9 : undefined;
  const v =
    typeof value === 'string' ? parseDuration(value) : typeof value === 'number' ? value * 1e9 : undefined;
  if (k === undefined || v === undefined) return undefined;
  if (typeof key !== 'string' && typeof value !== 'string') return undefined;
  return [k, v];
}

function equals(key: unknown, value: unknown): boolean {
  if (typeof key === 'boolean') return typeof value === 'boolean' && key === value;
  if (typeof key === 'number') {
    if (typeof value === 'number') return key === value;
    if (typeof value === 'string') {
      const parsed = goParseFloat(value);
      return parsed !== undefined && parsed === key;
    }
    return false;
  }
  if (typeof key === 'string') {
    if (typeof value === 'string') {
      const d = durations(key, value);
      if (d) return d[0] === d[1];
      if (parseQuantity(key) !== undefined) {
        if (parseQuantity(value) === undefined) return false;
        return compareQuantities(key, value) === 0;
      }
      return wildcardMatch(value, key);
    }
    if (typeof value === 'number') {
      const d = durations(key, value);
      if (d) return d[0] === d[1];
    }
    return false;
  }
  if (Array.isArray(key)) return Array.isArray(value) && deepEqual(key, value);
  if (isObject(key)) return isObject(value) && deepEqual(key, value);
  return false;
}

/** The candidate strings of an In-style value: a list, one string, or a JSON array in a string. */
function valueStrings(value: unknown): string[] | undefined {
  if (Array.isArray(value)) return value.map(sprint);
  if (typeof value === 'number' || typeof value === 'boolean') return [sprint(value)];
  if (typeof value === 'string') {
    try {
      const parsed = JSON.parse(value) as unknown;
      if (Array.isArray(parsed))
        return parsed.map((item) => (typeof item === 'string' ? item : sprint(item)));
      if (typeof parsed === 'string') return [parsed];
    } catch {
      // a plain string is a one-item set
    }
    return [value];
  }
  return undefined;
}

function keyStrings(key: unknown): string[] | undefined {
  if (typeof key === 'string') return [key];
  if (typeof key === 'number' || typeof key === 'boolean') return [sprint(key)];
  if (Array.isArray(key)) return key.map(sprint);
  return undefined;
}

function matchesEither(a: string, b: string): boolean {
  return wildcardMatch(a, b) || wildcardMatch(b, a);
}

function inRange(key: string, value: unknown): boolean {
  return typeof value === 'string' && operatorOf(value) === '-' && validateValue(key, value);
}

function anyIn(key: unknown, value: unknown, negate: boolean): boolean {
  const keys = keyStrings(key);
  if (!keys) return false;
  if (typeof value === 'string' && operatorOf(value) === '-') {
    const range = negate ? value.replace('-', '!-') : value;
    return keys.some((k) => validateValue(k, range));
  }
  const values = valueStrings(value);
  if (!values) return false;
  if (negate) return keys.some((k) => !values.some((v) => matchesEither(k, v)));
  return keys.some((k) => values.some((v) => matchesEither(k, v)));
}

function allIn(key: unknown, value: unknown, negate: boolean): boolean {
  const keys = keyStrings(key);
  if (!keys) return false;
  if (typeof value === 'string' && operatorOf(value) === '-') {
    const range = negate ? value.replace('-', '!-') : value;
    return keys.every((k) => validateValue(k, range));
  }
  const values = valueStrings(value);
  if (!values) return false;
  if (negate) return keys.every((k) => !values.some((v) => matchesEither(k, v)));
  return keys.every((k) => values.some((v) => matchesEither(k, v)));
}

/** The deprecated `In`: a string key is one of the values; a list key lies wholly within them. */
function legacyIn(key: unknown, value: unknown): boolean {
  if (typeof key === 'string' || typeof key === 'number' || typeof key === 'boolean') {
    const k = sprint(key);
    if (inRange(k, value)) return true;
    if (Array.isArray(value)) return value.some((v) => wildcardMatch(sprint(v), k));
    if (typeof value === 'string') {
      if (wildcardMatch(value, k)) return true;
      return (valueStrings(value) ?? []).includes(k);
    }
    return false;
  }
  if (Array.isArray(key)) {
    const values = valueStrings(value);
    if (!values) return false;
    return key.every((k) => values.some((v) => wildcardMatch(v, sprint(k))));
  }
  return false;
}

function numeric(key: unknown, value: unknown, test: (cmp: number) => boolean): boolean {
  const d = durations(key, value);
  if (d && (typeof key === 'string' || typeof value === 'string')) return test(Math.sign(d[0] - d[1]));
  const toNumber = (v: unknown) =>
    typeof v === 'number' ? v : typeof v === 'string' ? goParseFloat(v) : undefined;
  if (typeof key === 'string' && typeof value === 'string') {
    if (parseQuantity(key) !== undefined && parseQuantity(value) !== undefined)
      return test(compareQuantities(key, value)!);
  }
  const k = toNumber(key);
  const v = toNumber(value);
  if (k !== undefined && v !== undefined) return test(Math.sign(k - v));
  if (typeof key === 'string' && typeof value === 'string') {
    const cmp = semverCompare(key, value);
    if (cmp !== undefined) return test(cmp);
  }
  return false;
}

function semverCompare(a: string, b: string): number | undefined {
  const parse = (text: string) =>
    /^(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/.exec(text);
  const x = parse(a);
  const y = parse(b);
  if (!x || !y) return undefined;
  for (let i = 1; i <= 3; i += 1)
    if (Number(x[i]) !== Number(y[i])) return Number(x[i]) < Number(y[i]) ? -1 : 1;
  const px = x[4] ?? '';
  const py = y[4] ?? '';
  if (px === py) return 0;
  if (!px) return 1;
  if (!py) return -1;
  return px < py ? -1 : 1;
}

function durationOp(key: unknown, value: unknown, test: (cmp: number) => boolean): boolean {
  const toNs = (v: unknown) =>
    typeof v === 'number' ? v * 1e9 : typeof v === 'string' ? parseDuration(v) : undefined;
  const k = toNs(key);
  const v = toNs(value);
  if (k === undefined || v === undefined) return false;
  return test(Math.sign(k - v));
}

/** The operators Kyverno documents, by name (the deprecated ones included). */
export const conditionOperators: Record<string, (key: unknown, value: unknown) => boolean> = {
  Equals: equals,
  Equal: equals,
  NotEquals: (k, v) => !equals(k, v),
  NotEqual: (k, v) => !equals(k, v),
  In: legacyIn,
  NotIn: (k, v) => !legacyIn(k, v),
  AnyIn: (k, v) => anyIn(k, v, false),
  AllIn: (k, v) => allIn(k, v, false),
  AnyNotIn: (k, v) => anyIn(k, v, true),
  AllNotIn: (k, v) => allIn(k, v, true),
  GreaterThan: (k, v) => numeric(k, v, (c) => c > 0),
  GreaterThanOrEquals: (k, v) => numeric(k, v, (c) => c >= 0),
  LessThan: (k, v) => numeric(k, v, (c) => c < 0),
  LessThanOrEquals: (k, v) => numeric(k, v, (c) => c <= 0),
  DurationGreaterThan: (k, v) => durationOp(k, v, (c) => c > 0),
  DurationGreaterThanOrEquals: (k, v) => durationOp(k, v, (c) => c >= 0),
  DurationLessThan: (k, v) => durationOp(k, v, (c) => c < 0),
  DurationLessThanOrEquals: (k, v) => durationOp(k, v, (c) => c <= 0),
};

/** Operators are matched case-insensitively, as Kyverno's CRD accepts them. */
export function operatorNamed(name: string): ((key: unknown, value: unknown) => boolean) | undefined {
  const direct = conditionOperators[name];
  if (direct) return direct;
  const lower = name.toLowerCase();
  const found = Object.keys(conditionOperators).find((op) => op.toLowerCase() === lower);
  return found ? conditionOperators[found] : undefined;
}
