/**
 * How kubectl, Helm and Argo CD resolve a YAML scalar: sigs.k8s.io/yaml reads YAML with go-yaml v2,
 * whose YAML 1.1 rules differ from YAML 1.2's (`on`, `yes`, `y` are true; `0644` is octal; `1_000`
 * and `0b11` are integers; timestamps stay strings). Shared by both readers of manifests
 * (src/inputs/yaml-fast.ts and src/inputs/kubernetes-yaml.ts), and held to go-yaml's answers by the
 * differential test against the YAML oracle (test/yaml-oracle).
 */

import { isScalar, visit, type Document } from 'yaml';

/** A resolved scalar with its Go type, which decides map-key identity and the JSON key it makes. */
export type GoScalar =
  | { type: 'null'; value: null }
  | { type: 'bool'; value: boolean }
  | { type: 'str'; value: string }
  /** int64 (`int`), with its exact decimal text. */
  | { type: 'int'; value: number; text: string }
  /** Past int64: a uint64, which sigs.k8s.io/yaml cannot use as a map key. */
  | { type: 'uint'; value: number; text: string }
  | { type: 'float'; value: number };

const BOOL_NULL = new Map<string, GoScalar>();
for (const word of ['y', 'Y', 'yes', 'Yes', 'YES', 'true', 'True', 'TRUE', 'on', 'On', 'ON'])
  BOOL_NULL.set(word, { type: 'bool', value: true });
for (const word of ['n', 'N', 'no', 'No', 'NO', 'false', 'False', 'FALSE', 'off', 'Off', 'OFF'])
  BOOL_NULL.set(word, { type: 'bool', value: false });
for (const word of ['', '~', 'null', 'Null', 'NULL']) BOOL_NULL.set(word, { type: 'null', value: null });
for (const word of ['.nan', '.NaN', '.NAN']) BOOL_NULL.set(word, { type: 'float', value: NaN });
for (const word of ['.inf', '.Inf', '.INF', '+.inf', '+.Inf', '+.INF'])
  BOOL_NULL.set(word, { type: 'float', value: Infinity });
for (const word of ['-.inf', '-.Inf', '-.INF']) BOOL_NULL.set(word, { type: 'float', value: -Infinity });

/** go-yaml's float syntax for plain scalars (yamlStyleFloat). */
const YAML_STYLE_FLOAT = /^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$/;
/** The part of Go's float syntax a scalar starting with `.` can use (strconv.ParseFloat). */
const GO_DOT_FLOAT = /^\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?$/;
const INT64_MAX = (1n << 63n) - 1n;
const INT64_MIN = -(1n << 63n);
const UINT64_MAX = (1n << 64n) - 1n;
const TIMESTAMP_START = /^[0-9]{4}-/;

/** strconv.ParseUint(s, 0, 64) without a sign: the magnitude, or undefined where Go fails. */
function goUnsigned(s: string): bigint | undefined {
  let digits = s;
  let radix = 10;
  if (s.length >= 2 && s[0] === '0') {
    const p = s[1]!;
    if (p === 'x' || p === 'X') radix = 16;
    else if (p === 'o' || p === 'O') radix = 8;
    else if (p === 'b' || p === 'B') radix = 2;
    if (radix !== 10) digits = s.slice(2);
    else {
      radix = 8;
      digits = s.slice(1);
    }
  }
  if (digits === '') return undefined;
  const valid =
    radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 10 ? /^[0-9]+$/ : radix === 8 ? /^[0-7]+$/ : /^[01]+$/;
  if (!valid.test(digits)) return undefined;
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : radix === 2 ? '0b' : '';
  const value = BigInt(prefix + digits);
  return value > UINT64_MAX ? undefined : value;
}

function intScalar(value: bigint): GoScalar {
  const text = value.toString();
  if (value >= INT64_MIN && value <= INT64_MAX) return { type: 'int', value: Number(text), text };
  return { type: 'uint', value: Number(text), text };
}

/** go-yaml v2's resolve() for an untagged plain scalar (or one tagged `!!int`, `!!float` ...). */
export function resolveGoPlain(text: string): GoScalar {
  const known = BOOL_NULL.get(text);
  if (known) return known;
  const c = text.charCodeAt(0);
  if (c === 46 /* . */) {
    if (GO_DOT_FLOAT.test(text)) {
      const value = parseFloat(text.replace(/_/g, ''));
      if (Number.isFinite(value)) return { type: 'float', value };
    }
    return { type: 'str', value: text };
  }
  const sign = c === 43 || c === 45;
  if (!sign && (c < 48 || c > 57)) return { type: 'str', value: text };
  // Timestamps resolve to their own text (decoded into interface{}, go-yaml keeps the string).
  if (TIMESTAMP_START.test(text)) return { type: 'str', value: text };
  const plain = text.includes('_') ? text.replace(/_/g, '') : text;
  // strconv.ParseInt(plain, 0, 64): a sign, then what ParseUint takes.
  const negative = plain[0] === '-';
  const magnitude = goUnsigned(sign ? plain.slice(1) : plain);
  if (magnitude !== undefined) {
    const value = negative ? -magnitude : magnitude;
    if (value >= INT64_MIN && value <= INT64_MAX) return intScalar(value);
    if (!sign) return intScalar(value); // ParseUint: no sign allowed
  }
  if (YAML_STYLE_FLOAT.test(plain)) {
    const value = parseFloat(plain);
    // ParseFloat fails with a range error past the largest float64: the scalar stays a string.
    if (Number.isFinite(value)) return { type: 'float', value };
  }
  return { type: 'str', value: text };
}

