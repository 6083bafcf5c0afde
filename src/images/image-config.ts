import { ParapetError } from '../model/errors.js';
import type { ImageManifest } from './manifest.js';

/** What parapet knows about an image from its manifest and configuration blob. */
export interface ImageMetadata {
  /** Where the data came from: `registry`, `oci-layout` or `docker-archive`. */
  origin: 'registry' | 'oci-layout' | 'docker-archive';
  /** The digest the reference resolves to (an index digest for multi-architecture images). */
  digest?: string;
  /** The platform-specific manifest's digest. */
  manifestDigest?: string;
  /** The configuration blob's digest (Docker's image id). */
  configDigest: string;
  os?: string;
  architecture?: string;
  variant?: string;
  /** `Config.User` as written; empty means root. */
  user: string;
  /** True when the process starts as uid 0: no user, `root`, `0`, or `root:`/`0:` with any group. */
  runsAsRoot: boolean;
  /** `Config.ExposedPorts` keys, sorted (`80/tcp`). */
  exposedPorts: string[];
  /** `Config.Env` as name/value pairs, in image order. */
  env: Array<{ name: string; value: string }>;
  labels: Record<string, string>;
  /** RFC 3339 creation time, when the image records one. */
  created?: string;
  entrypoint?: string[];
  cmd?: string[];
  workingDir?: string;
  layers: number;
  /** Compressed size in bytes: the sum of the layer sizes plus the configuration blob (absent when the source does not tell). */
  size?: number;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function stringArray(value: unknown): string[] | undefined {
  return Array.isArray(value) && value.every((entry) => typeof entry === 'string')
    ? (value as string[])
    : undefined;
}

/** True when a `Config.User` value makes the process run as uid 0. */
export function userIsRoot(user: string): boolean {
  const name = user.trim().split(':')[0] ?? '';
  return name === '' || name === 'root' || /^0+$/.test(name);
}

/** Read the image configuration blob (OCI or Docker) into metadata; throws naming `where` when it is not one. */
export function imageMetadataFromConfig(
  configBytes: Uint8Array,
  manifest: Pick<ImageManifest, 'layers'> & { config: { digest: string; size: number } },
  where: string,
  origin: ImageMetadata['origin'],
): ImageMetadata {
  let document: unknown;
  try {
    document = JSON.parse(Buffer.from(configBytes).toString('utf8'));
  } catch (error) {
    throw new ParapetError(
      'PARAPET_IMAGE_INVALID',
      `${where}: image configuration is not JSON (${(error as Error).message})`,
      { file: where },
    );
  }
  if (!isRecord(document))
    throw new ParapetError('PARAPET_IMAGE_INVALID', `${where}: image configuration is not a JSON object`, {
      file: where,
    });
  // Docker writes `config`, older builders `container_config` only; OCI calls it `config` too.
  const config = isRecord(document.config)
    ? document.config
    : isRecord(document.container_config)
      ? document.container_config
      : {};
  const user = typeof config.User === 'string' ? config.User : '';
  const env = (stringArray(config.Env) ?? []).map((entry) => {
    const equals = entry.indexOf('=');
    return equals === -1
      ? { name: entry, value: '' }
      : { name: entry.slice(0, equals), value: entry.slice(equals + 1) };
  });
  const labels: Record<string, string> = {};
  if (isRecord(config.Labels))
    for (const [key, value] of Object.entries(config.Labels))
      if (typeof value === 'string') labels[key] = value;
  const metadata: ImageMetadata = {
    origin,
    configDigest: manifest.config.digest,
    user,
    runsAsRoot: userIsRoot(user),
    exposedPorts: isRecord(config.ExposedPorts) ? Object.keys(config.ExposedPorts).sort() : [],
    env,
    labels,
    layers: manifest.layers.length,
    size: manifest.layers.reduce((total, layer) => total + layer.size, manifest.config.size),
  };
  if (typeof document.os === 'string') metadata.os = document.os;
  if (typeof document.architecture === 'string') metadata.architecture = document.architecture;
  if (typeof document.variant === 'string') metadata.variant = document.variant;
  if (typeof document.created === 'string' && !Number.isNaN(Date.parse(document.created)))
    metadata.created = document.created;
  const entrypoint = stringArray(config.Entrypoint);
  if (entrypoint) metadata.entrypoint = entrypoint;
  const cmd = stringArray(config.Cmd);
  if (cmd) metadata.cmd = cmd;
  if (typeof config.WorkingDir === 'string' && config.WorkingDir) metadata.workingDir = config.WorkingDir;
  return metadata;
}
