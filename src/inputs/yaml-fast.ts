/**
 * A fast path for the YAML that manifests are made of: block mappings and sequences, plain and
 * quoted single-line scalars, one-line flow collections, literal and simple folded block scalars,
 * comments and `---` separators. It resolves scalars exactly as the `yaml` package's default
 * (YAML 1.2 core schema) does and records the line of every key and item.
 *
 * Anything else — anchors, aliases, tags, directives, multi-line plain or quoted scalars, complex
 * keys, tabs in indentation, duplicate keys, anything malformed — makes it give up (return
 * undefined) so the caller parses the file with the `yaml` package, which also words the errors.
 * Giving up is always safe; a wrong answer never is, and a property test holds the two parsers to
 * the same output.
 */

/** Line numbers (1-based) of a mapping's keys or a sequence's items. */
export type NodeLines = Map<string, number> | number[];

export interface FastDocument {
  value: unknown;
  /** Line of the document's first content (its root node). */
  line: number;
  /** Lines of the keys/items of every mapping and sequence in the document. */
  lines: WeakMap<object, NodeLines>;
}

class GiveUp extends Error {}
const giveUp = (): never => {
  throw new GiveUp();
};

const NULL_RE = /^(?:~|null|Null|NULL)$/;
const BOOL_TRUE = /^(?:true|True|TRUE)$/;
const BOOL_FALSE = /^(?:false|False|FALSE)$/;
const INT_DEC = /^[-+]?[0-9]+$/;
const INT_OCT = /^0o[0-7]+$/;
const INT_HEX = /^0x[0-9a-fA-F]+$/;
const FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
const INF = /^[-+]?\.(?:inf|Inf|INF)$/;
const NAN = /^\.(?:nan|NaN|NAN)$/;

/** Resolve a plain scalar under the YAML 1.2 core schema. */
function resolvePlain(text: string): unknown {
  if (text === '') return null;
  const c = text.charCodeAt(0);
  // Fast exit: most scalars start with a letter that cannot begin a number, null or bool.
  if (
    (c >= 97 && c <= 122 && c !== 110 && c !== 116 && c !== 102) ||
    (c >= 65 && c <= 90 && c !== 78 && c !== 84 && c !== 70)
  )
    return text;
  if (NULL_RE.test(text)) return null;
  if (BOOL_TRUE.test(text)) return true;
  if (BOOL_FALSE.test(text)) return false;
  if (INT_DEC.test(text)) return parseInt(text, 10);
  if (INT_OCT.test(text)) return parseInt(text.slice(2), 8);
  if (INT_HEX.test(text)) return parseInt(text.slice(2), 16);
  if (FLOAT.test(text)) return parseFloat(text);
  if (INF.test(text)) return text.charCodeAt(0) === 45 ? -Infinity : Infinity;
  if (NAN.test(text)) return NaN;
  return text;
}

/** Plain scalars the fast path does not take: indicators the full parser treats specially. */
function checkPlainStart(text: string, flow: boolean): void {
  const c = text[0];
  if (c === undefined) return;
  if ('&*!|>%@`\'"{}[]#,'.includes(c)) giveUp();
  if ((c === '-' || c === '?' || c === ':') && (text.length === 1 || text[1] === ' ')) giveUp();
  if (flow && /[{}[\],]/.test(text)) giveUp();
  // `a: b` inside a plain scalar is a nested mapping in block context: not ours to judge.
  if (text.includes(': ') || text.endsWith(':')) giveUp();
  if (text.includes('\t')) giveUp();
}

const ESCAPES: Record<string, string> = {
  '0': '\0',
  a: '\x07',
  b: '\b',
  t: '\t',
  '\t': '\t',
  n: '\n',
  v: '\v',
  f: '\f',
  r: '\r',
  e: '\x1b',
  ' ': ' ',
  '"': '"',
  '/': '/',
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};

