import type { BuiltinTable } from './types.js';
import { sprintf } from './format.js';

function expectString(value: unknown, name: string, operand: number): string {
  if (typeof value !== 'string') throw new TypeError(`${name}: operand ${operand} must be string`);
  return value;
}

/** A string, or each string of an array or set (sets arrive as arrays from the Wasm side). */
function stringList(value: unknown, name: string, operand: number): string[] {
  if (typeof value === 'string') return [value];
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) return value as string[];
  throw new TypeError(`${name}: operand ${operand} must be one of {string, array[string], set[string]}`);
}

/**
 * RE2 (Go) patterns mostly read the same in JavaScript; the exception policies actually use is a
 * leading inline flag group such as `(?i)`, which JavaScript only accepts as a RegExp flag.
 */
export function goRegExp(pattern: string, global = false): RegExp {
  let flags = global ? 'gu' : 'u';
  let source = pattern;
  const inline = /^\(\?([imsU]+)\)/.exec(source);
  if (inline) {
    source = source.slice(inline[0].length);
    for (const flag of inline[1] ?? '') if (flag === 'i' || flag === 'm' || flag === 's') flags += flag;
  }
  try {
    return new RegExp(source, flags);
  } catch {
    // Some valid RE2 escapes are invalid in unicode mode (`\-` outside classes); retry without it.
    return new RegExp(source, flags.replace('u', ''));
  }
}

/** Go's ReplaceAllString template: `$1`, `${1}`, `${name}`, `$$`. */
function goReplacement(template: string): string {
  return template.replace(
    /\$\{(\w+)\}|\$(\d+)|\$\$/g,
    (whole, braced: string | undefined, digits: string | undefined) => {
      if (whole === '$$') return '$$';
      const group = braced ?? digits ?? '';
      return /^\d+$/.test(group) ? `$${group}` : `$<${group}>`;
    },
  );
}

export const stringBuiltins: BuiltinTable = {
  sprintf: (format, values) => sprintf(format, values),

  'strings.any_prefix_match': (search, base) => {
    const values = stringList(search, 'strings.any_prefix_match', 1);
    const prefixes = stringList(base, 'strings.any_prefix_match', 2);
    return values.some((value) => prefixes.some((prefix) => value.startsWith(prefix)));
  },

  'strings.any_suffix_match': (search, base) => {
    const values = stringList(search, 'strings.any_suffix_match', 1);
    const suffixes = stringList(base, 'strings.any_suffix_match', 2);
    return values.some((value) => suffixes.some((suffix) => value.endsWith(suffix)));
  },

  'strings.count': (search, substring) => {
    const text = expectString(search, 'strings.count', 1);
    const needle = expectString(substring, 'strings.count', 2);
    // Go's strings.Count: an empty substring counts the gaps between code points.
    if (needle === '') return [...text].length + 1;
    return text.split(needle).length - 1;
  },

  indexof_n: (haystack, needle) => {
    const text = [...expectString(haystack, 'indexof_n', 1)];
    const search = [...expectString(needle, 'indexof_n', 2)];
    const found: number[] = [];
    for (let i = 0; i + search.length <= text.length; i += 1) {
      if (search.every((char, offset) => text[i + offset] === char)) found.push(i);
    }
    return found;
  },

  'regex.split': (pattern, value) =>
    expectString(value, 'regex.split', 2).split(goRegExp(expectString(pattern, 'regex.split', 1))),

  'regex.replace': (value, pattern, replacement) =>
    expectString(value, 'regex.replace', 1).replace(
      goRegExp(expectString(pattern, 'regex.replace', 2), true),
      goReplacement(expectString(replacement, 'regex.replace', 3)),
    ),

  'regex.find_n': (pattern, value, count) => {
    const limit = typeof count === 'number' ? count : -1;
    const matches = [
      ...expectString(value, 'regex.find_n', 2).matchAll(
        goRegExp(expectString(pattern, 'regex.find_n', 1), true),
      ),
    ].map((match) => match[0]);
    return limit < 0 ? matches : matches.slice(0, limit);
  },

  'strings.render_template': (template, vars) => {
    const text = expectString(template, 'strings.render_template', 1);
    const values = (vars ?? {}) as Record<string, unknown>;
    // Go text/template's `{{.name}}` substitution, the form Rego policies use for messages.
    return text.replace(/\{\{\s*\.(\w+)\s*\}\}/g, (_whole, name: string) => {
      const value = values[name];
      return value === undefined ? '<no value>' : typeof value === 'string' ? value : JSON.stringify(value);
    });
  },
};
