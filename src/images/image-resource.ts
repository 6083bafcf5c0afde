import type { Resource, SourceLocation } from '../model/resource.js';
import type { ImageMetadata } from './image-config.js';
import { tryParseImageReference } from './reference.js';
import { secretLikeReason } from './secrets.js';
import {
  reportsForImage,
  vulnerabilitySeverities,
  type VulnerabilityReport,
  type VulnerabilitySeverity,
} from './vulnerabilities.js';

/** Where an image reference was written: the workload and container that run it. */
export interface ImageOrigin {
  location: SourceLocation;
  namespace?: string;
  labels?: Record<string, string>;
  workload?: { id: string; kind: string; name: string; namespace?: string };
  container?: { name: string; list: string; path: string };
  lineOf?: (pointer: string) => number | undefined;
}

/** `facts.image` of an image resource. */
export interface ImageFacts {
  valid: boolean;
  original: string;
  /** Why the reference is invalid. */
  error?: string;
  reference?: string;
  registry?: string;
  repository?: string;
  name?: string;
  familiar?: string;
  tag?: string;
  digest?: string;
  pinned: boolean;
  workload?: ImageOrigin['workload'];
  container?: ImageOrigin['container'];
  /** `ok` when registry or offline metadata is attached, `unavailable` when a lookup failed, `off` when none was attempted. */
  lookup: { status: 'ok' | 'unavailable' | 'off'; reason?: string };
  metadata?: ImageMetadata & {
    ageDays?: number;
    sizeMiB?: number;
    secretEnv: Array<{ name: string; reason: string }>;
  };
  signature?: {
    status: 'verified' | 'unsigned' | 'invalid';
    tag: string;
    key?: string;
    reasons: string[];
    identity?: string;
  };
  vulnerabilities?: {
    reports: string[];
    counts: Record<VulnerabilitySeverity, number>;
    fixable: Record<VulnerabilitySeverity, number>;
    items: VulnerabilityReport['vulnerabilities'];
  };
}

/**
 * An image resource: source `image`, kind `image`, id the normalised reference (the reference as
 * written when it is invalid). `body` holds the parsed reference, `facts.image` everything known.
 */
export function imageResource(written: string, origin: ImageOrigin): Resource {
  const parsed = tryParseImageReference(written);
  const facts: ImageFacts = { valid: parsed.ok, original: written, pinned: false, lookup: { status: 'off' } };
  let body: Record<string, unknown>;
  let id: string;
  let name: string;
  if (parsed.ok) {
    const reference = parsed.reference;
    body = {
      image: written,
      name: reference.name,
      registry: reference.registry,
      repository: reference.repository,
      normalized: reference.normalized,
    };
    if (reference.tag !== undefined) body.tag = reference.tag;
    if (reference.digest !== undefined) body.digest = reference.digest;
    Object.assign(facts, {
      reference: reference.normalized,
      registry: reference.registry,
      repository: reference.repository,
      name: reference.name,
      familiar: reference.familiar,
      pinned: reference.digest !== undefined,
    });
    if (reference.tag !== undefined) facts.tag = reference.tag;
    if (reference.digest !== undefined) facts.digest = reference.digest;
    id = reference.normalized;
    name = reference.familiar;
  } else {
    body = { image: written, error: parsed.reason };
    facts.error = parsed.reason;
    id = written;
    name = written;
  }
  if (origin.workload) facts.workload = origin.workload;
  if (origin.container) facts.container = origin.container;
  const resource: Resource = {
    source: 'image',
    kind: 'image',
    id,
    name,
    labels: origin.labels ?? {},
    location: origin.location,
    body,
    facts: { image: facts },
  };
  if (origin.namespace !== undefined) resource.namespace = origin.namespace;
  // Every field of an image resource was written on the one `image:` line.
  const line = origin.location.line;
  resource.lineOf = () => line;
  return resource;
}

/** `facts.image` of a resource built by {@link imageResource}. */
export function imageFactsOf(resource: Resource): ImageFacts | undefined {
  const facts = resource.facts.image as ImageFacts | undefined;
  return facts && typeof facts === 'object' && 'pinned' in facts ? facts : undefined;
}

/** Attach metadata (from a registry, a layout, an archive or a scanner report) with the derived age, size and secret-like variables. */
export function attachMetadata(resource: Resource, metadata: ImageMetadata, now: Date): void {
  const facts = imageFactsOf(resource);
  if (!facts) return;
  const secretEnv = metadata.env.flatMap(({ name, value }) => {
    const reason = secretLikeReason(name, value);
    return reason ? [{ name, reason }] : [];
  });
  const derived: NonNullable<ImageFacts['metadata']> = { ...metadata, secretEnv };
  if (metadata.size !== undefined) derived.sizeMiB = Math.round((metadata.size / (1024 * 1024)) * 10) / 10;
  if (metadata.created)
    derived.ageDays = Math.floor((now.getTime() - Date.parse(metadata.created)) / 86_400_000);
  facts.metadata = derived;
  facts.lookup = { status: 'ok' };
}

/** Attach the vulnerabilities of the reports about this image (matched by digest, else reference). */
export function attachVulnerabilities(resource: Resource, reports: VulnerabilityReport[]): void {
  const facts = imageFactsOf(resource);
  if (!facts || reports.length === 0) return;
  const digests = [
    facts.digest,
    facts.metadata?.digest,
    facts.metadata?.manifestDigest,
    facts.metadata?.configDigest,
  ].filter((d): d is string => !!d);
  const matched = reportsForImage(
    reports,
    facts.reference ? { normalized: facts.reference, digests } : { digests },
  );
  if (matched.length === 0) return;
  const zero = () =>
    Object.fromEntries(vulnerabilitySeverities.map((s) => [s, 0])) as Record<VulnerabilitySeverity, number>;
  const counts = zero();
  const fixable = zero();
  const seen = new Set<string>();
  const items: VulnerabilityReport['vulnerabilities'] = [];
  for (const report of matched) {
    for (const vulnerability of report.vulnerabilities) {
      const key = `${vulnerability.id}\0${vulnerability.package}\0${vulnerability.installedVersion}`;
      if (seen.has(key)) continue;
      seen.add(key);
      items.push(vulnerability);
      counts[vulnerability.severity] += 1;
      if (vulnerability.fixAvailable) fixable[vulnerability.severity] += 1;
    }
  }
  facts.vulnerabilities = { reports: matched.map((report) => report.file).sort(), counts, fixable, items };
}
