/**
 * Kubernetes manifests read exactly as kubectl, Helm and Argo CD read them: k8s.io/apimachinery's
 * YAMLReader splits the stream at `---` lines, and sigs.k8s.io/yaml (go-yaml v2) turns each part
 * into JSON. The `yaml` package does the scanning; what the value is follows go-yaml's decoder:
 * YAML 1.1 scalars (src/inputs/kubernetes-scalars.ts), `<<` merge keys applied in the order go-yaml
 * applies them, aliases expanded with its aliasing limit, keys turned into JSON keys.
 *
 * Parapet is stricter than kubectl where kubectl's answer is arbitrary: a key stated twice in one
 * mapping (kubectl keeps the last silently, kustomize and the API server's strict decoding reject
 * it) and two keys that become the same JSON key (`1` and `"1"`; Go's map order picks the value)
 * are errors naming the line.
 */

import {
  isAlias,
  isMap,
  isPair,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  visit,
  type Alias,
  type Document,
  type Node,
  type Scalar,
} from 'yaml';
import { ParapetError } from '../model/errors.js';
import { DOUBLE_QUOTED_ESCAPES, goFloat32Key, resolveGoPlain, type GoScalar } from './kubernetes-scalars.js';

const TAG_PREFIX = 'tag:yaml.org,2002:';
const STR = `${TAG_PREFIX}str`;
const BINARY = `${TAG_PREFIX}binary`;
const MERGE = `${TAG_PREFIX}merge`;
/** Tags go-yaml resolves a scalar under; any other tag leaves the text a string. */
const RESOLVABLE = new Set([
  '',
  ...['str', 'bool', 'int', 'float', 'null', 'timestamp'].map((t) => TAG_PREFIX + t),
]);

/** One document of a manifest stream: its value, first line, and the line of any field. */
export interface KubernetesYamlDocument {
  value: unknown;
  line: number;
  lineAt(tokens: readonly string[]): number | undefined;
}

/** Lines of an object's keys or an array's items, beside the value (values are never mutated). */
type Lines = Map<string, number> | number[];

class ReadError extends Error {
  constructor(
    message: string,
    readonly offset: number | undefined,
  ) {
    super(message);
  }
}

/** One part of the stream as apimachinery's YAMLReader returns it: text and first line. */
interface Part {
  text: string;
  line: number;
}

/**
 * Split a stream where k8s.io/apimachinery's YAMLReader does: at every line that starts with
 * `---`, where only spaces and a comment may follow. The separator that ends a document is
 * dropped; one read while no document has begun (the first line, say) stays in the next one.
 * Lines end at `\n` (a `\r` before it goes).
 */
export function splitKubernetesStream(file: string, text: string): Part[] {
  const parts: Part[] = [];
  let buffer: string[] = [];
  let start = 1;
  let pos = 0;
  let no = 1;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    const last = end < 0;
    if (last) end = text.length;
    let line = text.slice(pos, end);
    if (!last && line.endsWith('\r')) line = line.slice(0, -1);
    if (line.startsWith('---')) {
      const rest = line.slice(3).replace(/^[\s\u0085\u00a0]+|[\s\u0085\u00a0]+$/g, '');
      if (rest !== '' && rest[0] !== '#')
        throw new ParapetError(
          'PARAPET_INPUT_PARSE',
          `${file}:${no}: invalid YAML: invalid document separator: ${rest}`,
          { file, line: no },
        );
      if (buffer.length > 0) {
        parts.push({ text: buffer.join(''), line: start });
        buffer = [];
      } else {
        // A separator that ends no document stays in the next one (as `---`, a document start).
        start = no;
        buffer.push(line + '\n');
      }
    } else {
      if (buffer.length === 0) start = no;
      buffer.push(line + '\n');
    }
    pos = end + 1;
    no += 1;
  }
  if (buffer.length > 0) parts.push({ text: buffer.join(''), line: start });
  return parts;
}

/**
 * go-yaml reads quoted scalars and flow collections that continue on a line at (or left of) the
 * key's indentation, which YAML 1.2 and the `yaml` package refuse. Indenting such continuation
 * lines changes no value (their leading white space is dropped) and keeps every line number.
 * A lone `-` inside a flow collection is quoted for the same reason.
 */
