/**
 * `validate.pattern` as Kyverno matches it: anchors (conditional `()`, equality `=()`, existence
 * `^()`, negation `X()`, global `<()`), wildcards, value operators (`!`, `|`, `&`, `>`, `<`, `>=`,
 * `<=`, ranges `a-b`, `a!-b`), quantities and durations compared by value, and Kyverno's outcome
 * rules: a failed conditional or global anchor skips the rule, a missing anchored key is an error.
 */
import { compareQuantities, parseDuration, parseQuantity } from './quantity.js';
import { hasWildcard, wildcardMatch } from './wildcard.js';

type Obj = Record<string, unknown>;

function isObject(value: unknown): value is Obj {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export type AnchorType = '' | '<' | 'X' | '+' | '=' | '^';

export interface Anchor {
  modifier: AnchorType;
  key: string;
}

const ANCHOR = /^([+<=X^])?\((.+)\)$/;

/** The anchor a pattern key is, or undefined for a plain key. */
export function parseAnchor(text: string): Anchor | undefined {
  if (anchors.has(text)) return anchors.get(text);
  const match = ANCHOR.exec(text.trim());
  const anchor = match ? { modifier: (match[1] ?? '') as AnchorType, key: match[2]! } : undefined;
  if (anchors.size > 10_000) anchors.clear();
  anchors.set(text, anchor);
  return anchor;
}

// Pattern keys repeat on every resource: parse each once.
const anchors = new Map<string, Anchor | undefined>();

type ErrorKind = 'plain' | 'conditional' | 'global' | 'negation';

/** A pattern mismatch; `grouped` marks Kyverno's PatternError (skips gathered from below). */
class Mismatch {
  constructor(
    readonly message: string,
    readonly kind: ErrorKind = 'plain',
    readonly grouped = false,
  ) {}
}

function isSkip(error: Mismatch): boolean {
  return (
    error.kind === 'conditional' ||
    error.kind === 'global' ||
    error.message.includes('conditional anchor mismatch') ||
    error.message.includes('global anchor mismatch')
  );
}

function isNegation(error: Mismatch): boolean {
  return error.kind === 'negation' || error.message.includes('negation anchor matched in resource');
}

class AnchorTracker {
  readonly seen = new Map<string, boolean>();
  error: Mismatch | undefined;

  check(pattern: Obj, resource: unknown): void {
    for (const key of Object.keys(pattern)) {
      const anchor = parseAnchor(key);
      if (!anchor || !(anchor.modifier === '' || anchor.modifier === '^' || anchor.modifier === 'X'))
        continue;
      if (this.seen.get(key) === true) continue;
      if (!this.seen.has(key)) this.seen.set(key, false);
      if (hasKey(resource, anchor.key)) this.seen.set(key, true);
    }
  }

  keysAreMissing(): boolean {
    for (const [key, found] of this.seen) {
      if (found) continue;
      if (parseAnchor(key)?.modifier === 'X') continue;
      return true;
    }
    return false;
  }
}

function hasKey(resource: unknown, key: string): boolean {
  if (isObject(resource)) return Object.prototype.hasOwnProperty.call(resource, key);
  if (Array.isArray(resource)) return resource.some((item) => hasKey(item, key));
  return false;
}

export type PatternOutcome =
  | { status: 'pass' }
  | { status: 'skip'; message: string }
  | { status: 'fail'; message: string; path: string }
  | { status: 'error'; message: string };

/** Match `resource` against `pattern` (variables already substituted). */
export function matchPattern(resource: unknown, pattern: unknown): PatternOutcome {
  const tracker = new AnchorTracker();
  const result = element(resource, pattern, '/', tracker);
  if (!result) return { status: 'pass' };
  const [path, error] = result;
  if (isSkip(error)) return { status: 'skip', message: error.message };
  if (isNegation(error)) return { status: 'fail', message: error.message, path };
  if (tracker.keysAreMissing()) return { status: 'error', message: error.message };
  if (path === '') return { status: 'error', message: error.message };
  return { status: 'fail', message: error.message, path };
}

type Failure = [string, Mismatch] | undefined;

function typeName(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return '[]interface {}';
  if (typeof value === 'object') return 'map[string]interface {}';
  if (typeof value === 'number') return Number.isInteger(value) ? 'int64' : 'float64';
  return typeof value === 'boolean' ? 'bool' : 'string';
}

function goValue(value: unknown): string {
  if (value === null || value === undefined) return '<nil>';
  if (Array.isArray(value)) return `[${value.map(goValue).join(' ')}]`;
  if (typeof value === 'object')
    return `map[${Object.keys(value as Obj)
      .sort()
      .map((key) => `${key}:${goValue((value as Obj)[key])}`)
      .join(' ')}]`;
  return String(value);
}

function element(resource: unknown, pattern: unknown, path: string, tracker: AnchorTracker): Failure {
  if (isObject(pattern)) {
    if (!isObject(resource))
      return [
        path,
        new Mismatch(
          `pattern and resource have different structures. Path: ${path}. Expected map[string]interface {}, found ${typeName(resource)}`,
        ),
      ];
    tracker.check(pattern, resource);
    return map(resource, pattern, path, tracker);
  }
  if (Array.isArray(pattern)) {
    if (!Array.isArray(resource))
      return [
        path,
        new Mismatch(
          `validation rule failed at path ${path}, resource does not satisfy the expected overlay pattern`,
        ),
      ];
    return array(resource, pattern, path, tracker);
  }
  if (Array.isArray(resource)) {
    for (const item of resource)
      if (!validateValue(item, pattern))
        return [
          path,
          new Mismatch(
            `resource value '${goValue(resource)}' does not match '${goValue(pattern)}' at path ${path}`,
          ),
        ];
    return undefined;
  }
  if (!validateValue(resource, pattern))
    return [
      path,
      new Mismatch(
        `resource value '${goValue(resource)}' does not match '${goValue(pattern)}' at path ${path}`,
      ),
    ];
  return undefined;
}

/** Wildcard keys under metadata.labels / metadata.annotations stand for every resource key they match. */
function expandMetadata(pattern: Obj, resource: Obj): Obj {
  const metadata = pattern.metadata;
  const resourceMetadata = resource.metadata;
  if (!isObject(metadata) || !isObject(resourceMetadata)) return pattern;
  let changed = false;
  const expanded: Obj = { ...metadata };
  for (const field of ['labels', 'annotations']) {
    const patternMap = metadata[field];
    const resourceMap = resourceMetadata[field];
    if (!isObject(patternMap)) continue;
    const out: Obj = {};
    let fieldChanged = false;
    for (const [key, value] of Object.entries(patternMap)) {
      const anchor = parseAnchor(key);
      const name = anchor ? anchor.key : key;
      if (!hasWildcard(name)) {
        out[key] = value;
        continue;
      }
      const matches = isObject(resourceMap)
        ? Object.keys(resourceMap).filter((k) => wildcardMatch(name, k))
        : [];
      if (matches.length === 0) {
        out[key] = value;
        continue;
      }
      fieldChanged = true;
      for (const match of matches) out[anchor ? `${anchor.modifier}(${match})` : match] = value;
    }
    if (fieldChanged) {
      expanded[field] = out;
      changed = true;
    }
  }
  return changed ? { ...pattern, metadata: expanded } : pattern;
}

function hasNestedAnchors(value: unknown): boolean {
  if (isObject(value)) {
    for (const [key, item] of Object.entries(value)) {
      const anchor = parseAnchor(key);
      if (
        anchor &&
        (anchor.modifier === '' ||
          anchor.modifier === '<' ||
          anchor.modifier === '^' ||
          anchor.modifier === '=' ||
          anchor.modifier === 'X')
      )
        return true;
      if (hasNestedAnchors(item)) return true;
    }
    return false;
  }
  if (Array.isArray(value)) return value.some(hasNestedAnchors);
  return false;
}

function combine(errors: Mismatch[]): string {
  return errors.map((error) => error.message).join('; ');
}

interface MapPlan {
  /** Condition, existence, equality and negation anchors, in key order. */
  anchors: string[];
  /** The other keys: global anchors and keys holding anchors first, then the rest, each in key order. */
  rest: string[];
}

const plans = new WeakMap<Obj, MapPlan>();

/** How a pattern map is walked, worked out once per pattern object. */
function planOf(pattern: Obj): MapPlan {
  let plan = plans.get(pattern);
  if (plan) return plan;
  const anchors: string[] = [];
  const plain: string[] = [];
  for (const key of Object.keys(pattern)) {
    const anchor = parseAnchor(key);
    if (
      anchor &&
      (anchor.modifier === '' ||
        anchor.modifier === '^' ||
        anchor.modifier === '=' ||
        anchor.modifier === 'X')
    )
      anchors.push(key);
    else plain.push(key);
  }
  anchors.sort();
  const front: string[] = [];
  const back: string[] = [];
  for (const key of plain.sort()) {
    if (parseAnchor(key)?.modifier === '<' || hasNestedAnchors(pattern[key])) front.unshift(key);
    else back.push(key);
  }
  plan = { anchors, rest: [...front, ...back] };
  plans.set(pattern, plan);
  return plan;
}

function map(resource: Obj, given: Obj, path: string, tracker: AnchorTracker): Failure {
  const pattern = expandMetadata(given, resource);
  const plan = planOf(pattern);
  const skipErrors: Mismatch[] = [];
  let applied = 0;
  const skipSiblingExists = () => skipErrors.some((error) => !error.grouped);
  for (const key of plan.anchors) {
    const result = handle(key, pattern[key], resource, path, tracker);
    if (result) {
      if (isSkip(result[1])) {
        skipErrors.push(result[1]);
        continue;
      }
      if (!skipSiblingExists()) return result;
      continue;
    }
    applied += 1;
  }
  if (skipErrors.length > 0 && (applied === 0 || skipSiblingExists()))
    return [path, new Mismatch(combine(skipErrors), 'plain', true)];
  for (const key of plan.rest) {
    const result = handle(key, pattern[key], resource, path, tracker);
    if (result) return result;
  }
  return undefined;
}

function handle(key: string, pattern: unknown, resource: Obj, path: string, tracker: AnchorTracker): Failure {
  const anchor = parseAnchor(key);
  if (!anchor || anchor.modifier === '+') {
    const current = `${path}${key}/`;
    const value = resource[key];
    if (pattern === '*') {
      if (value !== null && value !== undefined) return undefined;
      return [path, new Mismatch(`${path}/${key} not found`)];
    }
    return element(value, pattern, current, tracker);
  }
  const current = `${path}${anchor.key}/`;
  const present = Object.prototype.hasOwnProperty.call(resource, anchor.key);
  const value = resource[anchor.key];
  switch (anchor.modifier) {
    case 'X':
      if (present) {
        const error = new Mismatch(
          `negation anchor matched in resource: ${current} is not allowed`,
          'negation',
        );
        tracker.error = error;
        return [current, error];
      }
      return undefined;
    case '=': {
      if (!present) return undefined;
      return element(value, pattern, current, tracker);
    }
    case '': {
      if (!present)
        return [
          current,
          new Mismatch(
            "conditional anchor mismatch: conditional anchor key doesn't exist in the resource",
            'conditional',
          ),
        ];
      const result = element(value, pattern, current, tracker);
      if (result) {
        const error = new Mismatch(`conditional anchor mismatch: ${result[1].message}`, 'conditional');
        tracker.error = error;
        return [result[0], error];
      }
      return undefined;
    }
    case '<': {
      if (!present) return undefined;
      const result = element(value, pattern, current, tracker);
      if (result) {
        const error = new Mismatch(`global anchor mismatch: ${result[1].message}`, 'global');
        tracker.error = error;
        return [result[0], error];
      }
      return undefined;
    }
    case '^': {
      if (!present) return undefined;
      if (!Array.isArray(value))
        return [
          current,
          new Mismatch(
            `invalid resource type: Existence ^ () anchor can be used only on list/array type resource`,
          ),
        ];
      if (!Array.isArray(pattern))
        return [
          current,
          new Mismatch('invalid pattern type: Pattern has to be of list to compare against resource'),
        ];
      for (const patternItem of pattern) {
        if (!isObject(patternItem))
          return [
            current,
            new Mismatch(
              'invalid pattern type: Pattern has to be of type map to compare against items in resource',
            ),
          ];
        const found = value.some(
          (item, i) => element(item, patternItem, `${current}${i}/`, tracker) === undefined,
        );
        if (!found) return [current, new Mismatch(`existence anchor validation failed at path ${current}`)];
      }
      return undefined;
    }
  }
  return undefined;
}

function array(resource: unknown[], pattern: unknown[], path: string, tracker: AnchorTracker): Failure {
  if (pattern.length === 0) return [path, new Mismatch('pattern Array empty')];
  const first = pattern[0];
  if (isObject(first)) {
    let applied = 0;
    const skipErrors: Mismatch[] = [];
    for (let i = 0; i < resource.length; i += 1) {
      const result = element(resource[i], first, `${path}${i}/`, tracker);
      if (result) {
        if (isSkip(result[1])) {
          skipErrors.push(result[1]);
          continue;
        }
        return result;
      }
      applied += 1;
    }
    if (applied === 0 && skipErrors.length > 0)
      return [path, new Mismatch(combine(skipErrors), 'plain', true)];
    return undefined;
  }
  if (!Array.isArray(first)) return element(resource, first, path, tracker);
  if (resource.length < pattern.length)
    return [
      '',
      new Mismatch(
        `validate Array failed, array length mismatch, resource Array len is ${resource.length} and pattern Array len is ${pattern.length}`,
      ),
    ];
  let applied = 0;
  const skipErrors: Mismatch[] = [];
  for (let i = 0; i < pattern.length; i += 1) {
    const result = element(resource[i], pattern[i], `${path}${i}/`, tracker);
    if (result) {
      if (isSkip(result[1])) {
        skipErrors.push(result[1]);
        continue;
      }
      return result;
    }
    applied += 1;
  }
  if (applied === 0 && skipErrors.length > 0) return [path, new Mismatch(combine(skipErrors), 'plain', true)];
  return undefined;
}

// ---- scalar values --------------------------------------------------------------------------

/** Whether one scalar resource value satisfies one scalar pattern value. */
export function validateValue(value: unknown, pattern: unknown): boolean {
  if (typeof pattern === 'boolean') return typeof value === 'boolean' && value === pattern;
  if (typeof pattern === 'number') {
    if (typeof value === 'number') return value === pattern;
    if (typeof value === 'string') {
      const parsed = strictNumber(value, Number.isInteger(pattern));
      return parsed !== undefined && parsed === pattern;
    }
    return false;
  }
  if (pattern === null || pattern === undefined) {
    if (value === null || value === undefined) return true;
    if (typeof value === 'number') return value === 0;
    if (typeof value === 'string') return value === '';
    if (typeof value === 'boolean') return !value;
    return false;
  }
  if (isObject(pattern)) return isObject(value);
  if (Array.isArray(pattern)) return false;
  if (typeof pattern === 'string') return validateStringPatterns(value, pattern);
  return false;
}

function strictNumber(text: string, integer: boolean): number | undefined {
  if (
    integer
      ? !/^[+-]?\d+$/.test(text)
      : !/^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$|^[+-]?(Inf|inf|NaN)$/.test(text)
  )
    return undefined;
  return Number(text);
}

function validateStringPatterns(value: unknown, pattern: string): boolean {
  if (value === pattern) return true;
  for (const alternative of pattern.split('|')) {
    const condition = alternative.trim();
    if (condition.split('&').every((part) => validateStringPattern(value, part.trim()))) return true;
  }
  return false;
}

type Op = '' | '>=' | '<=' | '!' | '>' | '<' | '-' | '!-';

const IN_RANGE = /^([-|+]?\d+(?:\.\d+)?[A-Za-z]*)-([-|+]?\d+(?:\.\d+)?[A-Za-z]*)$/;
const NOT_IN_RANGE = /^([-|+]?\d+(?:\.\d+)?[A-Za-z]*)!-([-|+]?\d+(?:\.\d+)?[A-Za-z]*)$/;

/** The operator a string pattern starts with (Kyverno's GetOperatorFromStringPattern). */
export function operatorOf(pattern: string): Op {
  if (pattern.length < 2) return '';
  if (pattern.startsWith('>=')) return '>=';
  if (pattern.startsWith('<=')) return '<=';
  if (pattern.startsWith('>')) return '>';
  if (pattern.startsWith('<')) return '<';
  if (pattern.startsWith('!')) return '!';
  if (NOT_IN_RANGE.test(pattern)) return '!-';
  if (IN_RANGE.test(pattern)) return '-';
  return '';
}

function validateStringPattern(value: unknown, pattern: string): boolean {
  const op = operatorOf(pattern);
  if (op === '-') {
    const match = IN_RANGE.exec(pattern)!;
    return validateStringPattern(value, `>= ${match[1]}`) && validateStringPattern(value, `<= ${match[2]}`);
  }
  if (op === '!-') {
    const match = NOT_IN_RANGE.exec(pattern)!;
    return validateStringPattern(value, `< ${match[1]}`) || validateStringPattern(value, `> ${match[2]}`);
  }
  return validateString(value, pattern.slice(op.length).trim(), op);
}

function numberToString(value: unknown): string | undefined {
  if (value === null || value === undefined) return '0';
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isInteger(value) ? String(value) : value.toFixed(6);
  return undefined;
}

function compareBy(cmp: number, op: Op): boolean | undefined {
  switch (op) {
    case '':
      return cmp === 0;
    case '!':
      return cmp !== 0;
    case '>':
      return cmp > 0;
    case '<':
      return cmp < 0;
    case '>=':
      return cmp >= 0;
    case '<=':
      return cmp <= 0;
  }
  return undefined;
}

function validateString(value: unknown, pattern: string, op: Op): boolean {
  const patternDuration = parseDuration(pattern);
  const text = numberToString(value);
  if (patternDuration !== undefined && text !== undefined) {
    const valueDuration = parseDuration(text);
    if (valueDuration !== undefined) {
      const result = compareBy(Math.sign(valueDuration - patternDuration), op);
      if (result !== undefined) return result;
    }
  }
  if (parseQuantity(pattern) !== undefined && text !== undefined && parseQuantity(text) !== undefined) {
    const result = compareBy(compareQuantities(text, pattern)!, op);
    if (result !== undefined) return result;
  }
  if (op !== '' && op !== '!') return false;
  let asString: string;
  if (typeof value === 'string') asString = value;
  else if (typeof value === 'number') asString = Number.isInteger(value) ? String(value) : goExponent(value);
  else if (typeof value === 'boolean') asString = String(value);
  else return false;
  const matched = wildcardMatch(pattern, asString);
  return op === '!' ? !matched : matched;
}

/** A float as Go's strconv.FormatFloat(v, 'E', -1, 64) prints it. */
function goExponent(value: number): string {
  const [mantissa, exponent] = value.toExponential().split('e') as [string, string];
  const sign = exponent.startsWith('-') ? '-' : '+';
  const digits = exponent.replace(/^[+-]/, '').padStart(2, '0');
  return `${mantissa.toUpperCase()}E${sign}${digits}`;
}