/** Parse a double-quoted scalar starting at `start` (the quote); returns the value and the index after it. */
function doubleQuoted(line: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  let run = i;
  for (;;) {
    if (i >= line.length) giveUp(); // continues on the next line: multi-line scalar
    const ch = line[i];
    if (ch === '"') {
      out += line.slice(run, i);
      return [out, i + 1];
    }
    if (ch === '\\') {
      out += line.slice(run, i);
      const e = line[i + 1];
      if (e === undefined) giveUp();
      if (e === 'x' || e === 'u' || e === 'U') {
        const len = e === 'x' ? 2 : e === 'u' ? 4 : 8;
        const hex = line.slice(i + 2, i + 2 + len);
        if (hex.length !== len || !/^[0-9a-fA-F]+$/.test(hex)) giveUp();
        out += String.fromCodePoint(parseInt(hex, 16));
        i += 2 + len;
      } else {
        const mapped = ESCAPES[e!];
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

function singleQuoted(line: string, start: number): [string, number] {
  let out = '';
  let i = start + 1;
  for (;;) {
    const end = line.indexOf("'", i);
    if (end < 0) giveUp();
    out += line.slice(i, end);
    if (line[end + 1] === "'") {
      out += "'";
      i = end + 2;
      continue;
    }
    return [out, end + 1];
  }
}

/** What may follow a complete node on its line: spaces, then nothing or a comment. */
function expectLineEnd(line: string, i: number): void {
  while (i < line.length && line.charCodeAt(i) === 32) i += 1;
  if (i < line.length && line[i] !== '#') giveUp();
  if (i < line.length && line[i - 1] !== ' ') giveUp();
}

/** Remove a trailing comment (` #...`) from a plain-scalar line and trim. */
function stripComment(text: string): string {
  const hash = text.indexOf(' #');
  const body = hash >= 0 ? text.slice(0, hash) : text;
  return body.trimEnd();
}

interface Line {
  /** 1-based line number. */
  no: number;
  indent: number;
  /** The line without its indentation and trailing spaces. */
  text: string;
  /** The line without its indentation, trailing spaces kept (block scalars keep them). */
  raw: string;
  /** A comment-only line: structure skips it, block scalars keep it. */
  comment: boolean;
}

class DocumentParser {
  private pos = 0;
  readonly lines = new WeakMap<object, NodeLines>();

  constructor(private readonly rows: Line[]) {}

  parse(): { value: unknown; line: number } {
    const first = this.peek();
    if (!first) return { value: null, line: 1 };
    const value = this.node(first.indent, -1);
    if (this.peek()) giveUp();
    return { value, line: first.no };
  }

  /** The next structural line (comment-only lines skipped). */
  private peek(): Line | undefined {
    let row = this.rows[this.pos];
    while (row && row.comment) row = this.rows[++this.pos];
    return row;
  }

  /** A node whose first line is the current one, at `indent`; `parent` is the enclosing indent. */
  private node(indent: number, parent: number): unknown {
    const row = this.peek();
    if (!row || row.indent !== indent || indent <= parent) giveUp();
    const text = row!.text;
    if (text === '-' || text.startsWith('- ')) return this.sequence(indent);
    if (this.isKeyLine(text)) return this.mapping(indent);
    // A root scalar or flow collection alone on its line.
    this.pos += 1;
    const value = this.inlineValue(text, 0, row!.no, indent);
    return value;
  }

  private isKeyLine(text: string): boolean {
    const c = text[0];
    if (c === '"' || c === "'") {
      try {
        const [, end] = c === '"' ? doubleQuoted(text, 0) : singleQuoted(text, 0);
        return text[end] === ':' && (end + 1 === text.length || text[end + 1] === ' ');
      } catch {
        return false;
      }
    }
    if (c === '{' || c === '[' || c === '#') return false;
    const colon = text.indexOf(':');
    if (colon <= 0) return false;
    // The first `: ` (or a final `:`) ends the key, provided no comment started before it.
    const sep = text.search(/:(?: |$)/);
    if (sep < 0) return false;
    const hash = text.indexOf(' #');
    return hash < 0 || hash > sep;
  }

  private mapping(indent: number): Record<string, unknown> {
    const map: Record<string, unknown> = {};
    const keyLines = new Map<string, number>();
    this.lines.set(map, keyLines);
    for (;;) {
      const row = this.peek();
      if (!row || row.indent < indent) break;
      if (row.indent > indent) giveUp();
      const text = row.text;
      if (text === '-' || text.startsWith('- ')) break; // a sequence at the same indent ends this mapping's value
      this.pos += 1;
      const [key, after] = this.key(text);
      if (Object.prototype.hasOwnProperty.call(map, key) || key === '__proto__') giveUp();
      keyLines.set(key, row.no);
      map[key] = this.valueAfterKey(text, after, row, indent);
    }
    return map;
  }

  /** Parse the key at the start of a key line; returns it and the index after `:`. */
  private key(text: string): [string, number] {
    const c = text[0];
    if (c === '"' || c === "'") {
      const [key, end] = c === '"' ? doubleQuoted(text, 0) : singleQuoted(text, 0);
      if (text[end] !== ':') giveUp();
      return [key, end + 1];
    }
    if (c === '?') giveUp();
    const sep = text.search(/:(?: |$)/);
    const raw = text.slice(0, sep).trimEnd();
    checkPlainStart(raw, false);
    if (raw.includes(' #')) giveUp();
    // Keys that resolve to something other than a string come out stringified by the full
    // parser; leave them to it.
    if (typeof resolvePlain(raw) !== 'string') giveUp();
    return [raw, sep + 1];
  }

  /** The value of a mapping entry whose key ends at `after` on `row`. */
  private valueAfterKey(text: string, after: number, row: Line, indent: number): unknown {
    let i = after;
    while (i < text.length && text.charCodeAt(i) === 32) i += 1;
    if (i >= text.length || text[i] === '#') {
      // The value is on the following lines: more indented, or a sequence at the same indent.
      const next = this.peek();
      if (!next || next.indent < indent) return null;
      if (next.indent === indent) {
        return next.text === '-' || next.text.startsWith('- ') ? this.sequence(indent) : null;
      }
      return this.node(next.indent, indent);
    }
    return this.inlineValue(text, i, row.no, indent);
  }

  private sequence(indent: number): unknown[] {
    const items: unknown[] = [];
    const itemLines: number[] = [];
    this.lines.set(items, itemLines);
    for (;;) {
      const row = this.peek();
      if (!row || row.indent < indent) break;
      if (row.indent > indent) giveUp();
      const text = row.text;
      if (!(text === '-' || text.startsWith('- '))) break;
      this.pos += 1;
      itemLines.push(row.no);
      let i = 1;
      while (i < text.length && text.charCodeAt(i) === 32) i += 1;
      if (i >= text.length || text[i] === '#') {
        const next = this.peek();
        items.push(next && next.indent > indent ? this.node(next.indent, indent) : null);
        continue;
      }
      // Compact form: the item's content starts on the dash line, at column indent + i.
      const rest = text.slice(i);
      const column = indent + i;
      if (rest === '-' || rest.startsWith('- ') || this.isKeyLine(rest)) {
        // Re-enter with the rest of the line as a line of its own at `column`.
        this.pos -= 1;
        this.rows[this.pos] = { no: row.no, indent: column, text: rest, raw: rest, comment: false };
        items.push(this.node(column, indent));
        continue;
      }
      items.push(this.inlineValue(rest, 0, row.no, indent));
    }
    return items;
  }

  /** A value that starts on the current line at `i`: flow collection, quoted, block or plain scalar. */
  private inlineValue(text: string, i: number, lineNo: number, indent: number): unknown {
    const c = text[i];
    if (c === '"' || c === "'") {
      const [value, end] = c === '"' ? doubleQuoted(text, i) : singleQuoted(text, i);
      expectLineEnd(text, end);
      this.noContinuation(indent);
      return value;
    }
    if (c === '{' || c === '[') {
      const flow = new FlowParser(text, i, lineNo, this.lines);
      const value = flow.value();
      expectLineEnd(text, flow.pos);
      this.noContinuation(indent);
      return value;
    }
    if (c === '|' || c === '>') return this.blockScalar(text.slice(i), indent, lineNo);
    const plain = stripComment(text.slice(i));
    checkPlainStart(plain, false);
    this.noContinuation(indent);
    return resolvePlain(plain);
  }

  /** A more-indented line after a one-line value would continue it (multi-line scalar): not ours. */
  private noContinuation(indent: number): void {
    const next = this.peek();
    if (next && next.indent > indent) giveUp();
  }

  private blockScalar(header: string, indent: number, headerLine: number): string {
    const m = /^([|>])(-?)(?:\s+#.*)?$/.exec(header);
    if (!m) giveUp(); // keep-chomping (+) and indentation indicators: not ours
    const folded = m![1] === '>';
    const chomp = m![2];
    const body: Line[] = [];
    // Blank lines were never rows; they are reconstructed from the line numbers.
    let contentIndent = -1;
    while (this.pos < this.rows.length) {
      const row = this.rows[this.pos]!;
      if (row.indent <= indent) break;
      if (contentIndent < 0) contentIndent = row.indent;
      if (row.indent < contentIndent) giveUp();
      body.push(row);
      this.pos += 1;
    }
    if (body.length === 0) return '';
    if (body[0]!.no !== headerLine + 1 && folded) giveUp();
    const parts: string[] = [];
    let previous = headerLine;
    for (const row of body) {
      for (let n = previous + 1; n < row.no; n += 1) parts.push('');
      previous = row.no;
      if (folded && row.indent > contentIndent) giveUp();
      parts.push(' '.repeat(row.indent - contentIndent) + row.raw);
    }
    let value: string;
    if (folded) {
      value = '';
      for (let k = 0; k < parts.length; k += 1) {
        const part = parts[k]!;
        if (k === 0) value = part;
        else if (part === '') value += '\n';
        else value += parts[k - 1] === '' ? part : ' ' + part;
      }
    } else {
      value = parts.join('\n');
    }
    return chomp === '-' ? value : value + '\n';
  }
}

/** Flow collections on one line: `{a: 1, b: [x, "y"]}`. */
class FlowParser {
  constructor(
    private readonly text: string,
    public pos: number,
    private readonly lineNo: number,
    private readonly lines: WeakMap<object, NodeLines>,
  ) {}

  private ws(): void {
    while (this.pos < this.text.length && this.text.charCodeAt(this.pos) === 32) this.pos += 1;
    if (this.pos >= this.text.length || this.text[this.pos] === '#') giveUp(); // spans lines
  }

  value(): unknown {
    this.ws();
    const c = this.text[this.pos];
    if (c === '{') return this.map();
    if (c === '[') return this.seq();
    return this.scalar();
  }

  private map(): Record<string, unknown> {
    this.pos += 1;
    const out: Record<string, unknown> = {};
    const keys = new Map<string, number>();
    this.lines.set(out, keys);
    this.ws();
    if (this.text[this.pos] === '}') {
      this.pos += 1;
      return out;
    }
    for (;;) {
      this.ws();
      const key = this.scalar(true);
      if (typeof key !== 'string' || Object.prototype.hasOwnProperty.call(out, key) || key === '__proto__')
        giveUp();
      this.ws();
      if (this.text[this.pos] !== ':') giveUp();
      this.pos += 1;
      if (this.text[this.pos] !== ' ') giveUp();
      keys.set(key as string, this.lineNo);
      out[key as string] = this.value();
      this.ws();
      const c = this.text[this.pos];
      this.pos += 1;
      if (c === '}') return out;
      if (c !== ',') giveUp();
      this.ws();
      if (this.text[this.pos] === '}') giveUp(); // trailing comma: leave it to the full parser
    }
  }

  private seq(): unknown[] {
    this.pos += 1;
    const out: unknown[] = [];
    const items: number[] = [];
    this.lines.set(out, items);
    this.ws();
    if (this.text[this.pos] === ']') {
      this.pos += 1;
      return out;
    }
    for (;;) {
      items.push(this.lineNo);
      out.push(this.value());
      this.ws();
      const c = this.text[this.pos];
      this.pos += 1;
      if (c === ']') return out;
      if (c !== ',') giveUp();
      this.ws();
      if (this.text[this.pos] === ']') giveUp();
    }
  }

  private scalar(isKey = false): unknown {
    const c = this.text[this.pos];
    if (c === '"' || c === "'") {
      const [value, end] = c === '"' ? doubleQuoted(this.text, this.pos) : singleQuoted(this.text, this.pos);
      this.pos = end;
      return value;
    }
    const start = this.pos;
    while (this.pos < this.text.length) {
      const ch = this.text[this.pos]!;
      if (ch === ',' || ch === ']' || ch === '}' || ch === '[' || ch === '{') break;
      if (
        ch === ':' &&
        (this.text[this.pos + 1] === ' ' ||
          this.text[this.pos + 1] === ',' ||
          this.text[this.pos + 1] === '}')
      )
        break;
      if (ch === '#' && this.text[this.pos - 1] === ' ') giveUp();
      this.pos += 1;
    }
    const raw = this.text.slice(start, this.pos).trimEnd();
    if (raw === '') giveUp();
    checkPlainStart(raw, true);
    const value = resolvePlain(raw);
    if (isKey && typeof value !== 'string') giveUp();
    return value;
  }
}

/**
 * Parse a multi-document YAML text with the fast path. Undefined means "not ours": parse it with
 * the `yaml` package instead.
 */
export function parseYamlFast(text: string): FastDocument[] | undefined {
  if (text.charCodeAt(0) === 0xfeff || text.includes('\t') || text.includes('\r')) return undefined;
  const documents: FastDocument[] = [];
  let rows: Line[] = [];
  let sawSeparator = false;
  const flush = () => {
    const parser = new DocumentParser(rows);
    const { value, line } = parser.parse();
    documents.push({ value, line, lines: parser.lines });
    rows = [];
  };
  try {
    let start = 0;
    let no = 0;
    const length = text.length;
    while (start <= length) {
      let end = text.indexOf('\n', start);
      if (end < 0) end = length;
      no += 1;
      const line = text.slice(start, end);
      start = end + 1;
      if (line.length === 0) {
        if (end === length) break;
        continue;
      }
      const c0 = line.charCodeAt(0);
      if (c0 === 45 /* - */ && line.startsWith('---') && (line.length === 3 || line[3] === ' ')) {
        if (line.length > 3 && line.slice(3).trim() !== '' && !line.slice(3).trim().startsWith('#'))
          return undefined;
        if (sawSeparator || rows.some((row) => !row.comment)) flush();
        else rows = []; // comments before the first separator belong to no document
        sawSeparator = true;
        continue;
      }
      if (c0 === 46 /* . */ && line.startsWith('...') && (line.length === 3 || line[3] === ' '))
        return undefined;
      if (c0 === 37 /* % */) return undefined;
      let indent = 0;
      while (indent < line.length && line.charCodeAt(indent) === 32) indent += 1;
      if (indent === line.length) continue; // blank
      const raw = line.slice(indent);
      rows.push({ no, indent, text: raw.trimEnd(), raw, comment: raw.charCodeAt(0) === 35 /* # */ });
      if (end === length) break;
    }
    if (rows.some((row) => !row.comment) || sawSeparator) flush();
    else if (!sawSeparator && documents.length === 0)
      documents.push({ value: null, line: 1, lines: new WeakMap() });
  } catch (error) {
    // Nesting deeper than the stack: not ours either (the caller reports it).
    if (error instanceof GiveUp || error instanceof RangeError) return undefined;
    throw error;
  }
  return documents;
}
