/**
 * Terraform resource instance addresses as plans print them:
 * `module.net["eu"].module.subnets[0].data.aws_subnet.this["a"]`.
 */

/** An instance key: a `count` index or a `for_each` key. */
export type InstanceKey = string | number;

/** One `module.NAME[KEY]` step of an address. */
export interface ModuleStep {
  name: string;
  key?: InstanceKey;
}

export interface ResourceInstanceAddress {
  module: ModuleStep[];
  mode: 'managed' | 'data';
  type: string;
  name: string;
  key?: InstanceKey;
}

const identifier = /[A-Za-z_][A-Za-z0-9_-]*/y;

/** Reads `[0]` or `["key"]` at `position`; returns the key and the position after `]`. */
function readKey(text: string, position: number): { key: InstanceKey; end: number } | undefined {
  if (text[position] !== '[') return undefined;
  const close = text[position + 1] === '"' ? closingQuote(text, position + 1) : text.indexOf(']', position);
  if (close < 0) return undefined;
  if (text[position + 1] === '"') {
    if (text[close + 1] !== ']') return undefined;
    try {
      return { key: JSON.parse(text.slice(position + 1, close + 1)) as string, end: close + 2 };
    } catch {
      return undefined;
    }
  }
  const digits = text.slice(position + 1, close);
  if (!/^\d+$/.test(digits)) return undefined;
  return { key: Number(digits), end: close + 1 };
}

/** Index of the quote closing the JSON string that opens at `open`, or -1. */
function closingQuote(text: string, open: number): number {
  for (let i = open + 1; i < text.length; i += 1) {
    if (text[i] === '\\') i += 1;
    else if (text[i] === '"') return i;
  }
  return -1;
}

function readIdentifier(text: string, position: number): { name: string; end: number } | undefined {
  identifier.lastIndex = position;
  const match = identifier.exec(text);
  return match ? { name: match[0], end: position + match[0].length } : undefined;
}

/** Parses a resource instance address; `undefined` when it is not one. */
export function parseResourceAddress(address: string): ResourceInstanceAddress | undefined {
  const module: ModuleStep[] = [];
  let position = 0;
  for (;;) {
    if (!address.startsWith('module.', position)) break;
    const step = readIdentifier(address, position + 7);
    if (!step) return undefined;
    position = step.end;
    const key = readKey(address, position);
    if (key) position = key.end;
    module.push(key ? { name: step.name, key: key.key } : { name: step.name });
    if (address[position] !== '.') return undefined;
    position += 1;
  }
  let mode: 'managed' | 'data' = 'managed';
  if (address.startsWith('data.', position)) {
    mode = 'data';
    position += 5;
  }
  const type = readIdentifier(address, position);
  if (!type || address[type.end] !== '.') return undefined;
  const name = readIdentifier(address, type.end + 1);
  if (!name) return undefined;
  position = name.end;
  const key = readKey(address, position);
  if (key) position = key.end;
  if (position !== address.length) return undefined;
  const parsed: ResourceInstanceAddress = { module, mode, type: type.name, name: name.name };
  if (key) parsed.key = key.key;
  return parsed;
}

/** `[0]` or `["a"]`. */
export function formatKey(key: InstanceKey | undefined): string {
  if (key === undefined) return '';
  return typeof key === 'number' ? `[${key}]` : `[${JSON.stringify(key)}]`;
}

/**
 * `formatKey(key).length` without building the text for the keys plans are made of: integers and
 * strings JSON.stringify writes without escapes.
 */
export function formattedKeyLength(key: InstanceKey | undefined): number {
  if (typeof key === 'string') {
    for (let i = 0; i < key.length; i += 1) {
      const code = key.charCodeAt(i);
      if (code < 32 || code === 34 || code === 92 || (code >= 0xd800 && code <= 0xdfff))
        return formatKey(key).length;
    }
    return key.length + 4;
  }
  return formatKey(key).length;
}

/** `module.a["x"].module.b` (empty for the root module). */
export function formatModuleInstance(steps: readonly ModuleStep[]): string {
  return steps.map((step) => `module.${step.name}${formatKey(step.key)}`).join('.');
}

/** The module path without instance keys (`a.b`): the key of the module's configuration. */
export function moduleConfigKey(steps: readonly ModuleStep[]): string {
  return steps.map((step) => step.name).join('.');
}

/** `aws_s3_bucket.logs` or `data.aws_iam_policy_document.x`: the address inside its module. */
export function localResourceAddress(mode: 'managed' | 'data', type: string, name: string): string {
  return mode === 'data' ? `data.${type}.${name}` : `${type}.${name}`;
}

function isIdentifierStart(code: number): boolean {
  return (code >= 65 && code <= 90) || (code >= 97 && code <= 122) || code === 95;
}

function isIdentifierPart(code: number): boolean {
  return isIdentifierStart(code) || (code >= 48 && code <= 57) || code === 45;
}

/**
 * Parses a module instance address already in the form `formatModuleInstance` writes
 * (`module.a["x"].module.b[0]`): one scan, no regular expression, no string built but the keys.
 * `undefined` means "not in that form" (the address may still be valid): callers then use
 * {@link parseResourceAddress}, whose result this matches wherever it answers.
 */
export function parseCanonicalModuleInstance(text: string): ModuleStep[] | undefined {
  const steps: ModuleStep[] = [];
  let position = 0;
  while (position < text.length) {
    if (!text.startsWith('module.', position)) return undefined;
    const start = position + 7;
    if (!isIdentifierStart(text.charCodeAt(start))) return undefined;
    let end = start + 1;
    while (end < text.length && isIdentifierPart(text.charCodeAt(end))) end += 1;
    const name = text.slice(start, end);
    position = end;
    if (text.charCodeAt(position) === 91 /* [ */) {
      const key = canonicalKey(text, position + 1);
      if (!key) return undefined;
      steps.push({ name, key: key.key });
      position = key.end;
    } else {
      steps.push({ name });
    }
    if (position === text.length) return steps;
    if (text.charCodeAt(position) !== 46 /* . */) return undefined;
    position += 1;
  }
  return undefined;
}

/** A key written as `formatKey` writes it, from just after `[`; returns the position after `]`. */
function canonicalKey(text: string, position: number): { key: InstanceKey; end: number } | undefined {
  if (text.charCodeAt(position) === 34 /* " */) {
    // Only keys JSON.stringify writes back unchanged: no escapes, control characters or surrogates.
    for (let i = position + 1; i < text.length; i += 1) {
      const code = text.charCodeAt(i);
      if (code === 34) {
        if (text.charCodeAt(i + 1) !== 93 /* ] */) return undefined;
        return { key: text.slice(position + 1, i), end: i + 2 };
      }
      if (code === 92 || code < 32 || (code >= 0xd800 && code <= 0xdfff)) return undefined;
    }
    return undefined;
  }
  let end = position;
  while (end < text.length && text.charCodeAt(end) >= 48 && text.charCodeAt(end) <= 57) end += 1;
  if (end === position || text.charCodeAt(end) !== 93) return undefined;
  const digits = text.slice(position, end);
  const key = Number(digits);
  // `[007]` or digits beyond double precision would not format back to the same text.
  return String(key) === digits ? { key, end: end + 1 } : undefined;
}