export function indentFlowContinuations(text: string): string {
  const lines = text.split('\n');
  let quote = 0; // the open quote character, or 0
  let depth = 0; // open flow collections
  let pad = 0; // indentation to give continuation lines
  let blockIndent = -1; // inside a block scalar: the column of its parent node
  let contentIndent = -1; // and of its first content line, once read
  let changed = false;
  for (let l = 0; l < lines.length; l += 1) {
    const line = lines[l]!;
    let i = 0;
    while (i < line.length && line.charCodeAt(i) === 32) i += 1;
    if (blockIndent >= 0) {
      if (i === line.length) continue;
      if (contentIndent < 0 && i > blockIndent) contentIndent = i;
      if (contentIndent >= 0 && i >= contentIndent) continue;
      blockIndent = -1;
    }
    if (quote !== 0 || depth > 0) {
      if (/^\.\.\.(?:[ \t]|$)/.test(line) && quote !== 0) return text; // go-yaml rejects it
      if (i < pad && line.trim() !== '') {
        lines[l] = ' '.repeat(pad - i) + line;
        changed = true;
      }
    }
    // Scan the line for quotes, brackets, comments and block scalar headers.
    let k = 0;
    let s = lines[l]!;
    let token = true; // at a position where a scalar may start
    let nodeStart = -1; // where the block node this line holds starts (after any `- `)
    let lastDash = -1;
    let keyed = false; // a `key:` at depth 0 was read on this line
    while (k < s.length) {
      const c = s[k]!;
      if (nodeStart < 0 && c !== ' ' && !(c === '-' && (s[k + 1] === ' ' || k + 1 === s.length)))
        nodeStart = k;
      if (quote !== 0) {
        if (quote === 39 && c === "'") {
          if (s[k + 1] === "'") k += 1;
          else quote = 0;
        } else if (quote === 34) {
          if (c === '\\') k += 1;
          else if (c === '"') quote = 0;
        }
        k += 1;
        token = false;
        continue;
      }
      if (c === ' ' || c === '\t') {
        token = true;
        k += 1;
        continue;
      }
      if (c === '#' && token) break;
      if ((c === '"' || c === "'") && token) {
        if (depth === 0) pad = k + 1;
        quote = c.charCodeAt(0);
      } else if ((c === '[' || c === '{') && (token || depth > 0)) {
        if (depth === 0) pad = k + 1;
        depth += 1;
        token = true;
        k += 1;
        continue;
      } else if ((c === ']' || c === '}') && depth > 0) {
        depth -= 1;
      } else if (c === ',' && depth > 0) {
        token = true;
        k += 1;
        continue;
      } else if (c === '-' && token && depth > 0 && ',]}'.includes(s[k + 1] ?? ' ')) {
        // A lone `-` before a flow indicator is a plain scalar for go-yaml, a block sequence for
        // the `yaml` package; quoted, it is the same string.
        s = s.slice(0, k) + '"-"' + s.slice(k + 1);
        lines[l] = s;
        changed = true;
        continue;
      } else if ((c === '|' || c === '>') && token && depth === 0) {
        // Its content is indented past the mapping holding its key, or past its `- `.
        blockIndent = keyed ? nodeStart : lastDash >= 0 ? lastDash : i;
        contentIndent = -1;
        break;
      } else if ((c === '-' || c === '?' || c === ':') && (s[k + 1] === ' ' || k + 1 === s.length)) {
        if (depth === 0 && c === ':') keyed = true;
        if (depth === 0 && c === '-' && nodeStart < 0) lastDash = k;
        token = true;
        k += 1;
        continue;
      } else if (c === ':' && depth > 0) {
        token = true;
        k += 1;
        continue;
      } else if ((c === '&' || c === '!') && token) {
        while (k < s.length && s[k] !== ' ' && s[k] !== '\t') k += 1;
        continue;
      } else {
        // A plain scalar: up to `: `, ` #`, or a flow indicator inside a flow collection.
        while (k < s.length) {
          const d = s[k]!;
          if (
            d === ':' &&
            (s[k + 1] === ' ' || k + 1 === s.length || (depth > 0 && ',[]{}'.includes(s[k + 1]!)))
          )
            break;
          if ((d === ' ' || d === '\t') && s[k + 1] === '#') break;
          if (depth > 0 && ',[]{}'.includes(d)) break;
          k += 1;
        }
        token = false;
        continue;
      }
      token = false;
      k += 1;
    }
  }
  return changed ? lines.join('\n') : text;
}

