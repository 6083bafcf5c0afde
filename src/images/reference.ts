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

import { abbreviate } from '../model/errors.js';

export const defaultRegistry = 'docker.io';
const legacyDefaultRegistry = 'index.docker.io';
const officialRepositoryPrefix = 'library/';
/** `RepositoryNameTotalLengthMax`: the repository path (`library/nginx`, without the registry) may not be longer. */
export const repositoryNameTotalLengthMax = 255;

// The grammar's productions are scanned by hand below (one pass, no backtracking); the tests hold
// them to these expressions: host ^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])(?:\.(same))*
// or ^\[[a-fA-F0-9:]+\], then (?::[0-9]+)?$; remote name ^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*
// (?:/(same))*$; tag ^[\w][\w.-]{0,127}$.
const anchoredDigestSyntax = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const anchoredIdentifier = /^[a-f0-9]{64}$/;
const sha256Digest = /^sha256:[a-f0-9]{64}$/;
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

/** Longest part of a reference an error quotes whole (the longest valid reference is about 470). */
const QUOTE_MAX = 512;

/** `"text"`, with only its start and its length when it is longer than {@link QUOTE_MAX}: hostile input stays one short line. */
export function quote(text: string): string {
  return `"${abbreviate(text, QUOTE_MAX, 64)}"`;
}

/** Why a reference is invalid: Docker's error wording, so users recognise it. */
export class ImageReferenceError extends Error {
  readonly reference: string;

  constructor(reference: string, reason: string) {
    super(`invalid image reference ${quote(reference)}: ${reason}`);
    this.name = 'ImageReferenceError';
    this.reference = reference;
  }
}

export type ParseReferenceResult = { ok: true; reference: ImageReference } | { ok: false; reason: string };

/** The parts of a valid reference (filled in place by {@link scanImageReference}). */
export interface ImageReferenceParts {
  registry: string;
  repository: string;
  name: string;
  tag: string | undefined;
  digest: string | undefined;
  normalized: string;
  familiar: string;
}

/** An empty parts record to pass to {@link scanImageReference}. */
export function imageReferenceParts(): ImageReferenceParts {
  return {
    registry: '',
    repository: '',
    name: '',
    tag: undefined,
    digest: undefined,
    normalized: '',
    familiar: '',
  };
}

const dockerHubPrefix = `${defaultRegistry}/`;
const officialPrefix = `${defaultRegistry}/${officialRepositoryPrefix}`;

/**
 * Parse and normalise a reference into `out`, returning why it is invalid (then `out` is
 * meaningless) or undefined. The hot path under {@link tryParseImageReference} and image resources:
 * no result objects, and the normalised strings reuse the written one where they are equal to it
 * (or to a part of it) instead of concatenating copies.
 */
