/**
 * A fast path for the YAML that manifests are made of: block mappings and sequences, plain and
 * quoted single-line scalars, one-line flow collections, literal and simple folded block scalars,
 * comments and `---` separators. It resolves scalars exactly as kubectl's sigs.k8s.io/yaml
 * (go-yaml v2) does and records the line of every key and item.
 *
 * Anything else — anchors, aliases, merge keys, tags, directives, multi-line plain or quoted
 * scalars, complex or non-string keys, tabs, duplicate keys, `.inf`/`.nan`, anything malformed —
 * makes it give up (return undefined) so the caller reads the file with the exact reader
 * (src/inputs/kubernetes-yaml.ts), which also words the errors. Giving up is always safe; a wrong
 * answer never is: property tests hold the two readers to the same values and lines, and the
 * differential test holds both to the YAML oracle's answers.
 *
 * It is one pass over the text with character-code loops: no per-line strings or objects, and no
 * string at all for numbers, booleans and nulls. Lines go to flat side tables, not to one Map per
 * mapping, because allocation (and the garbage collector) was most of the cost of loading.
 */

import { unescapePointerToken } from '../engine/pointer.js';
import { detachedString } from '../model/detached-string.js';
import { DOUBLE_QUOTED_ESCAPES, resolveGoPlain } from './kubernetes-scalars.js';

/** One parsed document of a file that took the fast path. */
export interface FastDocument {
  value: unknown;
  /** Line of the document's first content (its root node). */
  line: number;
  /** Line of the field at these pointer tokens (a key's line, an item's line), or of its nearest existing ancestor. */
  lineAt: (tokens: readonly string[]) => number;
  /** The same for a JSON pointer (RFC 6901), without splitting it. */
  lineOf: (pointer: string) => number;
}

class GiveUp extends Error {}
const giveUp = (): never => {
  throw new GiveUp();
};

const KEY_CACHE_MASK = 1023;
const VALUE_CACHE_MASK = 4095;
/** Longer plain scalars are rarely repeated; they are not looked up. */
const VALUE_CACHE_LENGTH = 32;
const SPACE = 32;
const HASH = 35;
const COLON = 58;
const DASH = 45;

/** A character that makes `[`, `]`, `{`, `}` or `,` (flow indicators). */
function isFlowIndicator(c: number): boolean {
  return c === 44 || c === 91 || c === 93 || c === 123 || c === 125;
}

/**
 * Where the keys and items of a file were written, in document order (pre-order): per entry, its
 * line and how many entries its value holds (0 for a scalar). A field is found again by walking
 * the parsed value, whose key order is the text's order, so nothing else is recorded while
 * parsing. The values must not be mutated (nothing does: the engine and the webhook copy).
 */
class LineTable {
  lines = new Int32Array(4096);
  sizes = new Int32Array(4096);
  size = 0;
  /** Mappings with integer-like keys, which JavaScript enumerates first: their keys in text order. */
  readonly textOrder = new Map<object, string[]>();
  /** Entry of each item of long sequences, and of each key of long mappings, once asked for. */
  private itemEntries: Map<unknown[], Int32Array> | undefined;
  private keyEntries: Map<object, Map<string, number>> | undefined;
  /**
   * The last pointer lineOf() walked, per step: where its token ended in the pointer, and the
   * entry, value and line reached. Findings come resource by resource and mostly share a prefix
   * (`/spec/template/spec/containers/0/...`): the next walk starts where the two pointers part.
   */
  private memoValue: unknown = undefined;
  private memoFirst = -1;
  private memoPointer = '';
  private memoSteps = 0;
  private readonly memoEnds: number[] = [];
  private readonly memoEntries: number[] = [];
  private readonly memoNodes: unknown[] = [];

  /** Drops the room left by the last doubling, once the file is parsed. */
  trim(): void {
    if (this.lines.length === this.size) return;
    this.lines = this.lines.slice(0, this.size);
    this.sizes = this.sizes.slice(0, this.size);
  }

  grow(): void {
    const lines = new Int32Array(this.lines.length * 2);
    lines.set(this.lines);
    this.lines = lines;
    const sizes = new Int32Array(this.sizes.length * 2);
    sizes.set(this.sizes);
    this.sizes = sizes;
  }