/** A double-quoted scalar's value as libyaml reads it (escapes, line folding). */
function doubleQuoted(raw: string): string {
  let out = '';
  let i = 1;
  const end = raw.length - 1;
  let spaces = '';
  while (i < end) {
    const c = raw[i]!;
    if (c === '\\') {
      const e = raw[i + 1];
      if (e === '\n' || e === '\r') {
        // An escaped line break: nothing, and the next line's leading white space goes.
        out += spaces;
        spaces = '';
        i += e === '\r' && raw[i + 2] === '\n' ? 3 : 2;
        while (raw[i] === ' ' || raw[i] === '\t') i += 1;
        continue;
      }
      out += spaces;
      spaces = '';
      const simple = DOUBLE_QUOTED_ESCAPES[e ?? ''];
      if (simple !== undefined) {
        out += simple;
        i += 2;
        continue;
      }
      const length = e === 'x' ? 2 : e === 'u' ? 4 : e === 'U' ? 8 : 0;
      if (length === 0) throw new ReadError('found unknown escape character', undefined);
      const hex = raw.slice(i + 2, i + 2 + length);
      if (!/^[0-9a-fA-F]+$/.test(hex) || hex.length !== length)
        throw new ReadError('did not find expected hexdecimal number', undefined);
      const code = parseInt(hex, 16);
      if ((code >= 0xd800 && code <= 0xdfff) || code > 0x10ffff)
        throw new ReadError('found invalid Unicode character escape code', undefined);
      out += String.fromCodePoint(code);
      i += 2 + length;
      continue;
    }
    if (c === ' ' || c === '\t') {
      spaces += c;
      i += 1;
      continue;
    }
    if (c === '\n' || c === '\r') {
      // Folding: trailing white space goes; one break is a space, each further one a newline.
      spaces = '';
      let breaks = 0;
      while (i < end) {
        const d = raw[i]!;
        if (d === '\r' && raw[i + 1] === '\n') i += 2;
        else if (d === '\n' || d === '\r') i += 1;
        else if (d === ' ' || d === '\t') {
          i += 1;
          continue;
        } else break;
        breaks += 1;
      }
      out += breaks === 1 ? ' ' : '\n'.repeat(breaks - 1);
      continue;
    }
    out += spaces + c;
    spaces = '';
    i += 1;
  }
  return out + spaces;
}

/** Go's base64.StdEncoding.DecodeString (line breaks ignored), as a Go string would print in JSON. */
function goBase64(text: string): string {
  const clean = text.replace(/[\r\n]/g, '');
  if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(clean))
    throw new ReadError('!!binary value contains invalid base64 data', undefined);
  return goString(Buffer.from(clean, 'base64'));
}

/** Bytes as a Go string prints in JSON: each byte of an invalid UTF-8 sequence is one U+FFFD. */
function goString(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  while (i < bytes.length) {
    const b = bytes[i]!;
    let size = 0;
    let code = 0;
    let min = 0;
    if (b < 0x80) {
      out += String.fromCharCode(b);
      i += 1;
      continue;
    } else if (b >= 0xc2 && b <= 0xdf) {
      size = 2;
      code = b & 0x1f;
      min = 0x80;
    } else if (b >= 0xe0 && b <= 0xef) {
      size = 3;
      code = b & 0x0f;
      min = 0x800;
    } else if (b >= 0xf0 && b <= 0xf4) {
      size = 4;
      code = b & 0x07;
      min = 0x10000;
    }
    let ok = size > 0 && i + size <= bytes.length;
    for (let k = 1; ok && k < size; k += 1) {
      const c = bytes[i + k]!;
      if ((c & 0xc0) !== 0x80) ok = false;
      else code = (code << 6) | (c & 0x3f);
    }
    if (ok && (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))) ok = false;
    if (ok) {
      out += String.fromCodePoint(code);
      i += size;
    } else {
      out += '\ufffd';
      i += 1;
    }
  }
  return out;
}

