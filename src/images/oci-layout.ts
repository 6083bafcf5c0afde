import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ParapetError } from '../model/errors.js';
import { imageMetadataFromConfig, type ImageMetadata } from './image-config.js';
import {
  defaultPlatform,
  mediaTypes,
  parseManifest,
  selectPlatformManifest,
  verifyDigest,
  type Descriptor,
  type Platform,
} from './manifest.js';
import { tryParseImageReference } from './reference.js';

/** An image read from disk rather than a registry. */
export interface LocalImage {
  /** Normalised references the image is known by (tags recorded in the layout or archive). */
  references: string[];
  metadata: ImageMetadata;
}

const refNameAnnotation = 'org.opencontainers.image.ref.name';
const containerdNameAnnotation = 'io.containerd.image.name';
const maxMetadataBytes = 8 * 1024 * 1024;

function invalid(where: string, problem: string): ParapetError {
  return new ParapetError('PARAPET_IMAGE_INVALID', `${where}: ${problem}`, { file: where });
}

/** Normalised references an index entry is named by (containerd's full name, or the OCI ref name when it parses). */
export function descriptorReferences(descriptor: Descriptor): string[] {
  const names = [
    descriptor.annotations?.[containerdNameAnnotation],
    descriptor.annotations?.[refNameAnnotation],
  ];
  const references = new Set<string>();
  for (const name of names) {
    if (!name) continue;
    const parsed = tryParseImageReference(name);
    // A bare ref name such as "1.27" parses as a repository; only names with a '/' or ':' are references.
    if (parsed.ok && (name.includes('/') || name.includes(':') || name.includes('@')))
      references.add(parsed.reference.normalized);
  }
  return [...references].sort();
}

/**
 * Read one image from an OCI image layout directory: `oci-layout`, `index.json`, `blobs/<alg>/<hex>`.
 * `name` picks a manifest by its `org.opencontainers.image.ref.name` (or containerd name); without
 * one, the layout must hold exactly one image. Blobs are digest-checked.
 */
export async function readOciLayout(
  dir: string,
  name?: string,
  platform: Platform = defaultPlatform,
): Promise<LocalImage> {
  const readBlob = async (digest: string): Promise<Buffer> => {
    const [algorithm, hex] = digest.split(':') as [string, string];
    const path = join(dir, 'blobs', algorithm, hex);
    let size: number;
    try {
      size = (await stat(path)).size;
    } catch {
      throw invalid(dir, `blob ${digest} is missing from blobs/${algorithm}/`);
    }
    if (size > maxMetadataBytes)
      throw invalid(
        dir,
        `blob ${digest} is ${size} bytes, more than the ${maxMetadataBytes}-byte limit for metadata`,
      );
    const bytes = await readFile(path);
    verifyDigest(bytes, digest, `${dir} blob ${digest}`);
    return bytes;
  };

  let layoutText: string;
  try {
    layoutText = await readFile(join(dir, 'oci-layout'), 'utf8');
  } catch {
    throw new ParapetError('PARAPET_INPUT_READ', `${dir}: not an OCI image layout (no oci-layout file)`, {
      file: dir,
    });
  }
  let version: unknown;
  try {
    version = (JSON.parse(layoutText) as { imageLayoutVersion?: unknown }).imageLayoutVersion;
  } catch {
    throw invalid(dir, 'oci-layout is not JSON');
  }
  if (version !== '1.0.0') throw invalid(dir, `unsupported imageLayoutVersion ${JSON.stringify(version)}`);
  let indexBytes: Buffer;
  try {
    indexBytes = await readFile(join(dir, 'index.json'));
  } catch {
    throw invalid(dir, 'index.json is missing');
  }
  const index = parseManifest(indexBytes, mediaTypes.ociIndex, `${dir}/index.json`);
  if (index.kind !== 'index') throw invalid(dir, 'index.json is not an image index');

  let entries = index.manifests;
  if (name !== undefined) {
    const wanted = tryParseImageReference(name);
    entries = entries.filter(
      (descriptor) =>
        descriptor.annotations?.[refNameAnnotation] === name ||
        descriptor.annotations?.[containerdNameAnnotation] === name ||
        (wanted.ok && descriptorReferences(descriptor).includes(wanted.reference.normalized)),
    );
    if (entries.length === 0) throw invalid(dir, `no image named "${name}" in index.json`);
  }
  const [entry] = entries;
  if (!entry) throw invalid(dir, 'index.json lists no image');
  if (entries.length > 1) {
    const names = entries.map(
      (descriptor) => descriptor.annotations?.[refNameAnnotation] ?? descriptor.digest,
    );
    throw invalid(dir, `holds ${entries.length} images (${names.join(', ')}); name one as oci:${dir}:NAME`);
  }

  const top = parseManifest(await readBlob(entry.digest), entry.mediaType, `${dir} ${entry.digest}`);
  let manifestDigest = entry.digest;
  let manifest = top;
  if (top.kind === 'index') {
    const chosen = selectPlatformManifest(top, platform, `${dir} ${entry.digest}`);
    manifest = parseManifest(await readBlob(chosen.digest), chosen.mediaType, `${dir} ${chosen.digest}`);
    manifestDigest = chosen.digest;
  }
  if (manifest.kind !== 'manifest') throw invalid(dir, `${manifestDigest} is a nested index`);
  const metadata = imageMetadataFromConfig(
    await readBlob(manifest.config.digest),
    manifest,
    `${dir} config ${manifest.config.digest}`,
    'oci-layout',
  );
  metadata.digest = entry.digest;
  metadata.manifestDigest = manifestDigest;
  return { references: descriptorReferences(entry), metadata };
}