/** Whether a plain scalar's text is a string under go-yaml v2 (no bool, number, null or merge key). */
export function isGoString(text: string): boolean {
  return text !== '<<' && resolveGoPlain(text).type === 'str';
}

/** strconv.FormatFloat(float64(float32(v)), 'g', -1, 32): how sigs.k8s.io/yaml writes a float key. */
export function goFloat32Key(v: number): string {
  const f = Math.fround(v);
  if (Number.isNaN(f)) return '.nan';
  if (f === Infinity) return '.inf';
  if (f === -Infinity) return '-.inf';
  if (f === 0) return Object.is(f, -0) ? '-0' : '0';
  let digits = '';
  let exponent = 0;
  for (let precision = 1; precision <= 9; precision += 1) {
    const s = Math.abs(f).toExponential(precision - 1);
    if (Math.fround(Number(s)) === Math.abs(f)) {
      const [mantissa, exp] = s.split('e');
      digits = mantissa!.replace('.', '');
      exponent = Number(exp);
      break;
    }
  }
  digits = digits.replace(/0+$/, '') || '0';
  const sign = f < 0 ? '-' : '';
  if (exponent < -4 || exponent >= 6) {
    // %e with the shortest digits and at least two exponent digits.
    const mantissa = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    const e = Math.abs(exponent);
    return `${sign}${mantissa}e${exponent < 0 ? '-' : '+'}${e < 10 ? '0' : ''}${e}`;
  }
  if (exponent < 0) return `${sign}0.${'0'.repeat(-exponent - 1)}${digits}`;
  if (digits.length <= exponent + 1) return `${sign}${digits}${'0'.repeat(exponent + 1 - digits.length)}`;
  return `${sign}${digits.slice(0, exponent + 1)}.${digits.slice(exponent + 1)}`;
}

/** A plain scalar of a YAML 1.2 document (parapet's own files) that kubectl would read otherwise. */
export interface AmbiguousScalar {
  offset: number;
  message: string;
}

function describe(value: unknown): string {
  return typeof value === 'string' ? `the string ${JSON.stringify(value)}` : String(value);
}

/**
 * The first plain, untagged scalar whose YAML 1.2 value (the `yaml` package's core schema, which
 * parapet's own files use) differs from go-yaml's (which kubectl uses for manifests): `on`, `yes`,
 * `0644`, `1_000`, a `<<` key. Such a value must not pass silently: it means one thing here and
 * another in a manifest beside it.
 */
export function firstAmbiguousScalar(doc: Document): AmbiguousScalar | undefined {
  let found: AmbiguousScalar | undefined;
  visit(doc, {
    Pair(_key, pair) {
      const key = pair.key;
      if (isScalar(key) && key.type === 'PLAIN' && key.tag === undefined && key.source === '<<' && !found)
        found = {
          offset: key.range?.[0] ?? 0,
          message:
            '"<<" is a plain key here (YAML 1.2) but a merge key in Kubernetes manifests (YAML 1.1): quote it, or write the keys out',
        };
    },
    Scalar(_key, node) {
      if (found || node.type !== 'PLAIN' || node.tag !== undefined || typeof node.source !== 'string') return;
      if (node.source === '<<') return;
      const go = resolveGoPlain(node.source);
      const here: unknown = node.value;
      const same =
        go.type === 'str'
          ? typeof here === 'string'
          : go.type === 'null'
            ? here === null
            : typeof here === (go.type === 'bool' ? 'boolean' : 'number') && Object.is(here, go.value);
      if (!same)
        found = {
          offset: node.range?.[0] ?? 0,
          message: `${JSON.stringify(node.source)} is ${describe(here)} here (YAML 1.2) but ${describe(go.type === 'str' ? node.source : go.value)} in Kubernetes manifests (YAML 1.1): quote it, or write it as one reads it`,
        };
    },
  });
  return found;
}

/** The one-character escapes of a double-quoted scalar, as go-yaml reads them (both YAML readers use it). */
export const DOUBLE_QUOTED_ESCAPES: Record<string, string> = {
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
  "'": "'",
  '\\': '\\',
  N: '\u0085',
  _: '\u00a0',
  L: '\u2028',
  P: '\u2029',
};