/** go-yaml's aliasing limit (allowedAliasRatio): how much of a document may come from aliases. */
function allowedAliasRatio(decodeCount: number): number {
  if (decodeCount <= 400_000) return 0.99;
  if (decodeCount >= 4_000_000) return 0.1;
  return 0.99 - 0.89 * ((decodeCount - 400_000) / 3_600_000);
}

/** A key of a mapping being built: its Go identity, its JSON key, its value and line. */
interface Entry {
  json: string;
  /** Why sigs.k8s.io/yaml cannot make a JSON key of it (checked only if the entry is kept). */
  bad?: string;
  /** Where its key is written. */
  offset: number;
  value: unknown;
  line: number;
  /** The key as written, for messages. */
  shown: string;
}

class Decoder {
  decodeCount = 0;
  aliasCount = 0;
  aliasDepth = 0;
  private readonly active = new Set<Alias>();
  readonly lines = new WeakMap<object, Lines>();
  /** Mappings sigs.k8s.io/yaml cannot turn into JSON objects (a key it cannot convert, a collision). */
  readonly problems = new WeakMap<object, ReadError>();

  constructor(
    private readonly source: string,
    private readonly targets: Map<Alias, Node | undefined>,
    private readonly lineOf: (offset: number) => number,
  ) {}

  count(): void {
    this.decodeCount += 1;
    if (this.aliasDepth > 0) this.aliasCount += 1;
    if (
      this.aliasCount > 100 &&
      this.decodeCount > 1000 &&
      this.aliasCount / this.decodeCount > allowedAliasRatio(this.decodeCount)
    )
      throw new ReadError('document contains excessive aliasing', undefined);
  }

  /** The node's value, as go-yaml decodes it into interface{}. */
  node(node: Node | null | undefined, at: number): unknown {
    this.count();
    if (node === null || node === undefined) return null;
    if (isAlias(node)) return this.alias(node, (target) => this.node(target, node.range?.[0] ?? at));
    if (isScalar(node)) return this.scalar(node).value;
    if (isMap(node)) {
      const entries = new Map<string, Entry>();
      this.mapInto(node, entries);
      return this.object(node, entries);
    }
    if (isSeq(node)) {
      const items: unknown[] = [];
      const lines: number[] = [];
      for (const item of node.items) {
        const n = item as Node | null;
        const offset = n?.range?.[0] ?? node.range?.[0] ?? at;
        items.push(this.node(n, offset));
        lines.push(this.lineOf(offset));
      }
      this.lines.set(items, lines);
      return items;
    }
    throw new ReadError('unsupported YAML node', at);
  }

  private alias<T>(node: Alias, decode: (target: Node) => T): T {
    const target = this.targets.get(node);
    if (!target) throw new ReadError(`unknown anchor '${node.source}' referenced`, node.range?.[0]);
    if (this.active.has(node))
      throw new ReadError(`anchor '${node.source}' value contains itself`, node.range?.[0]);
    this.active.add(node);
    this.aliasDepth += 1;
    try {
      return decode(target);
    } finally {
      this.aliasDepth -= 1;
      this.active.delete(node);
    }
  }

  /** An alias as the value being decoded: counted once for the alias, once for its target. */
  private aliasTarget(node: Node): Node {
    if (!isAlias(node)) return node;
    const target = this.targets.get(node);
    if (!target) throw new ReadError(`unknown anchor '${node.source}' referenced`, node.range?.[0]);
    return target;
  }

