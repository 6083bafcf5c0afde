/**
 * Builds test images (configuration, layers, manifests, multi-architecture indexes, cosign
 * signatures) and pushes them with the plain distribution API: POST an upload, PUT the blob with its
 * digest, PUT the manifest.
 */
import { createHash, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { RunningRegistry } from './registry-harness.js';

export const oci = {
  index: 'application/vnd.oci.image.index.v1+json',
  manifest: 'application/vnd.oci.image.manifest.v1+json',
  config: 'application/vnd.oci.image.config.v1+json',
  layer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  simpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
};

export function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export interface Blob {
  mediaType: string;
  bytes: Buffer;
  digest: string;
  size: number;
  annotations?: Record<string, string>;
}

function blob(mediaType: string, bytes: Buffer, annotations?: Record<string, string>): Blob {
  return {
    mediaType,
    bytes,
    digest: digestOf(bytes),
    size: bytes.length,
    ...(annotations ? { annotations } : {}),
  };
}

export interface ImageSpec {
  architecture?: string;
  variant?: string;
  user?: string;
  env?: string[];
  labels?: Record<string, string>;
  exposedPorts?: string[];
  created?: string;
  /** Layer sizes in bytes (random content). */
  layerSizes?: number[];
}

export interface BuiltImage {
  config: Blob;
  layers: Blob[];
  manifest: Blob;
}

/** An OCI image whose configuration carries the given facts. */
export function buildImage(spec: ImageSpec = {}): BuiltImage {
  const layers = (spec.layerSizes ?? [2048]).map((size) => blob(oci.layer, randomBytes(size)));
  const config = blob(
    oci.config,
    Buffer.from(
      JSON.stringify({
        architecture: spec.architecture ?? 'amd64',
        ...(spec.variant ? { variant: spec.variant } : {}),
        os: 'linux',
        created: spec.created ?? '2025-01-15T10:00:00Z',
        config: {
          User: spec.user ?? '',
          Env: spec.env ?? ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
          Labels: spec.labels ?? {},
          ExposedPorts: Object.fromEntries((spec.exposedPorts ?? []).map((port) => [port, {}])),
          Entrypoint: ['/app'],
        },
        rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) },
      }),
    ),
  );
  const manifest = blob(
    oci.manifest,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: oci.manifest,
        config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
        layers: layers.map((layer) => ({
          mediaType: layer.mediaType,
          digest: layer.digest,
          size: layer.size,
        })),
      }),
    ),
  );
  return { config, layers, manifest };
}

/** An OCI index over per-platform images (plus a BuildKit-style attestation manifest). */
export function buildIndex(
  images: Array<{ image: BuiltImage; os: string; architecture: string; variant?: string }>,
  attestation?: BuiltImage,
): Blob {
  const manifests = images.map(({ image, os, architecture, variant }) => ({
    mediaType: oci.manifest,
    digest: image.manifest.digest,
    size: image.manifest.size,
    platform: { os, architecture, ...(variant ? { variant } : {}) },
  }));
  if (attestation) {
    manifests.push({
      mediaType: oci.manifest,
      digest: attestation.manifest.digest,
      size: attestation.manifest.size,
      platform: { os: 'unknown', architecture: 'unknown' },
    });
  }
  return blob(oci.index, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: oci.index, manifests })));
}

async function check(response: Response, what: string): Promise<void> {
  if (!response.ok) throw new Error(`${what}: ${response.status} ${await response.text()}`);
  await response.body?.cancel();
}

/** Push a blob with a monolithic upload. */
export async function pushBlob(registry: RunningRegistry, repository: string, item: Blob): Promise<void> {
  const authorization = await registry.pushAuthorization(repository);
  const headers: Record<string, string> = authorization ? { authorization } : {};
  const start = await fetch(`${registry.url}/v2/${repository}/blobs/uploads/`, { method: 'POST', headers });
  if (start.status !== 202)
    throw new Error(`start upload to ${repository}: ${start.status} ${await start.text()}`);
  await start.body?.cancel();
  const location = new URL(start.headers.get('location') ?? '', registry.url);
  location.searchParams.set('digest', item.digest);
  const put = await fetch(location, {
    method: 'PUT',
    headers: { ...headers, 'content-type': 'application/octet-stream', 'content-length': String(item.size) },
    body: item.bytes,
  });
  await check(put, `upload ${item.digest} to ${repository}`);
}

/** Push a manifest (or index) under a tag or its digest. */
export async function pushManifest(
  registry: RunningRegistry,
  repository: string,
  reference: string,
  manifest: Blob,
): Promise<void> {
  const authorization = await registry.pushAuthorization(repository);
  const response = await fetch(`${registry.url}/v2/${repository}/manifests/${reference}`, {
    method: 'PUT',
    headers: { ...(authorization ? { authorization } : {}), 'content-type': manifest.mediaType },
    body: manifest.bytes,
  });
  await check(response, `push manifest ${repository}:${reference}`);
}

/** Push an image's blobs and manifest; tags it when `tag` is given. Returns the manifest digest. */
export async function pushImage(
  registry: RunningRegistry,
  repository: string,
  image: BuiltImage,
  tag?: string,
): Promise<string> {
  for (const layer of image.layers) await pushBlob(registry, repository, layer);
  await pushBlob(registry, repository, image.config);
  await pushManifest(registry, repository, tag ?? image.manifest.digest, image.manifest);
  return image.manifest.digest;
}

/** The simple-signing payload cosign signs for `digest`. */
export function simpleSigningPayload(dockerReference: string, digest: string): Buffer {
  return Buffer.from(
    JSON.stringify({
      critical: {
        identity: { 'docker-reference': dockerReference },
        image: { 'docker-manifest-digest': digest },
        type: 'cosign container image signature',
      },
      optional: null,
    }),
  );
}

/**
 * Push a cosign signature for `digest` under `sha256-<hex>.sig`, signed with `privateKey`
 * (ECDSA P-256, SHA-256, DER). `storedPayload` replaces the payload after signing (a tampered one).
 */
export async function pushSignature(
  registry: RunningRegistry,
  repository: string,
  digest: string,
  privateKey: KeyObject,
  options: { storedPayload?: Buffer; signedDigest?: string } = {},
): Promise<void> {
  const payload = simpleSigningPayload(`${registry.host}/${repository}`, options.signedDigest ?? digest);
  const signature = sign('sha256', payload, { key: privateKey, dsaEncoding: 'der' }).toString('base64');
  const layer = blob(oci.simpleSigning, options.storedPayload ?? payload, {
    'dev.cosignproject.cosign/signature': signature,
  });
  const config = blob(
    oci.config,
    Buffer.from(
      JSON.stringify({
        architecture: '',
        os: '',
        config: {},
        rootfs: { type: 'layers', diff_ids: [layer.digest] },
      }),
    ),
  );
  const manifest = blob(
    oci.manifest,
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: oci.manifest,
        config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
        layers: [
          {
            mediaType: layer.mediaType,
            digest: layer.digest,
            size: layer.size,
            annotations: layer.annotations,
          },
        ],
      }),
    ),
  );
  await pushBlob(registry, repository, layer);
  await pushBlob(registry, repository, config);
  await pushManifest(registry, repository, `${digest.replace(':', '-')}.sig`, manifest);
}