  /** The entry of the `index`th key or item of a collection whose first entry is `first`. */
  private entry(collection: object, first: number, index: number): number {
    if (Array.isArray(collection) && collection.length > 64) {
      this.itemEntries ??= new Map();
      let entries = this.itemEntries.get(collection);
      if (!entries) {
        entries = new Int32Array(collection.length);
        for (let k = 0, e = first; k < entries.length; k += 1, e += 1 + this.sizes[e]!) entries[k] = e;
        this.itemEntries.set(collection, entries);
      }
      return entries[index]!;
    }
    let e = first;
    for (let k = 0; k < index; k += 1) e += 1 + this.sizes[e]!;
    return e;
  }

  /** The key string step() matched in a mapping, when it enumerated the keys (else `token`). */
  private stepKey = '';

  /** The entry of `token` in the collection `node` whose first entry is `first`, or -1. */
  private step(node: object, first: number, token: string): number {
    let index: number;
    this.stepKey = token;
    if (Array.isArray(node)) {
      // The same reading of an index as `lines[Number(token)]` on an array of item lines.
      index = Number(token);
      if (!Number.isInteger(index) || index < 0 || index >= node.length) return -1;
    } else {
      const known = this.keyEntries?.get(node);
      if (known) return known.get(token) ?? -1;
      const order = this.textOrder.size === 0 ? undefined : this.textOrder.get(node);
      if (order) index = order.indexOf(token);
      else {
        // Own keys enumerate in insertion (text) order. A parsed mapping inherits no enumerable
        // key (its prototype is Object.prototype), so a key not met here is not its own.
        index = -1;
        let k = 0;
        for (const key in node) {
          if (key === token) {
            index = k;
            // The object's own key string: reading the value with it skips internalising `token`.
            this.stepKey = key;
            break;
          }
          k += 1;
        }
      }
      if (index < 0) return -1;
      if (index > 64) {
        const entries = new Map<string, number>();
        let e = first;
        for (const key of order ?? Object.keys(node)) {
          entries.set(key, e);
          e += 1 + this.sizes[e]!;
        }
        (this.keyEntries ??= new Map()).set(node, entries);
        return entries.get(token)!;
      }
    }
    return this.entry(node, first, index);
  }

  /** The line of the field at `tokens` in a document whose entries start at `first`. */
  lineAt(value: unknown, line: number, first: number, tokens: readonly string[]): number {
    let node = value;
    for (const token of tokens) {
      if (node === null || typeof node !== 'object') break;
      const entry = this.step(node, first, token);
      if (entry < 0) break;
      line = this.lines[entry]!;
      first = entry + 1;
      // A non-canonical index (`01`) names no value, as `array[token]` does not.
      node = (node as Record<string, unknown>)[token];
    }
    return line;
  }

  /** The same as lineAt(pointerTokens(pointer)), without an array of tokens. */
  lineOf(value: unknown, line: number, first: number, pointer: string): number {
    if (pointer === '') return line;
    const ends = this.memoEnds;
    const entries = this.memoEntries;
    const nodes = this.memoNodes;
    let steps = 0;
    let node = value;
    let start = 1;
    if (this.memoValue === value && this.memoFirst === first) {
      // Reuse the steps of the last walk whose tokens this pointer repeats exactly.
      const last = this.memoPointer;
      const n = Math.min(last.length, pointer.length);
      let same = 0;
      while (same < n && last.charCodeAt(same) === pointer.charCodeAt(same)) same += 1;
      while (steps < this.memoSteps) {
        const end = ends[steps]!;
        if (end > same || (end < pointer.length && pointer.charCodeAt(end) !== 47)) break;
        steps += 1;
      }
      if (steps > 0) {
        const entry = entries[steps - 1]!;
        line = this.lines[entry]!;
        first = entry + 1;
        node = nodes[steps - 1];
        start = ends[steps - 1]! + 1;
        if (start > pointer.length) {
          this.memoSteps = steps;
          this.memoPointer = pointer;
          return line;
        }
      }
    } else {
      this.memoValue = value;
      this.memoFirst = first;
    }
    for (;;) {
      let end = pointer.indexOf('/', start);
      if (end < 0) end = pointer.length;
      if (node === null || typeof node !== 'object') break;
      const token = unescapePointerToken(pointer.slice(start, end));
      const entry = this.step(node, first, token);
      if (entry < 0) break;
      line = this.lines[entry]!;
      first = entry + 1;
      node = (node as Record<string, unknown>)[this.stepKey];
      ends[steps] = end;
      entries[steps] = entry;
      nodes[steps] = node;
      steps += 1;
      if (end === pointer.length) break;
      start = end + 1;
    }
    this.memoSteps = steps;
    this.memoPointer = pointer;
    return line;
  }
}