export function scanImageReference(input: string, out: ImageReferenceParts): string | undefined {
  if (typeof input !== 'string' || input.length === 0)
    return 'repository name must have at least one component';
  if (input.length === 64 && anchoredIdentifier.test(input))
    return 'cannot specify 64-byte hexadecimal strings as a repository name';

  // One pass over the name and tag: the first '@' ends them (the digest follows; '@' appears
  // nowhere else in the grammar); the tag follows the first ':' after the last '/' (a ':' before
  // it is a port); the first '/' ends the part that may be a registry.
  let end = input.length;
  let firstSlash = -1;
  let colon = -1;
  for (let i = 0; i < end; i += 1) {
    const c = input.charCodeAt(i);
    if (c === 47 /* / */) {
      if (firstSlash === -1) firstSlash = i;
      colon = -1;
    } else if (c === 58 /* : */) {
      if (colon === -1) colon = i;
    } else if (c === 64 /* @ */) end = i;
  }
  let digest: string | undefined;
  if (end !== input.length) {
    digest = input.slice(end + 1);
    const digestReason = validateDigest(digest);
    if (digestReason) return digestReason;
  }

  let tag: string | undefined;
  if (colon !== -1) {
    if (!isTagAt(input, colon + 1, end)) return `invalid tag ${quote(input.slice(colon + 1, end))}`;
    tag = input.slice(colon + 1, end);
    end = colon;
  }
  if (end === 0) return 'repository name must have at least one component';

  // Docker's splitDockerDomain: the first component is a registry only when it looks like a host.
  let registry: string;
  let repository: string;
  /** The repository was written without a registry (Docker Hub). */
  let hub = true;
  const slash = firstSlash < end ? firstSlash : -1;
  /** Where the repository starts in the written reference. */
  let repositoryStart = 0;
  if (slash !== -1 && looksLikeHost(input, slash)) {
    hub = false;
    if (!isRegistryHostAt(input, 0, slash)) return `invalid registry host ${quote(input.slice(0, slash))}`;
    registry = input.slice(0, slash);
    repositoryStart = slash + 1;
    repository = input.slice(repositoryStart, end);
    if (registry === legacyDefaultRegistry) registry = defaultRegistry;
  } else {
    registry = defaultRegistry;
    repository = end === input.length ? input : input.slice(0, end);
  }
  // Official images gain library/; `library/x` is a valid remote name exactly when `x` is.
  const official = registry === defaultRegistry && !repository.includes('/');
  if (!isRemoteNameAt(input, repositoryStart, end)) {
    const full = official ? officialRepositoryPrefix + repository : repository;
    if (full.toLowerCase() !== full && isRemoteName(full.toLowerCase())) {
      return `repository name ${quote(full)} must be lowercase`;
    }
    return 'invalid reference format';
  }
  if (official) repository = officialRepositoryPrefix + repository;
  if (repository.length > repositoryNameTotalLengthMax) {
    return `repository name must not be more than ${repositoryNameTotalLengthMax} characters`;
  }

  // Written in full (a registry, no library/ to add), the name is the written text up to the tag.
  const verbatim = !hub && !official && registry.length === slash;
  let name: string;
  let normalized: string;
  if (verbatim) {
    name = end === input.length ? input : input.slice(0, end);
    if (digest !== undefined) normalized = tag === undefined ? input : `${name}@${digest}`;
    else normalized = tag === undefined ? `${name}:latest` : input;
  } else {
    name = `${registry}/${repository}`;
    normalized = digest !== undefined ? `${name}@${digest}` : `${name}:${tag ?? 'latest'}`;
  }
  out.registry = registry;
  out.repository = repository;
  out.name = name;
  out.tag = tag;
  out.digest = digest;
  out.normalized = normalized;
  out.familiar = familiarOf(normalized, registry, repository);
  return undefined;
}

const isDigit = (c: number) => c >= 48 && c <= 57;
const isLowerAlphanumeric = (c: number) => (c >= 97 && c <= 122) || isDigit(c);
const isAlphanumeric = (c: number) => isLowerAlphanumeric(c) || (c >= 65 && c <= 90);
const isWord = (c: number) => isAlphanumeric(c) || c === 95; /* _ */

/** A registry host: dot-separated components of letters, digits and inner '-', or a bracketed IPv6 literal; then an optional `:port`. */
export function isRegistryHost(text: string): boolean {
  return isRegistryHostAt(text, 0, text.length);
}

/**
 * {@link isRegistryHost} of `text.slice(start, n)`, read in place. The range validators may read
 * `text[n]`, which is then a delimiter (`/`, `:` or `@`) or past the end: never a character they accept.
 */
function isRegistryHostAt(text: string, start: number, n: number): boolean {
  let i = start;
  if (i === n) return false;
  if (text.charCodeAt(i) === 91 /* [ */) {
    const close = text.indexOf(']', i);
    if (close === -1 || close >= n || close < i + 2) return false;
    for (i += 1; i < close; i += 1) {
      const c = text.charCodeAt(i);
      if (!(isDigit(c) || (c >= 97 && c <= 102) || (c >= 65 && c <= 70) || c === 58)) return false;
    }
    i = close + 1;
  } else {
    for (;;) {
      const component = i;
      while (i < n && (isAlphanumeric(text.charCodeAt(i)) || text.charCodeAt(i) === 45)) i += 1;
      if (i === component || text.charCodeAt(component) === 45 || text.charCodeAt(i - 1) === 45) return false;
      if (i === n || text.charCodeAt(i) !== 46 /* . */) break;
      i += 1;
    }
  }
  if (i === n) return true;
  if (text.charCodeAt(i) !== 58 /* : */ || i + 1 === n) return false;
  for (i += 1; i < n; i += 1) if (!isDigit(text.charCodeAt(i))) return false;
  return true;
}

