import { createReadStream } from 'node:fs';
import { Parser, type ReadEntry } from 'tar';
import { ParapetError } from '../model/errors.js';
import { imageMetadataFromConfig } from './image-config.js';
import { mediaTypes, parseManifest, sha256Digest } from './manifest.js';
import { descriptorReferences, type LocalImage } from './oci-layout.js';
import { tryParseImageReference } from './reference.js';

/** Entries up to this size are kept in memory (manifests, configs); bigger ones (layers) only have their size noted. */
const keepBytes = 1024 * 1024;
/** Everything kept in memory together stays under this. */
const keepTotalBytes = 64 * 1024 * 1024;

interface ArchiveEntries {
  small: Map<string, Buffer>;
  sizes: Map<string, number>;
}

function normalizePath(path: string): string {
  return path.replace(/^\.\//, '');
}

/** Read every entry of a (possibly gzipped) tarball, keeping the small ones; a truncated or corrupt archive is an error naming the file. */
async function readArchive(file: string): Promise<ArchiveEntries> {
  const small = new Map<string, Buffer>();
  const sizes = new Map<string, number>();
  let kept = 0;
  await new Promise<void>((resolve, reject) => {
    let failed = false;
    const fail = (error: ParapetError) => {
      if (failed) return;
      failed = true;
      stream.destroy();
      reject(error);
    };
    const parser = new Parser({
      strict: true,
      onReadEntry(entry: ReadEntry) {
        const path = normalizePath(entry.path);
        const size = entry.size ?? 0;
        if (entry.type !== 'File' && entry.type !== 'OldFile') {
          entry.resume();
          return;
        }
        sizes.set(path, size);
        if (size > keepBytes || kept + size > keepTotalBytes) {
          entry.resume();
          return;
        }
        const chunks: Buffer[] = [];
        entry.on('data', (chunk: Buffer) => chunks.push(chunk));
        entry.on('end', () => {
          const bytes = Buffer.concat(chunks);
          if (bytes.length === size) {
            kept += size;
            small.set(path, bytes);
          }
        });
      },
    });
    const stream = createReadStream(file);
    stream.on('error', (error) =>
      fail(
        new ParapetError('PARAPET_INPUT_READ', `${file}: cannot read image archive (${error.message})`, {
          file,
        }),
      ),
    );
    parser.on('error', (error: Error) =>
      fail(
        new ParapetError(
          'PARAPET_IMAGE_INVALID',
          `${file}: not a readable docker save archive (${error.message.replace(/^TAR_[A-Z_]+: /, '')})`,
          { file },
        ),
      ),
    );
    parser.on('end', () => {
      if (!failed) resolve();
    });
    stream.pipe(parser);
  });
  return { small, sizes };
}

function parseJson(bytes: Buffer | undefined, file: string, path: string): unknown {
  if (!bytes)
    throw new ParapetError('PARAPET_IMAGE_INVALID', `${file}: ${path} is missing from the archive`, { file });
  try {
    return JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new ParapetError(
      'PARAPET_IMAGE_INVALID',
      `${file}: ${path} is not JSON (${(error as Error).message})`,
      { file },
    );
  }
}

interface ArchiveManifestEntry {
  Config?: unknown;
  RepoTags?: unknown;
  Layers?: unknown;
}

/**
 * Read the images of a `docker save` tarball (legacy layout and the OCI layout Docker 25+ writes):
 * `manifest.json` names each image's configuration, tags and layers; layer sizes come from the tar
 * headers, so layers are streamed past, never held. `name` picks one image by tag.
 */
export async function readDockerArchive(file: string, name?: string): Promise<LocalImage> {
  const { small, sizes } = await readArchive(file);
  const manifestList = parseJson(small.get('manifest.json'), file, 'manifest.json');
  if (!Array.isArray(manifestList) || manifestList.length === 0) {
    throw new ParapetError('PARAPET_IMAGE_INVALID', `${file}: manifest.json lists no image`, { file });
  }
  const images = manifestList.map((entry: ArchiveManifestEntry, position) => {
    if (
      typeof entry !== 'object' ||
      entry === null ||
      typeof entry.Config !== 'string' ||
      !Array.isArray(entry.Layers)
    ) {
      throw new ParapetError(
        'PARAPET_IMAGE_INVALID',
        `${file}: manifest.json entry ${position} has no Config or Layers`,
        { file },
      );
    }
    const tags = Array.isArray(entry.RepoTags)
      ? entry.RepoTags.filter((tag): tag is string => typeof tag === 'string')
      : [];
    const references = tags.flatMap((tag) => {
      const parsed = tryParseImageReference(tag);
      return parsed.ok ? [parsed.reference.normalized] : [];
    });
    return { config: entry.Config, layers: entry.Layers as unknown[], tags, references };
  });

  let chosen = images[0];
  if (name !== undefined) {
    const wanted = tryParseImageReference(name);
    chosen = images.find(
      (image) =>
        image.tags.includes(name) || (wanted.ok && image.references.includes(wanted.reference.normalized)),
    );
    if (!chosen)
      throw new ParapetError('PARAPET_IMAGE_INVALID', `${file}: no image tagged "${name}" in the archive`, {
        file,
      });
  } else if (images.length > 1) {
    throw new ParapetError(
      'PARAPET_IMAGE_INVALID',
      `${file}: holds ${images.length} images; name one as docker-archive:${file}:TAG`,
      { file },
    );
  }
  if (!chosen)
    throw new ParapetError('PARAPET_IMAGE_INVALID', `${file}: manifest.json lists no image`, { file });

  const configPath = normalizePath(chosen.config);
  const configBytes = small.get(configPath);
  if (!configBytes)
    throw new ParapetError(
      'PARAPET_IMAGE_INVALID',
      `${file}: configuration ${configPath} is missing from the archive`,
      { file },
    );
  const configDigest = sha256Digest(configBytes);
  const layers = chosen.layers.map((layer) => {
    const path = normalizePath(String(layer));
    const size = sizes.get(path);
    if (size === undefined)
      throw new ParapetError('PARAPET_IMAGE_INVALID', `${file}: layer ${path} is missing from the archive`, {
        file,
      });
    return { mediaType: 'application/vnd.docker.image.rootfs.diff.tar', digest: '', size };
  });
  const metadata = imageMetadataFromConfig(
    configBytes,
    { config: { digest: configDigest, size: configBytes.length }, layers },
    `${file} ${configPath}`,
    'docker-archive',
  );
  const references = new Set(chosen.references);

  // Docker 25+ also writes an OCI index: it gives the manifest digest the registry would show.
  const indexBytes = small.get('index.json');
  if (indexBytes) {
    try {
      const index = parseManifest(indexBytes, mediaTypes.ociIndex, `${file} index.json`);
      if (index.kind === 'index') {
        for (const descriptor of index.manifests) {
          const blob = small.get(`blobs/${descriptor.digest.replace(':', '/')}`);
          if (!blob) continue;
          const manifest = parseManifest(blob, descriptor.mediaType, `${file} ${descriptor.digest}`);
          if (manifest.kind === 'manifest' && manifest.config.digest === configDigest) {
            metadata.digest = descriptor.digest;
            metadata.manifestDigest = descriptor.digest;
            for (const reference of descriptorReferences(descriptor)) references.add(reference);
          }
        }
      }
    } catch {
      // The legacy manifest.json already gave everything needed; an odd index.json is not fatal.
    }
  }
  return { references: [...references].sort(), metadata };
}
