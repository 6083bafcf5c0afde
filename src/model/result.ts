import { type Finding, type FindingStatus } from './finding.js';
import { atOrAbove, type PolicyInfo, type Severity } from './policy.js';
import type { ResourceRef } from './resource.js';

/** How findings with status `unknown` count for the exit code. */
export type UnknownHandling = 'fail' | 'warn' | 'pass';

export interface Summary {
  resources: number;
  policies: number;
  findings: number;
  byStatus: Record<FindingStatus, number>;
  bySeverity: Record<Severity, number>;
  /**
   * With `--baseline`: findings the baseline records (`known`) and findings it does not (`new`,
   * counting every status a baseline records: fail, warn, audit, unknown, error).
   */
  baseline?: { new: number; known: number };
}

/**
 * A note about the run that is not a finding: skipped files, expired waivers, stale waivers ...
 * Level `error` is an input that could not be read or parsed: the other inputs are still checked
 * and reported, and the run exits 2.
 */
export interface Notice {
  level: 'info' | 'warning' | 'error';
  code: string;
  message: string;
  file?: string;
  /** 1-based line in `file`, when the notice is about one place in it. */
  line?: number;
}

/** The notices of inputs that could not be read or parsed. */
export function inputErrors(result: Pick<Result, 'notices'>): Notice[] {
  return result.notices.filter((notice) => notice.level === 'error');
}

export interface Result {
  findings: Finding[];
  resources: ResourceRef[];
  policies: PolicyInfo[];
  notices: Notice[];
  summary: Summary;
  /** Per resource id, the ids of the policies that were evaluated against it (for pass/fail matrices). */
  evaluated: Map<string, string[]>;
  /** Extra report sections contributed by domains (cost totals ...), keyed by name. */
  extras: Record<string, unknown>;
}

export interface GateOptions {
  /** Failing findings at or above this severity gate. Default: `info` (any). */
  failOn?: Severity;
  /** Default: `warn`. */
  unknown?: UnknownHandling;
  /** When true, findings marked `baseline` do not gate. */
  baseline?: boolean;
}

/** True when the finding makes the run fail under these options. */
export function gates(finding: Finding, options: GateOptions = {}): boolean {
  if (options.baseline && finding.baseline) return false;
  if (!atOrAbove(finding.severity, options.failOn ?? 'info')) return false;
  switch (finding.status) {
    case 'fail':
    case 'error':
      return true;
    case 'unknown':
      return (options.unknown ?? 'warn') === 'fail';
    default:
      return false;
  }
}

/** 0 when nothing gates, 1 when a finding gates. Usage and input errors (2) never reach a Result. */
export function exitCode(result: Result, options: GateOptions = {}): 0 | 1 {
  return result.findings.some((finding) => gates(finding, options)) ? 1 : 0;
}

/**
 * Stable identity of a finding: a 64-bit hash (two multiply-xor lanes over UTF-16 code units) of
 * policy id, resource id and path, as 16 hex digits. Not cryptographic: it names findings in
 * baselines and SARIF, where sha256 cost more than the rest of a finding on large scans.
 */
export function fingerprint(policyId: string, resourceId: string, path: string): string {
  let prefix = prefixes.get(policyId);
  if (!prefix) {
    if (prefixes.size >= 4096) prefixes.clear();
    prefixes.set(policyId, (prefix = fingerprintPrefix(policyId)));
  }
  return fingerprintAfter(prefix, resourceId, path);
}

/** Hash states after each policy id: a report fingerprints the findings of a few policies many times. */
const prefixes = new Map<string, FingerprintPrefix>();

/**
 * A finding's fingerprint: the one it carries, else computed. The engine does not compute
 * fingerprints: of a run's outputs only the JSON, SARIF and PolicyReport reports show them
 * (baselines hash policy, resource and path themselves), and on a large scan they cost a fifth to
 * a quarter of the check. Not stored on the finding: a field added to a finished object costs it
 * a second, out-of-object store, more than computing the hash again for a second report.
 */
export function fingerprintOf(finding: Finding): string {
  return finding.fingerprint ?? fingerprint(finding.policyId, finding.resource.id, finding.path);
}

/** The hash state after a policy id: computed once per policy, it starts each of its fingerprints. */
export type FingerprintPrefix = readonly [number, number];

export function fingerprintPrefix(policyId: string): FingerprintPrefix {
  lanes[0] = 0x811c9dc5;
  lanes[1] = 0x9e3779b9;
  absorb(policyId, true);
  return [lanes[0]!, lanes[1]!];
}