/** A remote name: '/'-separated components of lowercase letters and digits joined by '.', '_', '__' or runs of '-'. */
export function isRemoteName(text: string): boolean {
  return isRemoteNameAt(text, 0, text.length);
}

/** {@link isRemoteName} of `text.slice(start, n)`, read in place. */
function isRemoteNameAt(text: string, start: number, n: number): boolean {
  let i = start;
  if (i === n) return false;
  for (;;) {
    if (!isLowerAlphanumeric(text.charCodeAt(i))) return false;
    i += 1;
    while (i < n) {
      const c = text.charCodeAt(i);
      if (isLowerAlphanumeric(c)) {
        i += 1;
        continue;
      }
      if (c === 47 /* / */) break;
      if (c === 46 /* . */) i += 1;
      else if (c === 95 /* _ */) i += text.charCodeAt(i + 1) === 95 ? 2 : 1;
      else if (c === 45 /* - */) while (text.charCodeAt(i) === 45) i += 1;
      else return false;
      if (!isLowerAlphanumeric(text.charCodeAt(i))) return false;
      i += 1;
    }
    if (i === n) return true;
    i += 1; // past the '/'
  }
}

/** A tag: a word character, then up to 127 word characters, '.' or '-'. */
export function isTag(text: string): boolean {
  return isTagAt(text, 0, text.length);
}

/** {@link isTag} of `text.slice(start, n)`, read in place. */
function isTagAt(text: string, start: number, n: number): boolean {
  if (n === start || n - start > 128 || !isWord(text.charCodeAt(start))) return false;
  for (let i = start + 1; i < n; i += 1) {
    const c = text.charCodeAt(i);
    if (!isWord(c) && c !== 46 && c !== 45) return false;
  }
  return true;
}

/** Whether the first path component `input[0, slash)` names a host: a '.', a ':', localhost, or uppercase. */
function looksLikeHost(input: string, slash: number): boolean {
  for (let i = 0; i < slash; i += 1) {
    const c = input.charCodeAt(i);
    if (c === 46 /* . */ || c === 58 /* : */ || (c >= 65 && c <= 90) /* A-Z */) return true;
    if (c >= 128) {
      const first = input.slice(0, slash);
      return first.includes('.') || first.includes(':') || first.toLowerCase() !== first;
    }
  }
  return slash === 9 && input.startsWith('localhost');
}

/** Docker's familiar form: the normalised reference without docker.io/ (and library/ for official images). */
function familiarOf(normalized: string, registry: string, repository: string): string {
  if (registry !== defaultRegistry) return normalized;
  const official =
    repository.startsWith(officialRepositoryPrefix) &&
    repository.indexOf('/', officialRepositoryPrefix.length) === -1;
  return normalized.slice(official ? officialPrefix.length : dockerHubPrefix.length);
}

const scratch = imageReferenceParts();

/** Parse and normalise a reference, returning the reason instead of throwing. */
export function tryParseImageReference(input: string): ParseReferenceResult {
  const parts = scratch;
  const reason = scanImageReference(input, parts);
  if (reason !== undefined) return { ok: false, reason };
  const reference: ImageReference = {
    original: input,
    registry: parts.registry,
    repository: parts.repository,
    name: parts.name,
    normalized: parts.normalized,
    familiar: parts.familiar,
  };
  if (parts.tag !== undefined) reference.tag = parts.tag;
  if (parts.digest !== undefined) reference.digest = parts.digest;
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
  // The common case, sha256 in lowercase hex, in one expression.
  if (sha256Digest.test(digest)) return undefined;
  if (!anchoredDigestSyntax.test(digest)) return `invalid digest ${quote(digest)}`;
  const colon = digest.indexOf(':');
  const algorithm = digest.slice(0, colon);
  const hex = digest.slice(colon + 1);
  const length = digestHexLength[algorithm];
  if (length === undefined) return `unsupported digest algorithm ${quote(algorithm)}`;
  if (hex.length !== length || !lowercaseHex.test(hex)) return `invalid ${algorithm} digest ${quote(digest)}`;
  return undefined;
}

/** The registry host to contact for a reference: Docker Hub's API lives at registry-1.docker.io. */
export function registryApiHost(registry: string): string {
  return registry === defaultRegistry ? 'registry-1.docker.io' : registry;
}
