/**
 * JSON Schema validation errors in a user's words: where (a key path such as
 * `parameters.k8s-resource-limits.requiredLimits[1]`) and what was expected and given, never
 * ajv's own wording. The configuration file and configured policy parameters share it.
 */
import type { ErrorObject } from 'ajv';
import { distance } from 'fastest-levenshtein';

/** One step of a key path: a mapping key or a list index. */
export type Segment = string | number;

/** The segments of a JSON pointer (`/waivers/0/expires` -> `waivers`, 0, `expires`). */
export function pointerSegments(pointer: string): Segment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^(0|[1-9]\d*)$/.test(part) ? Number(part) : part));
}

/** `waivers[2].expires`, `parameters.k8s-resource-limits.requiredLimits`, `severity["pss-*"]`, or `(top level)`. */
export function formatPath(segments: Segment[]): string {
  if (segments.length === 0) return '(top level)';
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$-]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

/** A value as a message shows it: scalars as JSON (shortened), collections by what they are. */
export function showValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

const typeNames: Record<string, string> = {
  object: 'a mapping',
  array: 'a list',
  string: 'a string',
  boolean: 'true or false',
  number: 'a number',
  integer: 'an integer',
  null: 'null',
};

const pluralTypeNames: Record<string, string> = {
  object: 'mappings',
  array: 'lists',
  string: 'strings',
  number: 'numbers',
  integer: 'integers',
};

/** `a string`, `true or false`, `a list`: a JSON Schema type in words. */
export function typeInWords(type: string): string {
  return typeNames[type] ?? type;
}

type SchemaObject = Record<string, unknown>;

function isSchemaObject(value: unknown): value is SchemaObject {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function listInWords(values: unknown[]): string {
  return values.map((value) => JSON.stringify(value)).join(', ');
}

function bounds(schema: SchemaObject): string {
  const { minimum, maximum, exclusiveMinimum, exclusiveMaximum } = schema;
  if (typeof minimum === 'number' && typeof maximum === 'number') return ` from ${minimum} to ${maximum}`;
  const parts: string[] = [];
  if (typeof minimum === 'number') parts.push(`of at least ${minimum}`);
  if (typeof exclusiveMinimum === 'number') parts.push(`greater than ${exclusiveMinimum}`);
  if (typeof maximum === 'number') parts.push(`${parts.length ? '' : 'of '}at most ${maximum}`);
  if (typeof exclusiveMaximum === 'number') parts.push(`less than ${exclusiveMaximum}`);
  return parts.length ? ` ${parts.join(' and ')}` : '';
}

/**
 * What a schema accepts, in words: `a list of strings`, `an integer from 1 to 35`,
 * `one of "critical", "high"`, `a list, each one of "cpu", "memory"`, `a string or a list of strings`.
 */
export function expectedInWords(schema: unknown): string {
  if (!isSchemaObject(schema)) return 'a value';
  if (Array.isArray(schema.enum)) return `one of ${listInWords(schema.enum)}`;
  if ('const' in schema) return JSON.stringify(schema.const);
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches) && branches.length) return branches.map(expectedInWords).join(' or ');
  }
  const type = schema.type;
  if (Array.isArray(type)) return type.map((name) => typeInWords(String(name))).join(' or ');
  if (typeof type !== 'string') return 'a value';
  if (type === 'array' && isSchemaObject(schema.items)) {
    const items = schema.items;
    const plain = Object.keys(items).every((key) => ['type', 'minLength', 'description'].includes(key));
    if (plain && typeof items.type === 'string' && pluralTypeNames[items.type])
      return `a list of ${pluralTypeNames[items.type]}`;
    return `a list, each ${expectedInWords(items)}`;
  }
  if (type === 'object' && isSchemaObject(schema.additionalProperties))
    return `a mapping, each value ${expectedInWords(schema.additionalProperties)}`;
  if (type === 'number' || type === 'integer') return `${typeInWords(type)}${bounds(schema)}`;
  if (type === 'string' && schema.minLength === 1) return 'a non-empty string';
  return typeInWords(type);
}

