/**
 * Kubernetes-shaped YAML streams for the differential test against the YAML oracle: block and
 * flow collections at varied indentation, every scalar style (plain, single- and double-quoted with
 * escapes, literal and folded), multi-line scalars whose continuation lines sit at or left of the
 * key (go-yaml's leniency), YAML 1.1 words and numbers as values and keys, anchors, aliases, `<<`
 * merges (a map, an alias, a list), comments, duplicate keys and multi-document streams. fast-check
 * draws the seed of each stream; the stream is rendered from it in text order, so aliases only
 * name anchors written before them (and sometimes one that is not, which both sides must reject).
 */
import fc from 'fast-check';

type Rng = () => number;

/** A small deterministic PRNG (mulberry32) from fast-check's seed. */
function mulberry(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = [
  'nginx',
  'web',
  'app',
  'IfNotPresent',
  'TCP',
  '100m',
  '128Mi',
  'RuntimeDefault',
  'a b',
  'x.y/z',
  'http://example.com/a?b=c',
  'a#b',
  'a:b',
  '-dash',
  'v1',
  'apps/v1',
  'Deployment',
  'privileged',
  'true-ish',
  'O',
  'o',
  'Off',
  'oN',
  'yES',
  'Y',
  'y',
  'n',
  'N',
  'yes',
  'No',
  'on',
  'ON',
  'off',
  'OFF',
  'true',
  'True',
  'TRUE',
  'false',
  'FALSE',
  'null',
  'Null',
  'NULL',
  '~',
  'nil',
  'None',
  '0644',
  '0777',
  '08',
  '0_0',
  '0b0',
  '0b101',
  '-0b11',
  '+0b1',
  '0o17',
  '0O17',
  '0x1F',
  '0X1f',
  '0x_1',
  '1_000',
  '1__0',
  '_1',
  '1_',
  '+12',
  '-0',
  '+0',
  '-12',
  '007',
  '9223372036854775807',
  '9223372036854775808',
  '-9223372036854775808',
  '-9223372036854775809',
  '18446744073709551615',
  '18446744073709551616',
  '0777777777777777777777777',
  '123456789012345678',
  '1.5',
  '.5',
  '+.5',
  '-.5',
  '1.',
  '1e3',
  '1E3',
  '1e+3',
  '1.5e-3',
  '6.02e23',
  '1e400',
  '-1e400',
  '1e-400',
  '.5_5',
  '._5',
  '1_0.5',
  '.inf',
  '-.Inf',
  '+.INF',
  '.nan',
  '.NaN',
  '.Nan',
  '2001-12-14',
  '2001-12-14T21:59:43.10-05:00',
  '2001-12-14 21:59:43.10',
  '2001-13-45',
  '12:30:45',
  '1:20',
  '190:20:30',
  '0.0',
  '-0.0',
  '1.0',
  '3.14159',
  '1,000',
  '$HOME',
  '@at',
  '`tick',
  '%pct',
  'a  b',
  "it's",
  'say "hi"',
  '<<',
  '=',
  'é',
  'ünïcödé',
  '日本',
  'emoji 😀',
  '-',
  '?',
  ':',
  'a: b',
  '- a',
  '[a]',
  '{a}',
  '#x',
  '*a',
  '&a',
  '!t',
  '|',
  '>',
  "'q'",
  '"q"',
  ' lead',
  'trail ',
  '',
];

const KEYS = [
  'name',
  'image',
  'privileged',
  'hostNetwork',
  'runAsUser',
  'ports',
  'labels',
  'app',
  'a',
  'b',
  'c',
  'spec',
  'metadata',
  'on',
  'y',
  'n',
  'yes',
  'off',
  'true',
  'false',
  '1',
  '01',
  '0x10',
  '1.5',
  '1e3',
  '-1',
  '.inf',
  '2001-12-14',
  'a b',
  'x/y',
  'k.io/z',
  '__proto__',
  'constructor',
  '1.0',
  '0.1',
  '1e6',
  '123456.7',
];
/** Keys sigs.k8s.io/yaml cannot turn into JSON keys (null, NaN, past int64). */
const BAD_KEYS = ['null', '~', '.nan', '9223372036854775808', ''];
/** Keys that are not strings for go-yaml (bools, numbers), or read as one once stringified. */
const YAML11_KEYS = KEYS.filter(
  (k) => !/^[A-Za-z_][\w./ -]*$/.test(k) || /^(on|off|y|n|yes|no|true|false)$/.test(k),
);
const NAME_KEYS = KEYS.filter((k) => !YAML11_KEYS.includes(k));

const ESC = [
  '\\t',
  '\\n',
  '\\\\',
  '\\"',
  '\\x41',
  '\\u00e9',
  '\\U0001F600',
  '\\0',
  '\\e',
  '\\ ',
  '\\_',
  '\\N',
  "\\'",
  '\\a',
  '\\L',
];
/** Escapes go-yaml rejects (`\/` is YAML 1.2 only). */
const BAD_ESC = ['\\/', '\\q', '\\ud800', '\\x4'];

class Writer {
  lines: string[] = [];
  anchors: string[] = [];
  anchorCount = 0;
  /** Anchors of mappings, the only ones a merge may name without an error. */
  mapAnchors: string[] = [];
  /** A wild stream also draws what go-yaml rejects; a clean one only what it reads. */
  wild = false;
  constructor(readonly r: Rng) {}
  chance(p: number): boolean {
    return this.r() < p;
  }
  /** A chance of something go-yaml rejects (or that makes it arbitrary): wild streams only. */
  risk(p: number): boolean {
    return this.wild && this.r() < p;
  }
  int(n: number): number {
    return Math.floor(this.r() * n);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
  comment(): string {
    return this.chance(0.08) ? ` # ${this.pick(['c', 'note: x', '#', "'"])}` : '';
  }
  fullComment(indent: number): void {
    if (this.chance(0.04)) this.lines.push(`${' '.repeat(this.int(indent + 3))}# comment`);
    if (this.chance(0.03)) this.lines.push('');
  }
  /**
   * Anchor and tag properties for a node. A scalar's anchor can be named at once; a collection's
   * only once it is written (go-yaml rejects an alias inside its own anchor's node): `done()`.
   */
  props(collection = false): string {
    let out = '';
    this.open = undefined;
    if (this.chance(0.06)) {
      const name = `a${this.anchorCount++ % 4}`;
      if (collection) this.open = name;
      else {
        this.anchors.push(name);
        this.mapAnchors = this.mapAnchors.filter((a) => a !== name);
      }
      out += `&${name} `;
    }
    if (this.risk(0.03) || this.chance(0.004))
      out += `${this.pick(['!!str', '!!int', '!!float', '!!bool', '!!null', '!', '!custom', '!!binary', '!!timestamp', '!!map', '!!merge'])} `;
    return out;
  }
  open: string | undefined;
  done(name: string | undefined, map: boolean): void {
    if (name === undefined) return;
    this.anchors.push(name);
    this.mapAnchors = this.mapAnchors.filter((a) => a !== name);
    if (map) this.mapAnchors.push(name);
  }
  alias(): string | undefined {
    if (this.risk(0.02)) return `*${this.pick(['nope', 'a0', 'a1'])}`;
    if (this.anchors.length === 0) return undefined;
    return `*${this.pick(this.anchors)}`;
  }
  /** An alias a merge can take: of a mapping (in wild streams, of anything). */
  mapAlias(): string | undefined {
    if (this.wild) return this.alias();
    return this.mapAnchors.length === 0 ? undefined : `*${this.pick(this.mapAnchors)}`;
  }
  /** A scalar in some style; multi-line styles push extra lines and return undefined then. */
  scalar(indent: number, prefix: string): void {
    const text = this.risk(0.06) ? this.randomText() : this.pick(WORDS);
    const style = this.r();
    const props = this.props();
    const risky =
      !/^[\w./+~=$é日本ü😀 ,'"-]*$/u.test(text) ||
      /^[-'"]|^$| $|^ /.test(text) ||
      /^[-+]?\.(inf|nan)/i.test(text);
    if (style < 0.5 && (!risky || this.risk(0.1))) {
      this.lines.push(`${prefix}${props}${text}${this.comment()}`);
    } else if (style < 0.68 || (style < 0.5 && this.chance(0.5))) {
      if (this.chance(0.15)) this.multiline(indent, prefix + props, "'", text.replace(/'/g, "''"));
      else this.lines.push(`${prefix}${props}'${text.replace(/'/g, "''")}'${this.comment()}`);
    } else if (style < 0.88) {
      let body = text.replace(/\\/g, '\\\\').replace(/"/g, '\\"');
      if (this.chance(0.3)) body += this.pick(this.risk(0.2) ? BAD_ESC : ESC);
      if (this.chance(0.2)) this.multiline(indent, prefix + props, '"', body);
      else this.lines.push(`${prefix}${props}"${body}"${this.comment()}`);
    } else {
      const header = this.risk(0.1) ? this.pick(['|2', '>1']) : this.pick(['|', '|-', '|+', '>', '>-', '>+']);
      this.lines.push(`${prefix}${props}${header}${this.comment()}`);
      const step = 1 + this.int(3);
      const rows = 1 + this.int(3);
      for (let i = 0; i < rows; i += 1) {
        if (this.chance(0.15)) this.lines.push('');
        const extra = i > 0 && this.chance(0.1) ? ' '.repeat(1 + this.int(2)) : '';
        this.lines.push(`${' '.repeat(indent + step)}${extra}${this.pick(WORDS) || 'x'}`);
      }
      if (this.chance(0.1)) this.lines.push('');
    }
  }
  /** A quoted scalar over several lines, continuation lines at any indentation (even 0). */
  multiline(indent: number, prefix: string, q: string, body: string): void {
    const parts = [body, this.pick(WORDS).replace(/['"\\]/g, ''), 'end'];
    this.lines.push(`${prefix}${q}${parts[0]}`);
    if (this.chance(0.2)) this.lines.push('');
    this.lines.push(`${' '.repeat(this.int(indent + 4))}${parts[1]}`);
    this.lines.push(`${' '.repeat(this.int(indent + 4))}${parts[2]}${q}${this.comment()}`);
  }
  randomText(): string {
    const chars = 'abc xyz:#-?[]{},&*!|>\'"%@`\\/é0123456789._+~';
    let s = '';
    const n = 1 + this.int(8);
    for (let i = 0; i < n; i += 1) s += chars[this.int(chars.length)];
    return s;
  }
  key(used: string[]): string {
    if (used.length > 0 && this.risk(0.01)) return this.pick(used);
    let key = '';
    for (let tries = 0; tries < 6 && (key === '' || used.includes(key)); tries += 1)
      key = this.risk(0.02) ? this.pick(BAD_KEYS) : this.pick(this.chance(0.12) ? YAML11_KEYS : NAME_KEYS);
    used.push(key);
    if (this.chance(0.15)) return `"${key}"`;
    if (this.chance(0.05)) return `'${key}'`;
    return key;
  }
  flow(depth: number): string {
    if (depth > 2 || this.chance(0.5)) {
      const a = this.chance(0.1) ? this.alias() : undefined;
      if (a) return a;
      const w = this.pick(WORDS);
      if (/^[\w./+-]+$/.test(w) && w !== '') return w;
      return `"${w.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
    }
    if (this.chance(0.5)) {
      const n = this.int(4);
      const items = Array.from({ length: n }, () => this.flow(depth + 1));
      return `[${items.join(', ')}]`;
    }
    const n = this.int(4);
    const used: string[] = [];
    const items = Array.from({ length: n }, () => {
      if (this.chance(0.08)) return `<<: ${this.mapAlias() ?? '{m: 1}'}`;
      return `${this.key(used)}: ${this.flow(depth + 1)}`;
    });
    return `{${items.join(', ')}}`;
  }
  value(indent: number, prefix: string, depth: number): void {
    const roll = this.r();
    const step = 1 + this.int(4);
    if (depth >= 4 || roll < 0.45) return this.scalar(indent, prefix);
    if (roll < 0.55) {
      const text = this.flow(0);
      if (this.chance(0.15) && text.includes(', ')) {
        // A flow collection over lines, continuation at any indentation.
        const [head, ...rest] = text.split(', ');
        const props = this.props(true);
        const anchor = this.open;
        this.lines.push(`${prefix}${props}${head},`);
        rest.forEach((part, i) =>
          this.lines.push(`${' '.repeat(this.int(indent + 3))}${part}${i < rest.length - 1 ? ',' : ''}`),
        );
        this.done(anchor, text.startsWith('{'));
      } else {
        const props = this.props(true);
        this.lines.push(`${prefix}${props}${text}${this.comment()}`);
        this.done(this.open, text.startsWith('{'));
      }
      return;
    }
    if (roll < 0.62) {
      const alias = this.alias();
      if (alias) {
        this.lines.push(`${prefix}${alias}${this.comment()}`);
        return;
      }
    }
    const props = this.props(true);
    const anchor = this.open;
    this.lines.push(`${prefix}${props}`.trimEnd() + this.comment());
    if (roll < 0.82) this.mapping(indent + step, depth + 1);
    else this.sequence(this.chance(0.4) && prefix.endsWith(': ') ? indent : indent + step, depth + 1);
    this.done(anchor, roll < 0.82);
  }
  mapping(indent: number, depth: number, first?: string): void {
    const n = 1 + this.int(4);
    const used: string[] = [];
    const pad = ' '.repeat(indent);
    for (let i = 0; i < n; i += 1) {
      this.fullComment(indent);
      const lead = i === 0 && first !== undefined ? first : pad;
      if (this.chance(0.07)) {
        const roll = this.r();
        if (roll < 0.4) {
          const a = this.chance(0.3) ? this.mapAlias() : undefined;
          this.lines.push(`${lead}<<: ${a ?? '{merged: 1, privileged: on}'}`);
        } else if (roll < 0.7) {
          const list = [
            this.chance(0.3) ? this.mapAlias() : undefined,
            '{m: 2, privileged: yes}',
            this.chance(0.3) ? this.mapAlias() : undefined,
          ].filter((x) => x !== undefined && this.chance(0.6));
          this.lines.push(`${lead}<<: [${list.join(', ') || '{m: 1}'}]`);
        } else {
          this.lines.push(`${lead}<<:`);
          this.mapping(indent + 2, depth + 1);
        }
        continue;
      }
      this.value(indent, `${lead}${this.key(used)}: `, depth);
    }
  }
  sequence(indent: number, depth: number): void {
    const n = 1 + this.int(3);
    const pad = ' '.repeat(indent);
    for (let i = 0; i < n; i += 1) {
      this.fullComment(indent);
      if (this.chance(0.35)) this.mapping(indent + 2, depth + 1, `${pad}- `);
      else this.value(indent, `${pad}- `, depth);
    }
  }
  document(): void {
    this.anchors = [];
    this.mapAnchors = [];
    const roll = this.r();
    if (roll < 0.85) {
      this.lines.push(`apiVersion: v1${this.comment()}`);
      this.lines.push('kind: Pod');
      this.mapping(0, 0);
    } else if (roll < 0.92) this.sequence(this.int(2), 0);
    else if (roll < 0.96) this.scalar(0, '');
    else this.lines.push('# only a comment');
  }
}

/** A generated stream and how many documents it was written with. */
export interface GeneratedStream {
  text: string;
  documents: number;
}

/** One YAML stream of 1-5 documents from a seed. */
export function yamlStream(seed: number): GeneratedStream {
  const w = new Writer(mulberry(seed));
  w.wild = w.chance(0.3);
  if (w.chance(0.2)) w.lines.push(w.pick(['---', '--- # first', '---  ']));
  const docs = 1 + w.int(5);
  for (let d = 0; d < docs; d += 1) {
    if (d > 0)
      w.lines.push(
        w.chance(0.03)
          ? w.pick(['---x', '--- a: 1', '----'])
          : w.pick(['---', '--- # next', '---#x', '...\n---']),
      );
    w.document();
  }
  if (w.chance(0.05)) w.lines.push('...');
  return { text: w.lines.join('\n') + (w.chance(0.9) ? '\n' : ''), documents: docs };
}

/** `count` streams, reproducibly: fast-check draws the seeds. */
export function yamlStreams(count: number, seed = 20261207): GeneratedStream[] {
  return fc.sample(fc.integer(), { numRuns: count, seed }).map(yamlStream);
}
