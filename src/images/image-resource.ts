import type { Resource, SourceLocation } from '../model/resource.js';
import type { ImageMetadata } from './image-config.js';
import { imageReferenceParts, scanImageReference, type ImageReferenceParts } from './reference.js';
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

/** Resources without labels share one (frozen: nothing writes a resource's labels). */
const noLabels: Record<string, string> = Object.freeze({}) as Record<string, string>;
/** No lookup attempted: shared, since a lookup replaces `facts.image.lookup` rather than editing it. */
const lookupOff: ImageFacts['lookup'] = Object.freeze({ status: 'off' as const });

/** Every field of an image resource was written on its one `image:` line: one reader per line number. */
const lineReaders: Array<(() => number) | undefined> = [];
function lineReader(line: number): () => number {
  if (!(line >= 0 && line < 1 << 16 && Number.isInteger(line))) return () => line;
  return (lineReaders[line] ??= () => line);
}

const parts = imageReferenceParts();

/**
 * An image resource: source `image`, kind `image`, id the normalised reference (the reference as
 * written when it is invalid). `body` holds the parsed reference, `facts.image` everything known.
 */
export function imageResource(written: string, origin: ImageOrigin): Resource {
  // The resource and its body are one object literal per shape (tag, digest, namespace): objects
  // built whole carry their fields in-object. The facts add their optional fields afterwards:
  // a literal per shape there saved only about 25 of 500 bytes per resource.
  const reason = scanImageReference(written, parts);
  let body: Record<string, unknown>;
  let facts: ImageFacts;
  let id: string;
  let name: string;
  if (reason === undefined) {
    body = validBody(written, parts);
    facts = validFacts(written, parts, origin);
    id = parts.normalized;
    name = parts.familiar;
  } else {
    body = { image: written, error: reason };
    facts = { valid: false, original: written, pinned: false, lookup: lookupOff, error: reason };
    addOrigin(facts, origin);
    id = written;
    name = written;
  }
  const labels = origin.labels ?? noLabels;
  const location = origin.location;
  const lineOf = lineReader(location.line);
  return origin.namespace === undefined
    ? { source: 'image', kind: 'image', id, name, labels, location, body, facts: { image: facts }, lineOf }
    : {
        source: 'image',
        kind: 'image',
        id,
        name,
        labels,
        location,
        body,
        facts: { image: facts },
        namespace: origin.namespace,
        lineOf,
      };
}

function validBody(image: string, parts: ImageReferenceParts): Record<string, unknown> {
  const { name, registry, repository, normalized, tag, digest } = parts;
  if (digest === undefined)
    return tag === undefined
      ? { image, name, registry, repository, normalized }
      : { image, name, registry, repository, normalized, tag };
  return tag === undefined
    ? { image, name, registry, repository, normalized, digest }
    : { image, name, registry, repository, normalized, tag, digest };
}

function validFacts(original: string, parts: ImageReferenceParts, origin: ImageOrigin): ImageFacts {
  // One literal per shape (tag, digest), like the body: fields added to a finished literal go to a
  // second, out-of-object store.
  const { normalized: reference, registry, repository, name, familiar, tag, digest } = parts;
  const lookup = lookupOff;
  let facts: ImageFacts;
  if (digest === undefined)
    facts =
      tag === undefined
        ? { valid: true, original, pinned: false, lookup, reference, registry, repository, name, familiar }
        : {
            valid: true,
            original,
            pinned: false,
            lookup,
            reference,
            registry,
            repository,
            name,
            familiar,
            tag,
          };
  else
    facts =
      tag === undefined
        ? {
            valid: true,
            original,
            pinned: true,
            lookup,
            reference,
            registry,
            repository,
            name,
            familiar,
            digest,
          }
        : {
            valid: true,
            original,
            pinned: true,
            lookup,
            reference,
            registry,
            repository,
            name,
            familiar,
            tag,
            digest,
          };
  addOrigin(facts, origin);
  return facts;
}

/** The workload and container an image came from, when only one of them is known (rare). */
function addOrigin(facts: ImageFacts, origin: ImageOrigin): void {
  if (origin.workload) facts.workload = origin.workload;
  if (origin.container) facts.container = origin.container;
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