class Parser {
  private readonly t: string;
  private readonly n: number;
  readonly table = new LineTable();

  // The current structural line (comments and blank lines skipped).
  /** True at the end of the document: end of text, or a `---` line (then `sepAt` is its start). */
  eod = false;
  sepAt = -1;
  sepEnd = 0;
  sepNo = 0;
  /** Line number, indent (column of the content), content start and end (trailing spaces trimmed), next line start. */
  ln = 0;
  ind = 0;
  cs = 0;
  ce = 0;
  nx = 0;

  // The key found by the last keyLine() call, so the mapping that follows does not parse it again.
  private keyAt = -1;
  private keyValue = '';
  private keyAfter = 0;
  /** Keys seen before, by a hash of their text: most manifests repeat the same few keys. */
  private readonly keyCache: Array<string | undefined> = new Array<string | undefined>(KEY_CACHE_MASK + 1);
  /** Plain string values seen before, the same way: fewer copies of `IfNotPresent`, `TCP`, `100m`. */
  private readonly valueCache: Array<string | undefined> = new Array<string | undefined>(
    VALUE_CACHE_MASK + 1,
  );
  /** Items of the sequences being parsed: each becomes an array of exactly its size at its end. */
  private readonly itemStack: unknown[] = [];
  private itemTop = 0;

  /** End of the last quoted scalar or flow collection. */
  private end = 0;

  constructor(text: string) {
    this.t = text;
    this.n = text.length;
  }

  /** Move to the first structural line at or after `pos` (a line start), numbered `no`. */
  seek(pos: number, no: number): void {
    const t = this.t;
    const n = this.n;
    for (;;) {
      if (pos >= n) {
        this.eod = true;
        this.sepAt = -1;
        return;
      }
      let end = t.indexOf('\n', pos);
      if (end < 0) end = n;
      let i = pos;
      while (i < end && t.charCodeAt(i) === SPACE) i += 1;
      if (i === end) {
        pos = end + 1;
        no += 1;
        continue;
      }
      const c = t.charCodeAt(i);
      if (i === pos) {
        if (c === DASH && t.startsWith('---', pos)) {
          // Any other line starting `---` splits the stream where kubectl reads it: not ours.
          if (end !== pos + 3 && t.charCodeAt(pos + 3) !== SPACE) giveUp();
          this.eod = true;
          this.sepAt = pos;
          this.sepEnd = end;
          this.sepNo = no;
          return;
        }
        if (c === 46 && t.startsWith('...', pos) && (end === pos + 3 || t.charCodeAt(pos + 3) === SPACE))
          giveUp();
        if (c === 37 /* % */) giveUp();
      }
      if (c === HASH) {
        pos = end + 1;
        no += 1;
        continue;
      }
      let e = end;
      while (t.charCodeAt(e - 1) === SPACE) e -= 1;
      this.eod = false;
      this.ln = no;
      this.ind = i - pos;
      this.cs = i;
      this.ce = e;
      this.nx = end + 1;
      return;
    }
  }

  /** Consume the current line. */
  private advance(): void {
    this.seek(this.nx, this.ln + 1);
  }

  /** Parse one document from the current line up to the next `---` or the end. */
  document(): FastDocument {
    const table = this.table;
    const first = table.size;
    if (this.eod) return fastDocument(null, 1, table, first);
    const line = this.ln;
    const value = this.node(this.ind, -1);
    if (!this.eod) giveUp();
    return fastDocument(value, line, table, first);
  }

  private isDash(s: number, e: number): boolean {
    return this.t.charCodeAt(s) === DASH && (s + 1 === e || this.t.charCodeAt(s + 1) === SPACE);
  }

  /** Record the next key or item (in document order); returns its entry. */
  private entry(line: number): number {
    const table = this.table;
    const entry = table.size;
    if (entry === table.lines.length) table.grow();
    table.lines[entry] = line;
    table.size = entry + 1;
    return entry;
  }

  /** The value of `entry` has been parsed: note how many entries it holds. */
  private ended(entry: number): void {
    this.table.sizes[entry] = this.table.size - entry - 1;
  }

