/**
 * Go's fmt verbs as OPA's `sprintf` applies them. OPA hands composite values to Go as Rego terms,
 * so `%v` and `%s` print them in Rego syntax (`["a", "b"]`, `{"k": 1}`), not as JSON or JavaScript
 * would; messages therefore read the same here as under `opa eval` or Gatekeeper.
 */

/** A JSON value as Rego prints it: strings quoted inside composites, object keys sorted. */
export function regoString(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return String(value);
  if (Array.isArray(value)) return `[${value.map(regoString).join(', ')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) =>
      a < b ? -1 : a > b ? 1 : 0,
    );
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}: ${regoString(item)}`).join(', ')}}`;
  }
  return String(value);
}

function formatNumber(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 1e21) return value.toFixed(0);
  return String(value);
}

/**
 * What Go's fmt receives from OPA: strings stay strings, integers become int64, other numbers
 * float64, and every other value (booleans, null, arrays, objects, sets) its Rego text as a string.
 */
type GoValue =
  { type: 'string'; value: string } | { type: 'int64'; value: number } | { type: 'float64'; value: number };

function toGo(value: unknown): GoValue {
  if (typeof value === 'string') return { type: 'string', value };
  if (typeof value === 'number')
    return Number.isInteger(value) ? { type: 'int64', value } : { type: 'float64', value };
  return { type: 'string', value: regoString(value) };
}

/** Go's %v for a float64 (strconv 'g', shortest): exponent form when the exponent is below -4 or at least 6. */
function goFloat(value: number): string {
  if (!Number.isFinite(value)) return Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf';
  const [mantissa = '0', exponentText = '0'] = value.toExponential().split('e');
  const exponent = Number(exponentText);
  if (exponent < -4 || exponent >= 6) {
    const sign = exponent < 0 ? '-' : '+';
    return `${mantissa}e${sign}${String(Math.abs(exponent)).padStart(2, '0')}`;
  }
  return String(value);
}

function plainString(value: GoValue): string {
  if (value.type === 'string') return value.value;
  return value.type === 'int64' ? value.value.toFixed(0) : goFloat(value.value);
}

interface Spec {
  minus: boolean;
  plus: boolean;
  zero: boolean;
  space: boolean;
  sharp: boolean;
  width?: number;
  precision?: number;
}

function pad(text: string, spec: Spec, numeric: boolean): string {
  if (spec.width === undefined || text.length >= spec.width) return text;
  const fill = spec.width - text.length;
  if (spec.minus) return text + ' '.repeat(fill);
  if (spec.zero && numeric) {
    const sign = /^[+\- ]/.test(text) ? text.charAt(0) : '';
    return sign + '0'.repeat(fill) + text.slice(sign.length);
  }
  return ' '.repeat(fill) + text;
}

function signed(text: string, negative: boolean, spec: Spec): string {
  if (negative) return `-${text}`;
  if (spec.plus) return `+${text}`;
  if (spec.space) return ` ${text}`;
  return text;
}

function goQuote(text: string): string {
  // JSON escaping matches strconv.Quote for everything but a few control characters.
  return JSON.stringify(text)
    .replace(/\\u0007/g, '\\a')
    .replace(/\\u000b/g, '\\v');
}

function badVerb(verb: string, value: GoValue): string {
  return `%!${verb}(${value.type}=${plainString(value)})`;
}

function formatInteger(value: number, radix: number, spec: Spec, upper: boolean, prefix: string): string {
  let digits = Math.abs(Math.trunc(value)).toString(radix);
  if (upper) digits = digits.toUpperCase();
  if (spec.precision !== undefined && digits.length < spec.precision)
    digits = '0'.repeat(spec.precision - digits.length) + digits;
  return pad(signed((spec.sharp ? prefix : '') + digits, value < 0, spec), spec, true);
}

function formatFloat(value: number, verb: string, spec: Spec): string {
  const abs = Math.abs(value);
  let text: string;
  switch (verb) {
    case 'f':
    case 'F':
      text = abs.toFixed(spec.precision ?? 6);
      break;
    case 'e':
    case 'E': {
      text = abs.toExponential(spec.precision ?? 6).replace(/e([+-])(\d)$/, 'e$10$2');
      if (verb === 'E') text = text.toUpperCase();
      break;
    }
    default: {
      // %g: the shortest representation that round-trips, like Go's strconv 'g' with precision -1.
      text = spec.precision === undefined ? String(abs) : String(Number(abs.toPrecision(spec.precision)));
      text = text.replace(/e\+?(-?)(\d)$/, 'e+$10$2').replace('e+-', 'e-');
      if (verb === 'G') text = text.toUpperCase();
    }
  }
  return pad(signed(text, value < 0 || Object.is(value, -0), spec), spec, true);
}

function formatOne(verb: string, value: GoValue, spec: Spec): string {
  const integer = value.type === 'int64' ? value.value : undefined;
  switch (verb) {
    case 'v':
      return pad(plainString(value), spec, value.type !== 'string');
    case 's': {
      if (value.type !== 'string') return badVerb(verb, value);
      const text =
        spec.precision === undefined ? value.value : [...value.value].slice(0, spec.precision).join('');
      return pad(text, spec, false);
    }
    case 'q':
      if (value.type === 'string') return pad(goQuote(value.value), spec, false);
      if (integer !== undefined) return pad(`'${String.fromCodePoint(integer)}'`, spec, false);
      return badVerb(verb, value);
    case 'd':
      return integer !== undefined ? formatInteger(integer, 10, spec, false, '') : badVerb(verb, value);
    case 'b':
      return integer !== undefined ? formatInteger(integer, 2, spec, false, '0b') : badVerb(verb, value);
    case 'o':
      return integer !== undefined ? formatInteger(integer, 8, spec, false, '0') : badVerb(verb, value);
    case 'x':
    case 'X': {
      const upper = verb === 'X';
      if (integer !== undefined) return formatInteger(integer, 16, spec, upper, upper ? '0X' : '0x');
      if (value.type === 'string') {
        const hex = Buffer.from(value.value, 'utf8').toString('hex');
        return pad(upper ? hex.toUpperCase() : hex, spec, false);
      }
      return badVerb(verb, value);
    }
    case 'c':
      return integer !== undefined ? pad(String.fromCodePoint(integer), spec, false) : badVerb(verb, value);
    case 'e':
    case 'E':
    case 'f':
    case 'F':
    case 'g':
    case 'G':
      // Go does not convert integers for float verbs: sprintf("%.1f", [3]) is "%!f(int64=3)" in OPA too.
      return value.type === 'float64' ? formatFloat(value.value, verb, spec) : badVerb(verb, value);
    case 'T':
      return pad(value.type, spec, false);
    default:
      return badVerb(verb, value);
  }
}

/** OPA's `sprintf(format, values)`, following Go's fmt.Sprintf for the verbs policies use. */
export function sprintf(format: unknown, values: unknown): string {
  if (typeof format !== 'string') throw new TypeError('sprintf: operand 1 must be string');
  if (!Array.isArray(values)) throw new TypeError('sprintf: operand 2 must be array');
  let out = '';
  let next = 0;
  const pattern = /%([-+# 0]*)(\d+|\*)?(?:\.(\d+|\*)?)?([a-zA-Z%])/g;
  let last = 0;
  for (let match = pattern.exec(format); match !== null; match = pattern.exec(format)) {
    out += format.slice(last, match.index);
    last = pattern.lastIndex;
    const [, flags = '', width, precision, verb = 'v'] = match;
    if (verb === '%') {
      out += '%';
      continue;
    }
    const spec: Spec = {
      minus: flags.includes('-'),
      plus: flags.includes('+'),
      zero: flags.includes('0'),
      space: flags.includes(' '),
      sharp: flags.includes('#'),
    };
    if (width === '*') spec.width = Number(values[next++]);
    else if (width !== undefined) spec.width = Number(width);
    if (precision === '*') spec.precision = Number(values[next++]);
    else if (match[0].includes('.')) spec.precision = precision === undefined ? 0 : Number(precision);
    if (next >= values.length) {
      out += `%!${verb}(MISSING)`;
      continue;
    }
    out += formatOne(verb, toGo(values[next++]), spec);
  }
  out += format.slice(last);
  if (next < values.length) {
    out += `%!(EXTRA ${values
      .slice(next)
      .map((value) => {
        const go = toGo(value);
        return `${go.type}=${plainString(go)}`;
      })
      .join(', ')})`;
  }
  return out;
}