/** The allowed key closest to a misspelt one, when it is close enough to be a typo. */
export function closestKey(key: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const score = distance(key.toLowerCase(), candidate.toLowerCase());
    if (score < bestDistance) {
      best = candidate;
      bestDistance = score;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

/** `(did you mean "exclude"?)`, else `(allowed: a, b)`, else nothing. */
export function unknownKeyHint(key: string, allowed: string[]): string {
  const suggestion = closestKey(key, allowed);
  if (suggestion) return ` (did you mean "${suggestion}"?)`;
  return allowed.length ? ` (allowed: ${allowed.join(', ')})` : '';
}

function allowedKeys(schema: unknown): string[] {
  const properties = isSchemaObject(schema) ? schema.properties : undefined;
  return isSchemaObject(properties) ? Object.keys(properties).filter((key) => key !== '$schema') : [];
}

/**
 * The error to report among ajv's (which stops at the first failure unless `allErrors`): the
 * deepest one, or the `anyOf`/`oneOf` at that depth rather than the failures of its branches.
 */
export function pickSchemaError(errors: ErrorObject[]): ErrorObject {
  const deepest = errors.reduce((best, error) =>
    error.instancePath.length > best.instancePath.length ? error : best,
  );
  // A failure deeper than the alternatives is inside the branch the value's shape chose: say that one.
  const branches = errors.find(
    (error) =>
      (error.keyword === 'anyOf' || error.keyword === 'oneOf') && error.instancePath === deepest.instancePath,
  );
  return branches ?? deepest;
}

/**
 * Where and what, in words, for one ajv error compiled with `verbose: true` (so it carries the
 * failing value and its schema): `{ segments: ['exclude', 'namespaces'], message: 'must be a list, got "kube-system"' }`.
 */
export function explainSchemaError(error: ErrorObject): { segments: Segment[]; message: string } {
  const segments = pointerSegments(error.instancePath);
  const params = error.params as Record<string, unknown>;
  const got = `got ${showValue(error.data)}`;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      return {
        segments: [...segments, key],
        message: `unknown key${unknownKeyHint(key, allowedKeys(error.parentSchema))}`,
      };
    }
    case 'required':
      return { segments, message: `missing required key "${String(params.missingProperty)}"` };
    case 'enum':
      return {
        segments,
        message: `must be one of ${listInWords(params.allowedValues as unknown[])}, ${got}`,
      };
    case 'const':
      return { segments, message: `must be ${JSON.stringify(params.allowedValue)}, ${got}` };
    case 'type':
    case 'anyOf':
    case 'oneOf':
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return { segments, message: `must be ${expectedInWords(error.parentSchema)}, ${got}` };
    case 'format':
      return params.format === 'date'
        ? { segments, message: `must be a date written YYYY-MM-DD, ${got}` }
        : { segments, message: `must be a valid ${String(params.format)}, ${got}` };
    case 'minLength':
      return {
        segments,
        message:
          params.limit === 1
            ? 'must not be empty'
            : `must have at least ${String(params.limit)} characters, ${got}`,
      };
    case 'maxLength':
      return { segments, message: `must have at most ${String(params.limit)} characters` };
    case 'pattern':
      return { segments, message: `must match the pattern ${String(params.pattern)}, ${got}` };
    case 'minItems':
      return { segments, message: `must have at least ${String(params.limit)} item(s)` };
    case 'maxItems':
      return { segments, message: `must have at most ${String(params.limit)} item(s)` };
    case 'uniqueItems':
      return {
        segments,
        message: `must not repeat an item (items ${String(params.j)} and ${String(params.i)} are equal)`,
      };
    case 'minProperties':
      return { segments, message: `must have at least ${String(params.limit)} key(s)` };
    case 'propertyNames':
      return { segments, message: `key ${JSON.stringify(String(params.propertyName))} is not allowed here` };
    default:
      return { segments, message: error.message ?? `does not satisfy the schema's "${error.keyword}"` };
  }
}