  /**
   * Give up on a duplicate key (or `__proto__`). `seen` has a bit per key so far, chosen from the
   * key string (not its text: `a :` and `"a":` are the same key), so only a key whose bit is
   * already set pays for the property lookup. Returns the new `seen`.
   */
  private newKey(map: object, key: string, seen: number): number {
    if (key === '__proto__') giveUp();
    const bit = 1 << ((key.length * 7 + key.charCodeAt(0) + key.charCodeAt(key.length - 1)) % 31);
    if ((seen & bit) !== 0 && Object.prototype.hasOwnProperty.call(map, key)) giveUp();
    return seen | bit;
  }

  /**
   * Keep the text order of a mapping's keys once one is integer-like (JavaScript enumerates those
   * first); `order` is what was kept so far for this mapping.
   */
  private keyOrder(map: object, key: string, order: string[] | undefined): string[] | undefined {
    if (order) order.push(key);
    else {
      const c = key.charCodeAt(0);
      if (c < 48 || c > 57) return undefined;
      order = [...Object.keys(map), key];
      this.table.textOrder.set(map, order);
    }
    return order;
  }

  /** A node whose first line is the current one, at `indent`; `parent` is the enclosing indent. */
  private node(indent: number, parent: number): unknown {
    if (this.eod || this.ind !== indent || indent <= parent) giveUp();
    const s = this.cs;
    const e = this.ce;
    if (this.isDash(s, e)) return this.sequence(indent);
    if (this.keyLine(s, e)) return this.mapping(indent);
    // A scalar or flow collection alone on its line. A block scalar there takes its indentation
    // from the parent node, which this line-by-line reading does not follow: not ours.
    const c = this.t.charCodeAt(s);
    if (c === 124 || c === 62) giveUp();
    const no = this.ln;
    const nx = this.nx;
    this.advance();
    return this.inlineValue(s, e, no, nx, indent);
  }

  /**
   * Whether `s..e` is a `key: ...` line; the key goes to keyValue and the index after `:` to
   * keyAfter. Gives up on key-shaped lines whose key is not ours (indicators, non-string keys ...).
   */
  private keyLine(s: number, e: number): boolean {
    if (this.keyAt === s) return true;
    const t = this.t;
    const c = t.charCodeAt(s);
    if (c === 34 || c === 39) {
      const key = c === 34 ? this.doubleQuoted(s, e) : this.singleQuoted(s, e);
      const end = this.end;
      if (end < e && t.charCodeAt(end) === COLON && (end + 1 === e || t.charCodeAt(end + 1) === SPACE)) {
        this.keyAt = s;
        this.keyValue = key;
        this.keyAfter = end + 1;
        return true;
      }
      return false;
    }
    if (c === 123 || c === 91 || c === HASH || c === COLON) return false;
    // The first `: ` (or a final `:`) ends the key, provided no comment started before it.
    let sep = -1;
    let hash = c;
    for (let k = s + 1; k < e; k += 1) {
      const ch = t.charCodeAt(k);
      if (ch === COLON) {
        if (k + 1 === e || t.charCodeAt(k + 1) === SPACE) {
          sep = k;
          break;
        }
      } else if (ch === HASH && t.charCodeAt(k - 1) === SPACE) return false;
      hash = (hash * 31 + ch) | 0;
    }
    if (sep < 0) return false;
    this.keyAt = s;
    this.keyAfter = sep + 1;
    // The same key text as before: the same (already checked, already internalised) string.
    const slot = hash & KEY_CACHE_MASK;
    const cached = this.keyCache[slot];
    if (cached !== undefined && cached.length === sep - s && t.startsWith(cached, s)) {
      this.keyValue = cached;
      return true;
    }
    if (c === 63 /* ? */) giveUp(); // complex key
    let r = sep;
    while (t.charCodeAt(r - 1) === SPACE) r -= 1;
    this.checkPlain(s, r);
    // Keys that resolve to something other than a string come out stringified by the full
    // parser; leave them to it.
    const key = this.plain(s, r);
    // A plain `<<` is a merge key: not ours.
    if (typeof key !== 'string' || key === '<<') giveUp();
    if (r === sep) {
      this.keyCache[slot] = key as string;
    }
    this.keyValue = key as string;
    return true;
  }

