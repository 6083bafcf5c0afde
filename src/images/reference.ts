/**
 * Container image references, parsed and normalised exactly as Docker does
 * (github.com/distribution/reference: `ParseNormalizedNamed`, `ParseDockerRef`, `TagNameOnly`).
 *
 *   reference        := name [ ":" tag ] [ "@" digest ]
 *   name             := [domain '/'] remote-name
 *   domain           := host [':' port-number]
 *   host             := domain-name | IPv4address | \[ IPv6address \]
 *   domain-component := /([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])/
 *   path-component   := alpha-numeric [separator alpha-numeric]*
 *   alpha-numeric    := /[a-z0-9]+/
 *   separator        := /[_.]|__|[-]+/
 *   tag              := /[\w][\w.-]{0,127}/
 *   digest           := algorithm ":" hex   (sha256: 64, sha384: 96, sha512: 128 lowercase hex)
 */

export const defaultRegistry = 'docker.io';
const legacyDefaultRegistry = 'index.docker.io';
const officialRepositoryPrefix = 'library/';
/** Docker's `NameTotalLengthMax`: the normalised `registry/repository` may not be longer. */
export const nameTotalLengthMax = 255;

const domainComponent = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
const ipv6Literal = '\\[(?:[a-fA-F0-9:]+)\\]';
const host = `(?:${domainComponent}(?:\\.${domainComponent})*|${ipv6Literal})`;
const domainAndPort = `${host}(?::[0-9]+)?`;
const pathComponent = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const remoteName = `${pathComponent}(?:/${pathComponent})*`;

const anchoredDomain = new RegExp(`^${domainAndPort}$`);
const anchoredRemoteName = new RegExp(`^${remoteName}$`);
const anchoredTag = /^[\w][\w.-]{0,127}$/;
const anchoredDigestSyntax = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const anchoredIdentifier = /^[a-f0-9]{64}$/;
const digestHexLength: Record<string, number> = { sha256: 64, sha384: 96, sha512: 128 };
const lowercaseHex = /^[a-f0-9]+$/;

/** A parsed and normalised image reference. */
export interface ImageReference {
  /** The reference as written. */
  original: string;
  /** Registry host with optional port, normalised (`docker.io` for Docker Hub). */
  registry: string;
  /** Repository path inside the registry (`library/nginx`). */
  repository: string;
  /** `registry/repository`. */
  name: string;
  /** The tag as written, or undefined. Kept even when a digest is present. */
  tag?: string;
  /** The digest as written (`sha256:...`), or undefined. */
  digest?: string;
  /** Docker's normalised reference: `name@digest` when pinned (the tag is dropped), else `name:tag` with `latest` by default. */
  normalized: string;
  /** The short form Docker shows: `nginx:1.27`, `prom/prometheus@sha256:...`. */
  familiar: string;
}

/** Why a reference is invalid: Docker's error wording, so users recognise it. */
export class ImageReferenceError extends Error {
  readonly reference: string;

  constructor(reference: string, reason: string) {
    super(`invalid image reference "${reference}": ${reason}`);
    this.name = 'ImageReferenceError';
    this.reference = reference;
  }
}

export type ParseReferenceResult = { ok: true; reference: ImageReference } | { ok: false; reason: string };

/** Parse and normalise a reference, returning the reason instead of throwing (hot path). */
export function tryParseImageReference(input: string): ParseReferenceResult {
  if (typeof input !== 'string' || input.length === 0)
    return { ok: false, reason: 'repository name must have at least one component' };
  if (anchoredIdentifier.test(input)) {
    return { ok: false, reason: 'cannot specify 64-byte hexadecimal strings as a repository name' };
  }

  // Split the digest first: it may contain ':' itself. '@' appears nowhere else in the grammar.
  let rest = input;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    const digestReason = validateDigest(digest);
    if (digestReason) return { ok: false, reason: digestReason };
  }

  // The tag follows the last ':' that comes after the last '/' (a ':' before it is a port).
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.indexOf(':', lastSlash + 1);
  if (colon !== -1) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!anchoredTag.test(tag)) return { ok: false, reason: `invalid tag "${tag}"` };
  }
  if (rest.length === 0) return { ok: false, reason: 'repository name must have at least one component' };

  // Docker's splitDockerDomain: the first component is a registry only when it looks like a host.
  let registry: string;
  let repository: string;
  const slash = rest.indexOf('/');
  const first = slash === -1 ? '' : rest.slice(0, slash);
  if (
    slash === -1 ||
    (!first.includes('.') && !first.includes(':') && first !== 'localhost' && first.toLowerCase() === first)
  ) {
    registry = defaultRegistry;
    repository = rest;
  } else {
    registry = first;
    repository = rest.slice(slash + 1);
    if (!anchoredDomain.test(registry)) return { ok: false, reason: `invalid registry host "${registry}"` };
  }
  if (registry === legacyDefaultRegistry) registry = defaultRegistry;
  if (registry === defaultRegistry && !repository.includes('/'))
    repository = officialRepositoryPrefix + repository;

  if (!anchoredRemoteName.test(repository)) {
    if (repository.toLowerCase() !== repository && anchoredRemoteName.test(repository.toLowerCase())) {
      return { ok: false, reason: `repository name "${repository}" must be lowercase` };
    }
    return { ok: false, reason: 'invalid reference format' };
  }
  const name = `${registry}/${repository}`;
  if (name.length > nameTotalLengthMax) {
    return { ok: false, reason: `repository name must not be more than ${nameTotalLengthMax} characters` };
  }

  const normalized = digest ? `${name}@${digest}` : `${name}:${tag ?? 'latest'}`;
  const reference: ImageReference = {
    original: input,
    registry,
    repository,
    name,
    normalized,
    familiar: familiarName(registry, repository),
  };
  if (tag !== undefined) reference.tag = tag;
  if (digest !== undefined) reference.digest = digest;
  reference.familiar += digest ? `@${digest}` : `:${tag ?? 'latest'}`;
  return { ok: true, reference };
}

/** Parse and normalise a reference; throws {@link ImageReferenceError} when it is invalid. */
export function parseImageReference(input: string): ImageReference {
  const result = tryParseImageReference(input);
  if (!result.ok) throw new ImageReferenceError(String(input), result.reason);
  return result.reference;
}

/** Validate a digest string; returns the reason it is invalid, or undefined. */
export function validateDigest(digest: string): string | undefined {
  if (!anchoredDigestSyntax.test(digest)) return `invalid digest "${digest}"`;
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = digestHexLength[algorithm];
  if (length === undefined) return `unsupported digest algorithm "${algorithm}"`;
  if (hex.length !== length || !lowercaseHex.test(hex)) return `invalid ${algorithm} digest "${digest}"`;
  return undefined;
}

function familiarName(registry: string, repository: string): string {
  if (registry !== defaultRegistry) return `${registry}/${repository}`;
  const remainder = repository.startsWith(officialRepositoryPrefix)
    ? repository.slice(officialRepositoryPrefix.length)
    : undefined;
  return remainder !== undefined && !remainder.includes('/') ? remainder : repository;
}

/** The registry host to contact for a reference: Docker Hub's API lives at registry-1.docker.io. */
export function registryApiHost(registry: string): string {
  return registry === defaultRegistry ? 'registry-1.docker.io' : registry;
}
