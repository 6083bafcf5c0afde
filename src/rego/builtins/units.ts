import type { BuiltinTable } from './types.js';

const byteUnits: Record<string, number> = {
  '': 1,
  b: 1,
  k: 1e3,
  kb: 1e3,
  ki: 2 ** 10,
  kib: 2 ** 10,
  m: 1e6,
  mb: 1e6,
  mi: 2 ** 20,
  mib: 2 ** 20,
  g: 1e9,
  gb: 1e9,
  gi: 2 ** 30,
  gib: 2 ** 30,
  t: 1e12,
  tb: 1e12,
  ti: 2 ** 40,
  tib: 2 ** 40,
  p: 1e15,
  pb: 1e15,
  pi: 2 ** 50,
  pib: 2 ** 50,
  e: 1e18,
  eb: 1e18,
  ei: 2 ** 60,
  eib: 2 ** 60,
};

// units.parse is case sensitive for the decimal prefixes (m is milli, M is mega), like Kubernetes quantities.
const siUnits: Record<string, number> = {
  '': 1,
  m: 1e-3,
  k: 1e3,
  K: 1e3,
  M: 1e6,
  G: 1e9,
  T: 1e12,
  P: 1e15,
  E: 1e18,
  ki: 2 ** 10,
  Ki: 2 ** 10,
  Mi: 2 ** 20,
  Gi: 2 ** 30,
  Ti: 2 ** 40,
  Pi: 2 ** 50,
  Ei: 2 ** 60,
};