  private mapping(indent: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    let order: string[] | undefined;
    let seen = 0;
    for (;;) {
      if (this.eod || this.ind < indent) break;
      if (this.ind > indent) giveUp();
      const s = this.cs;
      const e = this.ce;
      if (this.isDash(s, e)) break; // a sequence at the same indent ends this mapping's value
      if (!this.keyLine(s, e)) giveUp();
      const key = this.keyValue;
      const after = this.keyAfter;
      this.keyAt = -1;
      seen = this.newKey(map, key, seen);
      order = this.keyOrder(map, key, order);
      const no = this.ln;
      const nx = this.nx;
      const entry = this.entry(no);
      this.advance();
      map[key] = this.valueAfterKey(after, e, no, nx, indent);
      this.ended(entry);
    }
    return map;
  }

  /** The value of a mapping entry whose key ends at `i` on the (consumed) line `no`. */
  private valueAfterKey(i: number, e: number, no: number, nx: number, indent: number): unknown {
    const t = this.t;
    while (i < e && t.charCodeAt(i) === SPACE) i += 1;
    if (i >= e || t.charCodeAt(i) === HASH) {
      // The value is on the following lines: more indented, or a sequence at the same indent.
      if (this.eod || this.ind < indent) return null;
      if (this.ind === indent) return this.isDash(this.cs, this.ce) ? this.sequence(indent) : null;
      return this.node(this.ind, indent);
    }
    return this.inlineValue(i, e, no, nx, indent);
  }

  private sequence(indent: number): unknown[] {
    const t = this.t;
    const base = this.itemTop;
    for (;;) {
      if (this.eod || this.ind < indent) break;
      if (this.ind > indent) giveUp();
      const s = this.cs;
      const e = this.ce;
      if (!this.isDash(s, e)) break;
      const no = this.ln;
      const entry = this.entry(no);
      let i = s + 1;
      while (i < e && t.charCodeAt(i) === SPACE) i += 1;
      let value: unknown;
      if (i >= e || t.charCodeAt(i) === HASH) {
        this.advance();
        value = !this.eod && this.ind > indent ? this.node(this.ind, indent) : null;
      } else if (this.isDash(i, e) || this.keyLine(i, e)) {
        // Compact form: the item's content starts on the dash line; read the rest of the line
        // as a line of its own at that column.
        this.cs = i;
        this.ind = indent + (i - s);
        value = this.node(this.ind, indent);
      } else {
        const nx = this.nx;
        this.advance();
        value = this.inlineValue(i, e, no, nx, indent);
      }
      this.itemStack[this.itemTop++] = value;
      this.ended(entry);
    }
    return this.items(base);
  }

  /** A value that starts at `i` on the (consumed) line `no`: flow collection, quoted, block or plain scalar. */
  private inlineValue(i: number, e: number, no: number, nx: number, indent: number): unknown {
    const t = this.t;
    const c = t.charCodeAt(i);
    let value: unknown;
    if (c === 34 || c === 39) {
      value = c === 34 ? this.doubleQuoted(i, e) : this.singleQuoted(i, e);
      this.expectLineEnd(this.end, e);
    } else if (c === 123 || c === 91) {
      value = this.flow(i, e, no);
      this.expectLineEnd(this.end, e);
    } else if (c === 124 || c === 62) {
      return this.blockScalar(i, e, indent, no, nx);
    } else {
      // A plain scalar up to a comment; `: ` inside it would be a nested mapping: not ours.
      let end = e;
      for (let k = i + 1; k < e; k += 1) {
        const ch = t.charCodeAt(k);
        if (ch === HASH) {
          if (t.charCodeAt(k - 1) === SPACE) {
            end = k - 1;
            break;
          }
        } else if (ch === COLON && (k + 1 === e || t.charCodeAt(k + 1) === SPACE)) giveUp();
      }
      while (t.charCodeAt(end - 1) === SPACE) end -= 1;
      this.checkPlain(i, end);
      value = this.plain(i, end);
    }
    // A more-indented line after a one-line value would continue it (multi-line scalar): not ours.
    if (!this.eod && this.ind > indent) giveUp();
    return value;
  }

  /** What may follow a complete node on its line: spaces, then nothing or a comment. */
  private expectLineEnd(i: number, e: number): void {
    const t = this.t;
    const start = i;
    while (i < e && t.charCodeAt(i) === SPACE) i += 1;
    if (i < e && (t.charCodeAt(i) !== HASH || i === start)) giveUp();
  }

