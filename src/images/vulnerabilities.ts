import { readFileSync, statSync } from 'node:fs';
import { ParapetError } from '../model/errors.js';
import { tryParseImageReference } from './reference.js';

export const vulnerabilitySeverities = [
  'critical',
  'high',
  'medium',
  'low',
  'negligible',
  'unknown',
] as const;
export type VulnerabilitySeverity = (typeof vulnerabilitySeverities)[number];

/** One vulnerable package in an image, as any scanner reports it. */
export interface Vulnerability {
  /** The scanner's id: `CVE-2024-6387`, `GHSA-...`. */
  id: string;
  /** Other ids for the same vulnerability (CVE aliases of a GHSA ...), sorted. */
  aliases: string[];
  severity: VulnerabilitySeverity;
  package: string;
  installedVersion: string;
  /** The first fixed version(s), when a fix exists. */
  fixedVersion?: string;
  fixAvailable: boolean;
  title?: string;
  url?: string;
  /** Where in the image: `debian 12.5 (os)`, `app/package-lock.json`. */
  target?: string;
}

/** A scanner report about one image. */
export interface VulnerabilityReport {
  scanner: 'trivy' | 'grype';
  file: string;
  /** What was scanned, as the scanner names it. */
  artifact: string;
  /** Normalised references the report is about (tags and repo digests). */
  references: string[];
  /** Manifest, index or config digests the report is about. */
  digests: string[];
  vulnerabilities: Vulnerability[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

function severityOf(value: unknown): VulnerabilitySeverity {
  const lower = typeof value === 'string' ? value.toLowerCase() : '';
  return (vulnerabilitySeverities as readonly string[]).includes(lower)
    ? (lower as VulnerabilitySeverity)
    : 'unknown';
}

function addReference(references: Set<string>, digests: Set<string>, written: unknown): void {
  if (typeof written !== 'string') return;
  const parsed = tryParseImageReference(written);
  if (!parsed.ok) return;
  references.add(parsed.reference.normalized);
  if (parsed.reference.digest) digests.add(parsed.reference.digest);
}

/** Read a Trivy (`trivy image -f json`, schema 2) or Grype (`grype -o json`) report; throws naming the file when it is neither. */
export function parseVulnerabilityReport(value: unknown, file: string): VulnerabilityReport {
  if (isRecord(value) && 'ArtifactName' in value && ('SchemaVersion' in value || 'Results' in value)) {
    return parseTrivy(value, file);
  }
  if (isRecord(value) && Array.isArray(value.matches) && isRecord(value.source))
    return parseGrype(value, file);
  throw new ParapetError(
    'PARAPET_INPUT_FORMAT',
    `${file}: not a Trivy or Grype JSON report (expected "SchemaVersion"/"Results" or "matches"/"source")`,
    { file },
  );
}

function parseTrivy(report: Record<string, unknown>, file: string): VulnerabilityReport {
  if (report.SchemaVersion !== undefined && report.SchemaVersion !== 2) {
    throw new ParapetError(
      'PARAPET_INPUT_FORMAT',
      `${file}: Trivy report schema ${String(report.SchemaVersion)} is not supported (expected 2)`,
      { file },
    );
  }
  const artifact = text(report.ArtifactName) ?? '';
  const references = new Set<string>();
  const digests = new Set<string>();
  addReference(references, digests, artifact);
  const metadata = isRecord(report.Metadata) ? report.Metadata : {};
  for (const tag of Array.isArray(metadata.RepoTags) ? metadata.RepoTags : [])
    addReference(references, digests, tag);
  for (const repoDigest of Array.isArray(metadata.RepoDigests) ? metadata.RepoDigests : [])
    addReference(references, digests, repoDigest);
  const imageId = text(metadata.ImageID);
  if (imageId?.startsWith('sha256:')) digests.add(imageId);
  const vulnerabilities: Vulnerability[] = [];
  for (const result of Array.isArray(report.Results) ? report.Results : []) {
    if (!isRecord(result) || !Array.isArray(result.Vulnerabilities)) continue;
    for (const entry of result.Vulnerabilities) {
      if (!isRecord(entry) || !text(entry.VulnerabilityID)) continue;
      const fixedVersion = text(entry.FixedVersion);
      const vulnerability: Vulnerability = {
        id: entry.VulnerabilityID as string,
        aliases: [],
        severity: severityOf(entry.Severity),
        package: text(entry.PkgName) ?? '',
        installedVersion: text(entry.InstalledVersion) ?? '',
        fixAvailable: fixedVersion !== undefined && entry.Status !== 'will_not_fix',
      };
      if (fixedVersion) vulnerability.fixedVersion = fixedVersion;
      if (text(entry.Title)) vulnerability.title = entry.Title as string;
      if (text(entry.PrimaryURL)) vulnerability.url = entry.PrimaryURL as string;
      if (text(result.Target)) vulnerability.target = result.Target as string;
      vulnerabilities.push(vulnerability);
    }
  }
  return {
    scanner: 'trivy',
    file,
    artifact,
    references: [...references].sort(),
    digests: [...digests].sort(),
    vulnerabilities: sortVulnerabilities(vulnerabilities),
  };
}

function parseGrype(report: Record<string, unknown>, file: string): VulnerabilityReport {
  const source = report.source as Record<string, unknown>;
  const target = isRecord(source.target) ? source.target : {};
  const references = new Set<string>();
  const digests = new Set<string>();
  const artifact = text(target.userInput) ?? '';
  addReference(references, digests, artifact);
  for (const tag of Array.isArray(target.tags) ? target.tags : []) addReference(references, digests, tag);
  for (const repoDigest of Array.isArray(target.repoDigests) ? target.repoDigests : [])
    addReference(references, digests, repoDigest);
  for (const key of ['manifestDigest', 'imageID']) {
    const digest = text(target[key]);
    if (digest?.startsWith('sha256:')) digests.add(digest);
  }
  const vulnerabilities: Vulnerability[] = [];
  for (const match of report.matches as unknown[]) {
    if (!isRecord(match) || !isRecord(match.vulnerability) || !text(match.vulnerability.id)) continue;
    const found = match.vulnerability;
    const artifactEntry = isRecord(match.artifact) ? match.artifact : {};
    const fix = isRecord(found.fix) ? found.fix : {};
    const versions = Array.isArray(fix.versions)
      ? fix.versions.filter((version): version is string => typeof version === 'string')
      : [];
    const aliases = new Set<string>();
    for (const related of Array.isArray(match.relatedVulnerabilities) ? match.relatedVulnerabilities : []) {
      if (isRecord(related) && text(related.id) && related.id !== found.id) aliases.add(related.id as string);
    }
    const vulnerability: Vulnerability = {
      id: found.id as string,
      aliases: [...aliases].sort(),
      severity: severityOf(found.severity),
      package: text(artifactEntry.name) ?? '',
      installedVersion: text(artifactEntry.version) ?? '',
      fixAvailable: fix.state === 'fixed' && versions.length > 0,
    };
    if (versions.length > 0) vulnerability.fixedVersion = versions.join(', ');
    if (text(found.description)) vulnerability.title = (found.description as string).split('\n')[0];
    if (text(found.dataSource)) vulnerability.url = found.dataSource as string;
    const locations = Array.isArray(artifactEntry.locations) ? artifactEntry.locations : [];
    const firstLocation = locations.find(isRecord);
    if (firstLocation && text(firstLocation.path)) vulnerability.target = firstLocation.path as string;
    vulnerabilities.push(vulnerability);
  }
  return {
    scanner: 'grype',
    file,
    artifact,
    references: [...references].sort(),
    digests: [...digests].sort(),
    vulnerabilities: sortVulnerabilities(vulnerabilities),
  };
}

const severityRank: Record<VulnerabilitySeverity, number> = {
  critical: 0,
  high: 1,
  medium: 2,
  low: 3,
  negligible: 4,
  unknown: 5,
};

function sortVulnerabilities(vulnerabilities: Vulnerability[]): Vulnerability[] {
  return vulnerabilities.sort(
    (a, b) =>
      severityRank[a.severity] - severityRank[b.severity] ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) ||
      (a.package < b.package ? -1 : a.package > b.package ? 1 : 0),
  );
}

/** Read a report file (`--vulns FILE`). */
export function loadVulnerabilityReport(file: string): VulnerabilityReport {
  let textContent: string;
  try {
    textContent = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ParapetError(
      'PARAPET_INPUT_READ',
      `${file}: cannot read vulnerability report (${(error as Error).message})`,
      { file },
    );
  }
  let value: unknown;
  try {
    value = JSON.parse(textContent);
  } catch (error) {
    throw new ParapetError(
      'PARAPET_INPUT_PARSE',
      `${file}: vulnerability report is not JSON (${(error as Error).message})`,
      { file },
    );
  }
  return parseVulnerabilityReport(value, file);
}

const reportCache = new Map<string, { mtimeMs: number; report: VulnerabilityReport }>();

/**
 * {@link loadVulnerabilityReport}, read again only when the file changes: the webhook evaluates
 * many times per process, and `check` reads each report once before evaluating (preflight).
 */
export function cachedVulnerabilityReport(file: string): VulnerabilityReport {
  const mtimeMs = statSync(file, { throwIfNoEntry: false })?.mtimeMs ?? -1;
  const cached = reportCache.get(file);
  if (cached && cached.mtimeMs === mtimeMs) return cached.report;
  const report = loadVulnerabilityReport(file);
  if (reportCache.size > 256) reportCache.clear();
  reportCache.set(file, { mtimeMs, report });
  return report;
}

/**
 * The reports about an image: any shared digest (manifest, index or config), else the same
 * normalised reference. Digests win because a tag can move between scan and deploy.
 */
export function reportsForImage(
  reports: VulnerabilityReport[],
  image: { normalized?: string; digests: string[] },
): VulnerabilityReport[] {
  const byDigest = reports.filter((report) =>
    report.digests.some((digest) => image.digests.includes(digest)),
  );
  if (byDigest.length > 0) return byDigest;
  return image.normalized
    ? reports.filter((report) => report.references.includes(image.normalized as string))
    : [];
}

/**
 * Known-exploited vulnerability ids: CISA's KEV catalogue JSON (`vulnerabilities[].cveID`), a JSON
 * array of ids, or a text file with one id per line (`#` comments).
 */
export function loadKnownExploitedList(file: string): Set<string> {
  let content: string;
  try {
    content = readFileSync(file, 'utf8');
  } catch (error) {
    throw new ParapetError(
      'PARAPET_CONFIG_INVALID',
      `${file}: cannot read known-exploited list (${(error as Error).message})`,
      { file },
    );
  }
  const trimmed = content.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    let value: unknown;
    try {
      value = JSON.parse(trimmed);
    } catch (error) {
      throw new ParapetError(
        'PARAPET_CONFIG_INVALID',
        `${file}: known-exploited list is not JSON (${(error as Error).message})`,
        { file },
      );
    }
    const entries = Array.isArray(value)
      ? value
      : isRecord(value) && Array.isArray(value.vulnerabilities)
        ? value.vulnerabilities
        : undefined;
    if (!entries)
      throw new ParapetError(
        'PARAPET_CONFIG_INVALID',
        `${file}: expected a JSON array of ids or a KEV catalogue with "vulnerabilities"`,
        { file },
      );
    return new Set(
      entries
        .map((entry) => (typeof entry === 'string' ? entry : isRecord(entry) ? text(entry.cveID) : undefined))
        .filter((id): id is string => !!id),
    );
  }
  return new Set(
    content
      .split('\n')
      .map((line) => line.replace(/#.*/, '').trim())
      .filter(Boolean),
  );
}