  /** A scalar as go-yaml resolves it, with its Go type (resolve() and the checks after it). */
  scalar(node: Scalar): GoScalar {
    const tag = node.tag ?? '';
    const text = this.text(node);
    if (node.type === 'PLAIN' && NO_TOKEN.has(text[0] ?? ''))
      throw new ReadError('found character that cannot start any token', node.range?.[0]);
    // go-yaml's "plain implicit": untagged plain scalars, and the non-specific tag `!`.
    const implicit = (tag === '' && node.type === 'PLAIN') || tag === '!';
    if (tag === '' && !implicit) return { type: 'str', value: text };
    if (tag === BINARY) return { type: 'str', value: this.at(node, () => goBase64(text)) };
    if (!RESOLVABLE.has(tag) || tag === STR) return { type: 'str', value: text };
    const resolved = resolveGoPlain(text);
    if (tag === '') return resolved;
    const want = tag.slice(TAG_PREFIX.length);
    let got: string = resolved.type === 'uint' ? 'int' : resolved.type;
    if (want === 'timestamp' && got === 'str' && isTimestamp(text)) got = 'timestamp';
    if (want === got) return resolved;
    if (want === 'float' && resolved.type === 'int') return { type: 'float', value: resolved.value };
    throw new ReadError(`cannot decode !!${got} \`${text}\` as a !!${want}`, node.range?.[0]);
  }

  /** A scalar's text before resolution: folded, unescaped, as go-yaml's scanner produces it. */
  text(node: Scalar): string {
    if (node.type === 'QUOTE_DOUBLE') {
      const [start, end] = node.range ?? [0, 0];
      try {
        return doubleQuoted(this.source.slice(start, end).replace(/\s+$/, ''));
      } catch (error) {
        if (error instanceof ReadError)
          throw new ReadError(`while parsing a quoted scalar: ${error.message}`, start);
        throw error;
      }
    }
    // The text before any tag is applied (the `yaml` package resolves !!binary even in failsafe).
    if (typeof node.source === 'string') return node.source;
    // It may hand a plain `<<` over as its merge-key symbol.
    if (typeof node.value === 'symbol') return '<<';
    return String(node.value ?? '');
  }

  private at<T>(node: Node, step: () => T): T {
    try {
      return step();
    } catch (error) {
      if (error instanceof ReadError && error.offset === undefined)
        throw new ReadError(error.message, node.range?.[0]);
      throw error;
    }
  }

  /** go-yaml's merge key: a `<<` that is plain and untagged (or tagged `!`), or tagged !!merge. */
  private isMerge(key: unknown): boolean {
    if (!isScalar(key)) return false;
    const tag = key.tag ?? '';
    const implicit = (tag === '' && key.type === 'PLAIN') || tag === '!';
    return (implicit || tag === MERGE) && this.text(key) === '<<';
  }

  /** Decode a mapping's entries into `entries` (go-yaml's mapping(), merges included). */
  mapInto(node: Node, entries: Map<string, Entry>, direct = true): void {
    if (!isMap(node))
      throw new ReadError('map merge requires map or sequence of maps as the value', node.range?.[0]);
    const seen = direct ? new Map<string, number>() : undefined;
    for (const pair of node.items) {
      const keyNode = pair.key as Node | null;
      const valueNode = pair.value as Node | null;
      const keyOffset = keyNode?.range?.[0] ?? valueNode?.range?.[0] ?? node.range?.[0] ?? 0;
      if (this.isMerge(keyNode)) {
        this.merge(valueNode, entries, keyOffset);
        continue;
      }
      this.count();
      const key = this.key(keyNode, keyOffset);
      const value = this.node(valueNode, valueNode?.range?.[0] ?? keyOffset);
      const line = this.lineOf(keyOffset);
      if (seen) {
        const before = seen.get(key.id);
        if (before !== undefined)
          throw new ReadError(
            `duplicate key ${key.shown} (first at line ${before}): kubectl keeps the last one, kustomize and strict decoding reject it`,
            keyOffset,
          );
        seen.set(key.id, line);
      }
      entries.delete(key.id);
      entries.set(key.id, { json: key.json, value, line, shown: key.shown, bad: key.bad, offset: keyOffset });
    }
  }

  /** go-yaml's merge(): a mapping, an alias of one, or a sequence of them (earlier ones win). */
  private merge(node: Node | null, entries: Map<string, Entry>, at: number): void {
    const fail = (): never => {
      throw new ReadError('map merge requires map or sequence of maps as the value', node?.range?.[0] ?? at);
    };
    if (node === null || node === undefined) fail();
    const one = (item: Node): void => {
      this.count();
      if (isAlias(item)) {
        const target = this.aliasTarget(item);
        if (!isMap(target)) fail();
        this.alias(item, (t) => {
          this.count();
          this.mapInto(t, entries, false);
        });
      } else if (isMap(item)) this.mapInto(item, entries, false);
      else fail();
    };
    if (isSeq(node!)) {
      const items = node.items as Array<Node | null>;
      for (const item of items)
        if (!item || (!isMap(item) && !(isAlias(item) && isMap(this.aliasTarget(item))))) fail();
      for (let i = items.length - 1; i >= 0; i -= 1) one(items[i]!);
    } else one(node!);
  }