  /** Plain scalars the fast path does not take: indicators the full parser treats specially. */
  private checkPlain(s: number, e: number): void {
    if (s >= e) return;
    const t = this.t;
    const c = t.charCodeAt(s);
    switch (c) {
      case 38: // &
      case 42: // *
      case 33: // !
      case 124: // |
      case 62: // >
      case 37: // %
      case 64: // @
      case 96: // `
      case 39: // '
      case 34: // "
      case 123: // {
      case 125: // }
      case 91: // [
      case 93: // ]
      case HASH:
      case 44: // ,
        giveUp();
        break;
      case DASH:
      case 63: // ?
      case COLON:
        if (e === s + 1 || t.charCodeAt(s + 1) === SPACE) giveUp();
        break;
    }
    if (t.charCodeAt(e - 1) === COLON) giveUp();
  }

  /** `s..e` as a string: a plain value seen before is the same string again. */
  private cachedSlice(s: number, e: number): string {
    if (e - s > VALUE_CACHE_LENGTH) return detachedString(this.t.slice(s, e));
    const t = this.t;
    let hash = 0;
    for (let k = s; k < e; k += 1) hash = (hash * 31 + t.charCodeAt(k)) | 0;
    const slot = hash & VALUE_CACHE_MASK;
    const cached = this.valueCache[slot];
    if (cached !== undefined && cached.length === e - s && t.startsWith(cached, s)) return cached;
    const value = detachedString(t.slice(s, e));
    this.valueCache[slot] = value;
    return value;
  }

  /**
   * Resolve the plain scalar `s..e` as go-yaml v2 does (src/inputs/kubernetes-scalars.ts). What
   * JSON cannot hold (.nan, .inf) is not ours: the exact reader words the error.
   */
  private plain(s: number, e: number): unknown {
    const t = this.t;
    if (s === e) return null;
    const c = t.charCodeAt(s);
    // Most scalars start with a letter that cannot begin a bool or null (y n t f o, any case).
    if (
      (c >= 97 && c <= 122 && c !== 121 && c !== 110 && c !== 116 && c !== 102 && c !== 111) ||
      (c >= 65 && c <= 90 && c !== 89 && c !== 78 && c !== 84 && c !== 70 && c !== 79)
    )
      return this.cachedSlice(s, e);
    const length = e - s;
    if ((c >= 49 && c <= 57) || c === DASH || c === 43 /* + */) {
      // A decimal integer without a leading zero (`0644` is octal here): [-+]?[1-9][0-9]*.
      let k = c === DASH || c === 43 ? s + 1 : s;
      const first = t.charCodeAt(k);
      if (first >= 49 && first <= 57) {
        let v = 0;
        const digits = e - k;
        for (; k < e; k += 1) {
          const d = t.charCodeAt(k) - 48;
          if (d < 0 || d > 9) break;
          v = v * 10 + d;
        }
        if (k === e && digits <= 15) return c === DASH ? -v : v;
      }
    }
    if (length > 5 && c !== 46 && c !== DASH && c !== 43 && (c < 48 || c > 57)) return this.cachedSlice(s, e);
    const resolved = resolveGoPlain(t.slice(s, e));
    if (resolved.type === 'float' && !Number.isFinite(resolved.value)) giveUp();
    if (resolved.type === 'str') return this.cachedSlice(s, e);
    return resolved.value;
  }