function splitQuantity(value: unknown, name: string): { amount: number; unit: string } {
  if (typeof value !== 'string') throw new TypeError(`${name}: operand 1 must be string`);
  const text = value.replace(/"/g, '').trim();
  const match = /^([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*([a-zA-Z]*)$/.exec(text);
  if (!match) throw new Error(`${name}: could not parse amount to a number`);
  return { amount: Number(match[1]), unit: match[2] ?? '' };
}

/** SemVer 2.0.0 versions, parsed for comparison. */
interface SemVer {
  major: number;
  minor: number;
  patch: number;
  prerelease: string[];
}

function parseSemVer(value: unknown): SemVer | undefined {
  if (typeof value !== 'string') return undefined;
  // OPA's semver accepts a leading v (v1.2.3), as most version strings in manifests carry one.
  const text = value.startsWith('v') ? value.slice(1) : value;
  const match =
    /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+[0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*)?$/.exec(
      text,
    );
  if (!match) return undefined;
  return {
    major: Number(match[1]),
    minor: Number(match[2]),
    patch: Number(match[3]),
    prerelease: match[4] ? match[4].split('.') : [],
  };
}

function compareIdentifiers(a: string, b: string): number {
  const aNumeric = /^\d+$/.test(a);
  const bNumeric = /^\d+$/.test(b);
  if (aNumeric && bNumeric) return Math.sign(Number(a) - Number(b));
  if (aNumeric) return -1;
  if (bNumeric) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function compareSemVer(a: SemVer, b: SemVer): number {
  const core = Math.sign(a.major - b.major) || Math.sign(a.minor - b.minor) || Math.sign(a.patch - b.patch);
  if (core !== 0) return core;
  // A version without a pre-release has higher precedence than one with.
  if (a.prerelease.length === 0 || b.prerelease.length === 0)
    return Math.sign(b.prerelease.length - a.prerelease.length);
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i += 1) {
    const order = compareIdentifiers(a.prerelease[i] ?? '', b.prerelease[i] ?? '');
    if (order !== 0) return order;
  }
  return Math.sign(a.prerelease.length - b.prerelease.length);
}

const durationUnits: Record<string, number> = {
  ns: 1,
  us: 1e3,
  µs: 1e3,
  μs: 1e3,
  ms: 1e6,
  s: 1e9,
  m: 60e9,
  h: 3600e9,
};

/** Go's time.ParseDuration, in nanoseconds. */
export function parseDurationNs(value: unknown): number {
  if (typeof value !== 'string') throw new TypeError('time.parse_duration_ns: operand 1 must be string');
  let text = value;
  let sign = 1;
  if (text.startsWith('-') || text.startsWith('+')) {
    sign = text.startsWith('-') ? -1 : 1;
    text = text.slice(1);
  }
  if (text === '0') return 0;
  const part = /(\d+\.?\d*|\.\d+)(ns|us|µs|μs|ms|s|m|h)/y;
  let total = 0;
  let consumed = 0;
  while (consumed < text.length) {
    part.lastIndex = consumed;
    const match = part.exec(text);
    if (!match) throw new Error(`time: invalid duration "${value}"`);
    total += Number(match[1]) * (durationUnits[match[2] ?? ''] ?? 0);
    consumed = part.lastIndex;
  }
  if (consumed === 0) throw new Error(`time: invalid duration "${value}"`);
  return sign * Math.round(total);
}

function dateOf(ns: unknown, name: string): Date {
  const nanos = Array.isArray(ns) ? ns[0] : ns;
  if (typeof nanos !== 'number') throw new TypeError(`${name}: operand 1 must be number`);
  return new Date(Math.floor(nanos / 1e6));
}

const weekdays = ['Sunday', 'Monday', 'Tuesday', 'Wednesday', 'Thursday', 'Friday', 'Saturday'];

export const unitBuiltins: BuiltinTable = {
  'units.parse_bytes': (value) => {
    const { amount, unit } = splitQuantity(value, 'units.parse_bytes');
    const factor = byteUnits[unit.toLowerCase()];
    if (factor === undefined) throw new Error(`units.parse_bytes: byte unit ${unit} not recognized`);
    return Math.round(amount * factor);
  },

  'units.parse': (value) => {
    const { amount, unit } = splitQuantity(value, 'units.parse');
    const factor = siUnits[unit];
    if (factor === undefined) throw new Error(`units.parse: unit ${unit} not recognized`);
    return amount * factor;
  },

  'semver.is_valid': (value) => parseSemVer(value) !== undefined,

  'semver.compare': (a, b) => {
    const left = parseSemVer(a);
    const right = parseSemVer(b);
    if (!left) throw new Error(`semver.compare: operand 1: string "${String(a)}" is not a valid SemVer`);
    if (!right) throw new Error(`semver.compare: operand 2: string "${String(b)}" is not a valid SemVer`);
    return compareSemVer(left, right);
  },

  'time.now_ns': () => Date.now() * 1e6,

  'time.parse_rfc3339_ns': (value) => {
    if (typeof value !== 'string') throw new TypeError('time.parse_rfc3339_ns: operand 1 must be string');
    const match = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/i.exec(value);
    if (!match) throw new Error(`time.parse_rfc3339_ns: cannot parse "${value}" as RFC 3339`);
    const seconds = Date.parse(`${match[1]}${match[3]}`);
    if (Number.isNaN(seconds)) throw new Error(`time.parse_rfc3339_ns: cannot parse "${value}" as RFC 3339`);
    const fraction = Number((match[2] ?? '0').padEnd(9, '0'));
    return seconds * 1e6 + fraction;
  },

  'time.parse_duration_ns': (value) => parseDurationNs(value),

  'time.date': (ns) => {
    const date = dateOf(ns, 'time.date');
    return [date.getUTCFullYear(), date.getUTCMonth() + 1, date.getUTCDate()];
  },

  'time.clock': (ns) => {
    const date = dateOf(ns, 'time.clock');
    return [date.getUTCHours(), date.getUTCMinutes(), date.getUTCSeconds()];
  },

  'time.weekday': (ns) => weekdays[dateOf(ns, 'time.weekday').getUTCDay()],

  'time.add_date': (ns, years, months, days) => {
    if (typeof ns !== 'number') throw new TypeError('time.add_date: operand 1 must be number');
    const date = new Date(Math.floor(ns / 1e6));
    date.setUTCFullYear(
      date.getUTCFullYear() + Number(years),
      date.getUTCMonth() + Number(months),
      date.getUTCDate() + Number(days),
    );
    return date.getTime() * 1e6 + (ns % 1e6);
  },

  'time.diff': (a, b) => {
    // [years, months, days, hours, minutes, seconds] between two instants, as OPA returns them.
    let start = dateOf(a, 'time.diff');
    let end = dateOf(b, 'time.diff');
    if (start > end) [start, end] = [end, start];
    const parts = [
      end.getUTCFullYear() - start.getUTCFullYear(),
      end.getUTCMonth() - start.getUTCMonth(),
      end.getUTCDate() - start.getUTCDate(),
      end.getUTCHours() - start.getUTCHours(),
      end.getUTCMinutes() - start.getUTCMinutes(),
      end.getUTCSeconds() - start.getUTCSeconds(),
    ] as [number, number, number, number, number, number];
    const limits = [0, 12, 0, 24, 60, 60];
    for (let i = 5; i > 0; i -= 1) {
      if (parts[i]! < 0) {
        const borrow =
          i === 2 ? new Date(Date.UTC(end.getUTCFullYear(), end.getUTCMonth(), 0)).getUTCDate() : limits[i]!;
        parts[i]! += borrow;
        parts[i - 1]! -= 1;
      }
    }
    return parts;
  },
};