  /** A key's Go identity and JSON key (sigs.k8s.io/yaml's convertToJSONableObject). */
  private key(node: Node | null, at: number): { id: string; json: string; shown: string; bad?: string } {
    let target: Node | null = node;
    if (target && isAlias(target)) {
      const resolved = this.aliasTarget(target);
      if (!isScalar(resolved)) {
        throw new ReadError('invalid map key: a mapping or sequence cannot be a key', at);
      }
      // Decode the alias for the limits and checks, then key by the target scalar.
      this.node(target, at);
      target = resolved;
    }
    if (target && !isScalar(target))
      throw new ReadError('invalid map key: a mapping or sequence cannot be a key', at);
    const scalar: GoScalar = target ? this.scalar(target) : { type: 'null', value: null };
    const shown = JSON.stringify(
      target ? String(isScalar(target) ? (target.source ?? target.value) : '') : '',
    );
    switch (scalar.type) {
      case 'str':
        return { id: `s${scalar.value}`, json: scalar.value, shown };
      case 'bool':
        return { id: `b${scalar.value}`, json: String(scalar.value), shown };
      case 'int':
        return { id: `i${scalar.text}`, json: scalar.text, shown };
      case 'float':
        return {
          id: Number.isNaN(scalar.value) ? `n${at}` : `f${Object.is(scalar.value, -0) ? '-0' : scalar.value}`,
          json: goFloat32Key(scalar.value),
          shown,
        };
      case 'uint':
        return {
          id: `u${scalar.text}`,
          json: scalar.text,
          shown,
          bad: `unsupported map key ${shown}: ${scalar.text} is past int64`,
        };
      case 'null':
        return { id: 'null', json: '', shown, bad: 'unsupported map key: a null key has no JSON form' };
    }
  }

  /** The JS object of a mapping's entries; two keys making one JSON key is an error. */
  private object(node: Node, entries: Map<string, Entry>): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    const lines = new Map<string, number>();
    let problem: ReadError | undefined;
    for (const entry of entries.values()) {
      if (entry.bad) problem ??= new ReadError(entry.bad, entry.offset);
      if (lines.has(entry.json))
        problem ??= new ReadError(
          `keys at lines ${lines.get(entry.json)} and ${entry.line} both become the JSON key ${JSON.stringify(entry.json)}`,
          node.range?.[0],
        );
      lines.set(entry.json, entry.line);
      if (entry.json === '__proto__')
        Object.defineProperty(out, entry.json, {
          value: entry.value,
          enumerable: true,
          writable: true,
          configurable: true,
        });
      else out[entry.json] = entry.value;
    }
    this.lines.set(out, lines);
    // Only what survives into the document is turned into JSON (a later key may replace this).
    if (problem) this.problems.set(out, problem);
    return out;
  }
}