  /** A double-quoted scalar starting at `s` (the quote), ending on this line; `end` is set after it. */
  private doubleQuoted(s: number, e: number): string {
    const t = this.t;
    let out = '';
    let i = s + 1;
    let run = i;
    for (;;) {
      if (i >= e) giveUp(); // continues on the next line: multi-line scalar
      const ch = t.charCodeAt(i);
      if (ch === 34) {
        this.end = i + 1;
        return detachedString(run === s + 1 ? t.slice(run, i) : out + t.slice(run, i));
      }
      if (ch === 92 /* \ */) {
        out += t.slice(run, i);
        if (i + 1 >= e) giveUp();
        const esc = t[i + 1]!;
        if (esc === 'x' || esc === 'u' || esc === 'U') {
          const len = esc === 'x' ? 2 : esc === 'u' ? 4 : 8;
          if (i + 2 + len > e) giveUp();
          const hex = t.slice(i + 2, i + 2 + len);
          if (!/^[0-9a-fA-F]+$/.test(hex)) giveUp();
          const code = parseInt(hex, 16);
          if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) giveUp();
          out += String.fromCodePoint(code);
          i += 2 + len;
        } else {
          const mapped = DOUBLE_QUOTED_ESCAPES[esc];
          if (mapped === undefined) giveUp();
          out += mapped;
          i += 2;
        }
        run = i;
        continue;
      }
      i += 1;
    }
  }

  private singleQuoted(s: number, e: number): string {
    const t = this.t;
    let out = '';
    let i = s + 1;
    for (;;) {
      const end = t.indexOf("'", i);
      if (end < 0 || end >= e) giveUp();
      out += t.slice(i, end);
      if (end + 1 < e && t.charCodeAt(end + 1) === 39) {
        out += "'";
        i = end + 2;
        continue;
      }
      this.end = end + 1;
      return detachedString(out);
    }
  }

  private blockScalar(i: number, e: number, indent: number, headerLine: number, nx: number): string {
    const t = this.t;
    const folded = t.charCodeAt(i) === 62;
    let k = i + 1;
    const strip = k < e && t.charCodeAt(k) === DASH;
    if (strip) k += 1;
    if (k < e) {
      // Only a comment may follow; keep-chomping (+) and indentation indicators are not ours.
      if (t.charCodeAt(k) !== SPACE) giveUp();
      while (t.charCodeAt(k) === SPACE) k += 1;
      if (t.charCodeAt(k) !== HASH) giveUp();
    }
    const n = this.n;
    let pos = nx;
    let no = headerLine + 1;
    let contentIndent = -1;
    let mostBlankSpaces = 0;
    let value = '';
    let rows = 0;
    let blanks = 0;
    while (pos < n) {
      let end = t.indexOf('\n', pos);
      if (end < 0) end = n;
      let j = pos;
      while (j < end && t.charCodeAt(j) === SPACE) j += 1;
      if (j === end) {
        // An empty line (the full parser keeps spaces past the content indent: not ours).
        if (j - pos > mostBlankSpaces) mostBlankSpaces = j - pos;
        blanks += 1;
      } else {
        const rowIndent = j - pos;
        if (rowIndent <= indent) break;
        if (contentIndent < 0) {
          contentIndent = rowIndent;
          if (folded && no !== headerLine + 1) giveUp();
        }
        if (rowIndent < contentIndent) giveUp();
        if (folded && rowIndent > contentIndent) giveUp();
        const row = t.slice(pos + contentIndent, end);
        if (!folded) {
          if (rows > 0 || blanks > 0) value += '\n'.repeat(rows > 0 ? blanks + 1 : blanks);
          value += row;
        } else if (rows === 0) value = row;
        else value += blanks > 0 ? '\n'.repeat(blanks) + row : ' ' + row;
        rows += 1;
        blanks = 0;
      }
      pos = end + 1;
      no += 1;
    }
    if (mostBlankSpaces > (contentIndent < 0 ? indent : contentIndent)) giveUp();
    this.seek(pos, no);
    if (rows === 0) return '';
    return detachedString(strip ? value : value + '\n');
  }

  /** A flow collection on one line: `{a: 1, b: [x, "y"]}`. */
  private flow(i: number, e: number, no: number): unknown {
    this.end = i;
    return this.flowValue(e, no);
  }

  /** Skip spaces inside a flow collection; reaching the line end or a comment means it spans lines. */
  private flowSpace(e: number): number {
    const t = this.t;
    let p = this.end;
    while (p < e && t.charCodeAt(p) === SPACE) p += 1;
    if (p >= e || t.charCodeAt(p) === HASH) giveUp();
    this.end = p;
    return t.charCodeAt(p);
  }

  private flowValue(e: number, no: number): unknown {
    const c = this.flowSpace(e);
    if (c === 123) return this.flowMap(e, no);
    if (c === 91) return this.flowSeq(e, no);
    return this.flowScalar(e, false);
  }

  private flowMap(e: number, no: number): Record<string, unknown> {
    const t = this.t;
    this.end += 1;
    const out: Record<string, unknown> = {};
    let order: string[] | undefined;
    let seen = 0;
    if (this.flowSpace(e) !== 125) {
      for (;;) {
        this.flowSpace(e);
        const key = this.flowScalar(e, true) as string;
        seen = this.newKey(out, key, seen);
        if (this.flowSpace(e) !== COLON) giveUp();
        this.end += 1;
        if (this.end >= e || t.charCodeAt(this.end) !== SPACE) giveUp();
        order = this.keyOrder(out, key, order);
        const entry = this.entry(no);
        out[key] = this.flowValue(e, no);
        this.ended(entry);
        const c = this.flowSpace(e);
        this.end += 1;
        if (c === 125) break;
        if (c !== 44) giveUp();
        if (this.flowSpace(e) === 125) giveUp(); // trailing comma: leave it to the full parser
      }
    } else this.end += 1;
    return out;
  }

  private flowSeq(e: number, no: number): unknown[] {
    this.end += 1;
    const base = this.itemTop;
    if (this.flowSpace(e) !== 93) {
      for (;;) {
        const entry = this.entry(no);
        const value = this.flowValue(e, no);
        this.itemStack[this.itemTop++] = value;
        this.ended(entry);
        const c = this.flowSpace(e);
        this.end += 1;
        if (c === 93) break;
        if (c !== 44) giveUp();
        if (this.flowSpace(e) === 93) giveUp();
      }
    } else this.end += 1;
    return this.items(base);
  }

  /** The array of the items stacked since `base` (which leave the stack). */
  private items(base: number): unknown[] {
    const items = this.itemStack.slice(base, this.itemTop);
    this.itemTop = base;
    return items;
  }

  private flowScalar(e: number, isKey: boolean): unknown {
    const t = this.t;
    const start = this.end;
    const c = t.charCodeAt(start);
    if (c === 34) return this.doubleQuoted(start, e);
    if (c === 39) return this.singleQuoted(start, e);
    let p = start;
    let hash = 0;
    for (; p < e; p += 1) {
      const ch = t.charCodeAt(p);
      if (isFlowIndicator(ch)) break;
      if (ch === COLON) {
        const next = p + 1 < e ? t.charCodeAt(p + 1) : -1;
        if (next === SPACE || next === 44 || next === 125) break;
      }
      if (ch === HASH && p > start && t.charCodeAt(p - 1) === SPACE) giveUp();
      hash = (hash * 31 + ch) | 0;
    }
    this.end = p;
    const slot = hash & KEY_CACHE_MASK;
    if (isKey) {
      const cached = this.keyCache[slot];
      if (cached !== undefined && cached.length === p - start && t.startsWith(cached, start)) return cached;
    }
    while (p > start && t.charCodeAt(p - 1) === SPACE) p -= 1;
    if (p === start) giveUp();
    this.checkPlain(start, p);
    const value = this.plain(start, p);
    if (isKey) {
      if (typeof value !== 'string' || value === '<<') giveUp();
      // Only a key read with the same checks as in block mappings (`?` starts no key there).
      if (p === this.end && c !== 63) {
        this.keyCache[slot] = value as string;
      }
    }
    return value;
  }
}