/** `fingerprint(policyId, resourceId, path)` given `fingerprintPrefix(policyId)`. */
export function fingerprintAfter(prefix: FingerprintPrefix, resourceId: string, path: string): string {
  // The hash of `${policyId}\0${resourceId}\0${path}`, without building that string. The lanes are
  // locals and the resource id is read from its bytes when it is ASCII: charCodeAt over ids of
  // every string shape (sliced, concatenated, flat) cost more than the hashing itself.
  let a = prefix[0];
  let b = prefix[1];
  if (resourceId !== idText) readId(resourceId);
  if (idAscii) {
    const bytes = idBytes;
    for (let i = 0; i < idLength; i += 1) {
      const c = bytes[i]!;
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
  } else {
    for (let i = 0; i < resourceId.length; i += 1) {
      const c = resourceId.charCodeAt(i);
      a = Math.imul(a ^ c, 0x01000193);
      b = Math.imul(b ^ c, 0x5bd1e995);
      b ^= b >>> 15;
    }
  }
  // The NUL separator.
  a = Math.imul(a, 0x01000193);
  b = Math.imul(b, 0x5bd1e995);
  b ^= b >>> 15;
  for (let i = 0; i < path.length; i += 1) {
    const c = path.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b = Math.imul(b ^ (b >>> 16), 0xc2b2ae35);
  b ^= a;
  a ^= b >>> 7;
  const h = hexDigits;
  return String.fromCharCode(
    h[(a >>> 28) & 15]!,
    h[(a >>> 24) & 15]!,
    h[(a >>> 20) & 15]!,
    h[(a >>> 16) & 15]!,
    h[(a >>> 12) & 15]!,
    h[(a >>> 8) & 15]!,
    h[(a >>> 4) & 15]!,
    h[a & 15]!,
    h[(b >>> 28) & 15]!,
    h[(b >>> 24) & 15]!,
    h[(b >>> 20) & 15]!,
    h[(b >>> 16) & 15]!,
    h[(b >>> 12) & 15]!,
    h[(b >>> 8) & 15]!,
    h[(b >>> 4) & 15]!,
    h[b & 15]!,
  );
}

const lanes = new Int32Array(2);
const hexDigits = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));

// The last resource id hashed, as bytes: a resource's findings are fingerprinted one after another.
const encoder = new TextEncoder();
const idBytes = new Uint8Array(1024);
let idText: string | undefined;
let idLength = 0;
/** The id is ASCII and fits: its bytes are its UTF-16 code units. */
let idAscii = false;

function readId(resourceId: string): void {
  const { read, written } = encoder.encodeInto(resourceId, idBytes);
  idText = resourceId;
  idLength = written;
  // UTF-8 takes one byte per code unit exactly when every code unit is below 0x80.
  idAscii = read === resourceId.length && written === resourceId.length;
}

/** Feed a string's UTF-16 code units (then a NUL separator when `separator`) into both lanes. */
function absorb(text: string, separator: boolean): void {
  let a = lanes[0]!;
  let b = lanes[1]!;
  for (let i = 0; i < text.length; i += 1) {
    const c = text.charCodeAt(i);
    a = Math.imul(a ^ c, 0x01000193);
    b = Math.imul(b ^ c, 0x5bd1e995);
    b ^= b >>> 15;
  }
  if (separator) {
    a = Math.imul(a, 0x01000193);
    b = Math.imul(b, 0x5bd1e995);
    b ^= b >>> 15;
  }
  lanes[0] = a;
  lanes[1] = b;
}

const statusOrder: Record<FindingStatus, number> = {
  error: 0,
  fail: 1,
  unknown: 2,
  warn: 3,
  audit: 4,
  approved: 5,
  waived: 6,
};

function compareStrings(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The one order every report uses: file, line, resource, policy, path. */
export function compareFindings(a: Finding, b: Finding): number {
  const ra = a.resource;
  const rb = b.resource;
  // Findings share their resource's reference unless they carry a line of their own.
  if (ra !== rb) {
    const byResource = compareResources(ra, rb);
    if (byResource !== 0) return byResource;
  }
  return (
    compareStrings(a.policyId, b.policyId) ||
    compareStrings(a.path, b.path) ||
    statusOrder[a.status] - statusOrder[b.status] ||
    compareStrings(a.message, b.message)
  );
}

export function compareResources(a: ResourceRef, b: ResourceRef): number {
  return compareStrings(a.file, b.file) || a.line - b.line || compareStrings(a.id, b.id);
}

export function summarize(findings: Finding[], resources: number, policies: number): Summary {
  // Counted in locals by switch (indexing records by the status and severity strings was a keyed,
  // megamorphic load and store per finding), then literal objects: the webhook summarises every
  // request. The key order is the order of `findingStatuses` and `severities`; a test pins it.
  let fail = 0;
  let warn = 0;
  let audit = 0;
  let unknown = 0;
  let waived = 0;
  let approved = 0;
  let error = 0;
  let critical = 0;
  let high = 0;
  let medium = 0;
  let low = 0;
  let info = 0;
  for (let i = 0; i < findings.length; i += 1) {
    const finding = findings[i]!;
    switch (finding.status) {
      case 'fail':
        fail += 1;
        break;
      case 'warn':
        warn += 1;
        break;
      case 'audit':
        audit += 1;
        break;
      case 'unknown':
        unknown += 1;
        break;
      case 'waived':
        waived += 1;
        break;
      case 'approved':
        approved += 1;
        break;
      case 'error':
        error += 1;
        break;
    }
    switch (finding.severity) {
      case 'critical':
        critical += 1;
        break;
      case 'high':
        high += 1;
        break;
      case 'medium':
        medium += 1;
        break;
      case 'low':
        low += 1;
        break;
      case 'info':
        info += 1;
        break;
    }
  }
  const byStatus: Record<FindingStatus, number> = { fail, warn, audit, unknown, waived, approved, error };
  const bySeverity: Record<Severity, number> = { critical, high, medium, low, info };
  return { resources, policies, findings: findings.length, byStatus, bySeverity };
}
