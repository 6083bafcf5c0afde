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
}

/** A note about the run that is not a finding: skipped files, expired waivers, stale waivers ... */
export interface Notice {
  level: 'info' | 'warning';
  code: string;
  message: string;
  file?: string;
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
  return fingerprintAfter(fingerprintPrefix(policyId), resourceId, path);
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
  // The hash of `${policyId}\0${resourceId}\0${path}`, without building that string.
  lanes[0] = prefix[0];
  lanes[1] = prefix[1];
  absorb(resourceId, true);
  absorb(path, false);
  let a = lanes[0]!;
  let b = lanes[1]!;
  a ^= a >>> 16;
  a = Math.imul(a, 0x85ebca6b);
  a ^= a >>> 13;
  b = Math.imul(b ^ (b >>> 16), 0xc2b2ae35);
  b ^= a;
  a ^= b >>> 7;
  for (let i = 0; i < 8; i += 1) {
    hexCodes[i] = hexDigits[(a >>> (28 - 4 * i)) & 15]!;
    hexCodes[8 + i] = hexDigits[(b >>> (28 - 4 * i)) & 15]!;
  }
  return String.fromCharCode.apply(null, hexCodes);
}

const lanes = new Int32Array(2);
const hexDigits = Array.from('0123456789abcdef', (digit) => digit.charCodeAt(0));
const hexCodes: number[] = new Array<number>(16).fill(0);

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
  // Literal objects (no fromEntries): the webhook summarises every request. The key order is the
  // order of `findingStatuses` and `severities`; a test pins it.
  const byStatus: Record<FindingStatus, number> = {
    fail: 0,
    warn: 0,
    audit: 0,
    unknown: 0,
    waived: 0,
    approved: 0,
    error: 0,
  };
  const bySeverity: Record<Severity, number> = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
  for (const finding of findings) {
    byStatus[finding.status] += 1;
    bySeverity[finding.severity] += 1;
  }
  return { resources, policies, findings: findings.length, byStatus, bySeverity };
}