function fastDocument(value: unknown, line: number, table: LineTable, first: number): FastDocument {
  return {
    value,
    line,
    lineAt: (tokens) => table.lineAt(value, line, first, tokens),
    lineOf: (pointer) => table.lineOf(value, line, first, pointer),
  };
}

/**
 * Parse a multi-document YAML text with the fast path. Undefined means "not ours": parse it with
 * the `yaml` package instead.
 */
export function parseYamlFast(text: string): FastDocument[] | undefined {
  if (text.charCodeAt(0) === 0xfeff || text.includes('\t') || text.includes('\r')) return undefined;
  const documents: FastDocument[] = [];
  const parser = new Parser(text);
  try {
    parser.seek(0, 1);
    let sawSeparator = false;
    for (;;) {
      // Comments before the first separator belong to no document.
      if (!(parser.eod && parser.sepAt >= 0 && !sawSeparator)) documents.push(parser.document());
      if (parser.sepAt < 0) break;
      // After `---` only a comment may follow on its line.
      let k = parser.sepAt + 3;
      while (k < parser.sepEnd && text.charCodeAt(k) === SPACE) k += 1;
      if (k < parser.sepEnd && text.charCodeAt(k) !== HASH) return undefined;
      sawSeparator = true;
      parser.seek(parser.sepEnd + 1, parser.sepNo + 1);
    }
  } catch (error) {
    // Nesting deeper than the stack: not ours either (the caller reports it).
    if (error instanceof GiveUp || error instanceof RangeError) return undefined;
    throw error;
  }
  parser.table.trim();
  return documents;
}