/** Go's time.Parse with go-yaml's timestamp layouts (date, date and time, RFC 3339 with `t`). */
function isTimestamp(text: string): boolean {
  const match =
    /^(\d{4})-(\d{1,2})-(\d{1,2})(?:(?:[Tt]([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.\d+)?(?:Z|[-+]\d{2}:\d{2}))|(?: ([0-9]{1,2}):([0-9]{1,2}):([0-9]{1,2})(?:\.\d+)?))?$/.exec(
      text,
    );
  if (!match) return false;
  const [year, month, day] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const hour = Number(match[4] ?? match[7] ?? 0);
  const minute = Number(match[5] ?? match[8] ?? 0);
  const second = Number(match[6] ?? match[9] ?? 0);
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return month >= 1 && month <= 12 && day >= 1 && day <= days && hour < 24 && minute < 60 && second < 60;
}

/**
 * What sigs.k8s.io/yaml's conversion to JSON fails on, in the document as it stands: a mapping
 * with a key it cannot convert or two keys making one, and numbers JSON cannot hold (NaN,
 * ±Infinity). The problem's place, as an offset or a line.
 */
function unconvertible(
  value: unknown,
  decoder: Decoder,
  line: number,
): { error: ReadError; line: number } | undefined {
  if (typeof value === 'number')
    return Number.isFinite(value)
      ? undefined
      : { error: new ReadError('NaN and infinite numbers (.nan, .inf) have no JSON form', undefined), line };
  if (value === null || typeof value !== 'object') return undefined;
  const problem = decoder.problems.get(value);
  if (problem) return { error: problem, line };
  const known = decoder.lines.get(value);
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) {
      const found = unconvertible(value[i], decoder, (known as number[] | undefined)?.[i] ?? line);
      if (found) return found;
    }
    return undefined;
  }
  for (const key of Object.keys(value)) {
    const found = unconvertible(
      (value as Record<string, unknown>)[key],
      decoder,
      (known as Map<string, number> | undefined)?.get(key) ?? line,
    );
    if (found) return found;
  }
  return undefined;
}

function lineIn(
  value: unknown,
  lines: WeakMap<object, Lines>,
  line: number,
  tokens: readonly string[],
): number {
  let node = value;
  for (const token of tokens) {
    if (node === null || typeof node !== 'object') break;
    const known = lines.get(node);
    if (Array.isArray(node)) {
      const index = Number(token);
      if (!Number.isInteger(index) || index < 0 || index >= node.length || String(index) !== token) break;
      line = (known as number[] | undefined)?.[index] ?? line;
      node = node[index];
    } else {
      if (!Object.prototype.hasOwnProperty.call(node, token)) break;
      line = (known as Map<string, number> | undefined)?.get(token) ?? line;
      node = (node as Record<string, unknown>)[token];
    }
  }
  return line;
}

/** The `yaml` package's errors that go-yaml does not raise: the value is still read the same. */
const LENIENT = new Set(['BAD_DQ_ESCAPE']);

/**
 * The first error of a document that go-yaml would raise too. go-yaml reads one root node per
 * document and stops: content after a root scalar or flow collection (or after an indented root
 * block collection, on a line left of it) is never read, so errors there do not count.
 */
function firstError(
  doc: Document,
  lineCounter: LineCounter,
  text: string,
): { offset: number; message: string } | undefined {
  const root = doc.contents as Node | null;
  const end = root?.range?.[1] ?? Infinity;
  const c = root?.range ? text[root.range[0]] : undefined;
  const closed = root !== null && (isScalar(root) || isAlias(root) || c === '[' || c === '{');
  const column = root?.range ? lineCounter.linePos(root.range[0]).col - 1 : 0;
  const ignored = (offset: number): boolean => {
    if (offset < end) return false;
    if (closed) return true;
    if (column === 0) return false;
    const { line } = lineCounter.linePos(offset);
    const start = lineCounter.lineStarts[line - 1] ?? 0;
    let indent = 0;
    while (text[start + indent] === ' ') indent += 1;
    return indent < column;
  };
  const error = doc.errors.find((e) => !LENIENT.has(e.code) && !ignored(e.pos[0]));
  if (!error) return undefined;
  return {
    offset: error.pos[0],
    message: error.message
      .split('\n')[0]!
      .replace(/ at line \d+, column \d+:?$/, '')
      .replace(/^Maximum call stack size exceeded$/, 'collections are nested too deeply'),
  };
}

