import { createHash } from 'node:crypto';
import { ParapetError } from '../model/errors.js';
import { validateDigest } from './reference.js';

/** Media types parapet reads; anything else is refused with a clear error rather than guessed at. */
export const mediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
} as const;

/** The Accept header for manifest requests, most specific first. */
export const manifestAccept = [
  mediaTypes.ociIndex,
  mediaTypes.dockerManifestList,
  mediaTypes.ociManifest,
  mediaTypes.dockerManifest,
].join(', ');

export interface Platform {
  os: string;
  architecture: string;
  variant?: string;
}

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: Platform;
  annotations?: Record<string, string>;
  artifactType?: string;
}

export interface ImageIndex {
  kind: 'index';
  mediaType: string;
  manifests: Descriptor[];
  annotations?: Record<string, string>;
}

export interface ImageManifest {
  kind: 'manifest';
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
  annotations?: Record<string, string>;
}

/** sha256 digest of raw bytes, in `sha256:<hex>` form. */
export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** Check that `bytes` hash to `digest` (sha256/384/512); throws naming `where` when they do not. */
export function verifyDigest(bytes: Uint8Array, digest: string, where: string): void {
  const algorithm = digest.slice(0, digest.indexOf(':'));
  const actual = `${algorithm}:${createHash(algorithm).update(bytes).digest('hex')}`;
  if (actual !== digest) {
    throw new ParapetError(
      'PARAPET_IMAGE_INVALID',
      `${where}: content digest ${actual} does not match the expected ${digest}`,
      { file: where },
    );
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringRecord(value: unknown): Record<string, string> | undefined {
  if (!isRecord(value)) return undefined;
  const out: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) if (typeof entry === 'string') out[key] = entry;
  return out;
}

function parseDescriptor(value: unknown, where: string, field: string): Descriptor {
  if (!isRecord(value)) throw invalid(where, `${field} is not an object`);
  const { mediaType, digest, size } = value;
  if (typeof digest !== 'string' || validateDigest(digest))
    throw invalid(where, `${field}.digest is missing or malformed`);
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw invalid(where, `${field}.size is missing or not a non-negative integer`);
  const descriptor: Descriptor = { mediaType: typeof mediaType === 'string' ? mediaType : '', digest, size };
  if (isRecord(value.platform)) {
    const { os, architecture, variant } = value.platform;
    if (typeof os === 'string' && typeof architecture === 'string') {
      descriptor.platform = { os, architecture };
      if (typeof variant === 'string') descriptor.platform.variant = variant;
    }
  }
  const annotations = stringRecord(value.annotations);
  if (annotations) descriptor.annotations = annotations;
  if (typeof value.artifactType === 'string') descriptor.artifactType = value.artifactType;
  return descriptor;
}

function invalid(where: string, problem: string): ParapetError {
  return new ParapetError('PARAPET_IMAGE_INVALID', `${where}: malformed manifest: ${problem}`, {
    file: where,
  });
}

/**
 * Parse a manifest or index. `contentType` is what the registry (or the parent descriptor) said;
 * the document's own `mediaType` field settles it when the header is generic.
 */
export function parseManifest(
  bytes: Uint8Array,
  contentType: string | undefined,
  where: string,
): ImageIndex | ImageManifest {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch (error) {
    throw invalid(where, `not JSON (${(error as Error).message})`);
  }
  if (!isRecord(document)) throw invalid(where, 'not a JSON object');
  const header = (contentType ?? '').split(';')[0]?.trim() ?? '';
  const declared = typeof document.mediaType === 'string' ? document.mediaType : '';
  let mediaType = declared || header;
  if (!mediaType || mediaType === 'application/json' || mediaType === 'application/octet-stream') {
    // OCI allows omitting mediaType: an index has `manifests`, a manifest has `config`.
    mediaType = Array.isArray(document.manifests)
      ? mediaTypes.ociIndex
      : isRecord(document.config)
        ? mediaTypes.ociManifest
        : '';
  }
  if (document.schemaVersion !== 2) {
    if (document.schemaVersion === 1 || mediaType.includes('manifest.v1')) {
      throw new ParapetError(
        'PARAPET_IMAGE_INVALID',
        `${where}: unsupported media type: Docker schema 1 manifests are deprecated and not supported`,
        { file: where },
      );
    }
    throw invalid(where, 'schemaVersion is not 2');
  }
  const annotations = stringRecord(document.annotations);
  if (mediaType === mediaTypes.ociIndex || mediaType === mediaTypes.dockerManifestList) {
    if (!Array.isArray(document.manifests)) throw invalid(where, 'index has no manifests array');
    const manifests = document.manifests.map((entry, index) =>
      parseDescriptor(entry, where, `manifests[${index}]`),
    );
    return { kind: 'index', mediaType, manifests, ...(annotations ? { annotations } : {}) };
  }
  if (mediaType === mediaTypes.ociManifest || mediaType === mediaTypes.dockerManifest) {
    const config = parseDescriptor(document.config, where, 'config');
    if (!Array.isArray(document.layers)) throw invalid(where, 'manifest has no layers array');
    const layers = document.layers.map((entry, index) => parseDescriptor(entry, where, `layers[${index}]`));
    return { kind: 'manifest', mediaType, config, layers, ...(annotations ? { annotations } : {}) };
  }
  throw new ParapetError(
    'PARAPET_IMAGE_INVALID',
    `${where}: unsupported media type "${mediaType || 'none'}"`,
    { file: where },
  );
}

/** The platform parapet resolves indexes to unless told otherwise (what most clusters run). */
export const defaultPlatform: Platform = { os: 'linux', architecture: 'amd64' };

/** Parse `linux/arm64/v8` style platform strings. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant] = text.split('/');
  if (!os || !architecture)
    throw new ParapetError('PARAPET_USAGE', `invalid platform "${text}": expected os/architecture[/variant]`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

/**
 * Pick the manifest for `platform` from an index, as containerd does: exact os/architecture, the
 * variant when both sides name one. Attestation manifests (`unknown/unknown`) never match.
 */
export function selectPlatformManifest(index: ImageIndex, platform: Platform, where: string): Descriptor {
  const candidates = index.manifests.filter(
    (descriptor) =>
      descriptor.platform &&
      descriptor.platform.os === platform.os &&
      descriptor.platform.architecture === platform.architecture &&
      (descriptor.mediaType === '' ||
        descriptor.mediaType === mediaTypes.ociManifest ||
        descriptor.mediaType === mediaTypes.dockerManifest),
  );
  const exact = candidates.find(
    (descriptor) => platform.variant !== undefined && descriptor.platform?.variant === platform.variant,
  );
  const chosen =
    exact ??
    candidates.find(
      (descriptor) => platform.variant === undefined || descriptor.platform?.variant === undefined,
    ) ??
    candidates[0];
  if (!chosen) {
    const available = index.manifests
      .filter((descriptor) => descriptor.platform && descriptor.platform.os !== 'unknown')
      .map((descriptor) => platformText(descriptor.platform as Platform));
    throw new ParapetError(
      'PARAPET_IMAGE_INVALID',
      `${where}: no manifest for platform ${platformText(platform)} (available: ${available.join(', ') || 'none'})`,
      { file: where },
    );
  }
  return chosen;
}

export function platformText(platform: Platform): string {
  return platform.variant
    ? `${platform.os}/${platform.architecture}/${platform.variant}`
    : `${platform.os}/${platform.architecture}`;
}