const ANCHOR_NAME = /^[0-9A-Za-z_-]+$/;
const TAG = /^[0-9A-Za-z_\-;/?:@&=+$,.!~*'()[\]%]*$/;

/** go-yaml's scanner: characters that start no token in a plain scalar's place. */
const NO_TOKEN = new Set([']', '}', ',', '@', '`', '%']);

/** Whether a document starts with `...` before any content, which go-yaml rejects. */
function endsBeforeContent(text: string): number | undefined {
  const match = /^(?:[ \t]*(?:#[^\n]*)?\n)*(\.\.\.)(?:[ \t\n]|$)/.exec(text);
  return match ? match[0].length - match[0].replace(/^[\s\S]*?\.\.\./, '').length - 3 : undefined;
}

function parseFirst(text: string, lineCounter: LineCounter): Document | undefined {
  // The `yaml` package makes an Error for every problem it recovers from; their stack traces,
  // never read, were most of the cost of reading a broken file.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    const docs = parseAllDocuments(text, {
      lineCounter,
      schema: 'failsafe',
      uniqueKeys: false,
      strict: false,
      merge: false,
      prettyErrors: false,
    });
    return Array.isArray(docs) ? docs[0] : undefined;
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Read one part of the stream (go-yaml reads its first document only). */
function readPart(file: string, part: Part): KubernetesYamlDocument {
  let text = part.text;
  let lineCounter = new LineCounter();
  let doc = parseFirst(text, lineCounter);
  let error = doc && firstError(doc, lineCounter, text);
  if (doc && doc.errors.length > 0) {
    // Quoted scalars and flow collections over lines at any indentation, as go-yaml reads them;
    // tried first, since such a line also ends an indented root collection for the `yaml` package.
    const indented = indentFlowContinuations(text);
    if (indented !== text) {
      const counter = new LineCounter();
      const again = parseFirst(indented, counter);
      if (again && !firstError(again, counter, indented)) {
        text = indented;
        lineCounter = counter;
        doc = again;
        error = undefined;
      }
    }
  }
  const fileLine = (offset: number) => lineCounter.linePos(offset).line + part.line - 1;
  const fail = (message: string, offset: number | undefined, atLine?: number): never => {
    const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
    const line = pos ? pos.line + part.line - 1 : (atLine ?? part.line);
    const where = pos ? `:${line}:${pos.col}` : `:${line}`;
    throw new ParapetError('PARAPET_INPUT_PARSE', `${file}${where}: invalid YAML: ${message}`, {
      file,
      line,
    });
  };
  if (error) fail(error.message, error.offset);
  const early = endsBeforeContent(text);
  if (early !== undefined) fail('did not find expected node content', early);
  if (!doc || doc.contents === null) return { value: null, line: part.line, lineAt: () => part.line };
  // Aliases name the latest anchor before them in the text, as go-yaml's parser records them.
  const anchors = new Map<string, Node>();
  const targets = new Map<Alias, Node | undefined>();
  let scanError: ReadError | undefined;
  visit(doc, (_key, node) => {
    if (!node || isPair(node) || scanError) return;
    const n = node as Node;
    // libyaml's scanner: anchor names are [0-9A-Za-z_-]; tags are URI characters.
    const name = isAlias(n) ? n.source : n.anchor;
    if (name !== undefined && !ANCHOR_NAME.test(name))
      scanError = new ReadError('did not find expected alphabetic or numeric character', n.range?.[0]);
    const tag = isAlias(n) ? undefined : n.tag;
    if (tag !== undefined && !TAG.test(tag.startsWith(TAG_PREFIX) ? tag.slice(TAG_PREFIX.length) : tag))
      scanError = new ReadError('did not find expected whitespace or line break', n.range?.[0]);
    if (isAlias(n)) targets.set(n, anchors.get(n.source));
    else if (n.anchor) anchors.set(n.anchor, n);
  });
  if (scanError) fail(scanError.message, scanError.offset);
  const decoder = new Decoder(text, targets, fileLine);
  const start = doc.contents.range?.[0] ?? 0;
  const line = fileLine(start);
  let value: unknown;
  try {
    decoder.count(); // the document node
    value = decoder.node(doc.contents as Node, start);
  } catch (error) {
    if (error instanceof ReadError) fail(error.message, error.offset ?? start);
    if (error instanceof RangeError) fail('collections are nested too deeply', start);
    throw error;
  }
  const bad = unconvertible(value, decoder, line);
  if (bad) fail(bad.error.message, bad.error.offset, bad.line);
  return { value, line, lineAt: (tokens) => lineIn(value, decoder.lines, line, tokens) };
}

/** Read a Kubernetes YAML stream into documents, as kubectl reads it. Errors name file and line. */
export function readKubernetesYaml(file: string, text: string): KubernetesYamlDocument[] {
  return splitKubernetesStream(file, text).map((part) => readPart(file, part));
}
