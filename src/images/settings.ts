import { isAbsolute, resolve } from 'node:path';
import { ParapetError } from '../model/errors.js';

/** The `images:` section of `parapet.yaml` (and `--registry`, `--vulns`), normalised. */
export interface ImageSettings {
  /** Read registry metadata (tags to digests, image configuration, signatures). Off by default: it needs the network. */
  registry: boolean;
  /** Docker config.json with credentials. Default: `$DOCKER_CONFIG/config.json` or `~/.docker/config.json`. */
  dockerConfig?: string;
  /** Milliseconds one registry HTTP request may take. */
  requestTimeoutMs: number;
  /** Milliseconds one image's whole lookup (manifest, config, signature) may take before the run goes on without it. */
  lookupBudgetMs: number;
  /** `os/architecture[/variant]` indexes resolve to. */
  platform: string;
  /** Registries reached over plain HTTP (loopback ones always are). */
  plainHttp: string[];
  /** Cached lookups kept, and for how long (seconds); failures are cached for `errorCacheSeconds`. */
  cacheEntries: number;
  cacheSeconds: number;
  errorCacheSeconds: number;
  /** Lookups run at once. */
  concurrency: number;
  /** Trivy or Grype JSON reports matched to images. */
  vulnerabilityReports: string[];
  /** Known-exploited vulnerability list (CISA KEV JSON, JSON array or text). */
  knownExploited?: string;
  /** PEM public keys cosign signatures are verified with. */
  cosignKeys: string[];
}

export function defaultImageSettings(): ImageSettings {
  return {
    registry: false,
    requestTimeoutMs: 5_000,
    lookupBudgetMs: 15_000,
    platform: 'linux/amd64',
    plainHttp: [],
    cacheEntries: 2_000,
    cacheSeconds: 300,
    errorCacheSeconds: 30,
    concurrency: 8,
    vulnerabilityReports: [],
    cosignKeys: [],
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Normalise `images:` as written (or already normalised). Relative paths resolve against `directory`.
 * A wrong type is a configuration error naming the key.
 */
export function imageSettingsFrom(
  value: unknown,
  directory = process.cwd(),
  file = 'parapet.yaml',
): ImageSettings {
  const settings = defaultImageSettings();
  if (value === undefined || value === null) return settings;
  if (!isRecord(value))
    throw new ParapetError('PARAPET_CONFIG_INVALID', `${file}: images: must be a mapping`, { file });
  const fail = (key: string, expected: string) =>
    new ParapetError('PARAPET_CONFIG_INVALID', `${file}: images.${key}: must be ${expected}`, { file });
  const path = (entry: string) => (isAbsolute(entry) ? entry : resolve(directory, entry));
  const known = new Set(Object.keys(settings).concat(['dockerConfig', 'knownExploited']));
  for (const [key, entry] of Object.entries(value)) {
    if (!known.has(key))
      throw new ParapetError(
        'PARAPET_CONFIG_INVALID',
        `${file}: images.${key}: unknown setting (known: ${[...known].sort().join(', ')})`,
        { file },
      );
    if (entry === undefined) continue;
    switch (key) {
      case 'registry':
        if (typeof entry !== 'boolean') throw fail(key, 'true or false');
        settings.registry = entry;
        break;
      case 'dockerConfig':
      case 'knownExploited':
        if (typeof entry !== 'string' || entry === '') throw fail(key, 'a file path');
        settings[key] = path(entry);
        break;
      case 'platform':
        if (typeof entry !== 'string' || !/^[^/]+\/[^/]+(\/[^/]+)?$/.test(entry))
          throw fail(key, 'os/architecture[/variant]');
        settings.platform = entry;
        break;
      case 'plainHttp':
      case 'vulnerabilityReports':
      case 'cosignKeys':
        if (!Array.isArray(entry) || !entry.every((item) => typeof item === 'string' && item !== ''))
          throw fail(key, 'a list of strings');
        settings[key] = key === 'plainHttp' ? (entry as string[]) : (entry as string[]).map(path);
        break;
      default: {
        if (
          typeof entry !== 'number' ||
          !Number.isInteger(entry) ||
          entry < (key === 'errorCacheSeconds' || key === 'cacheSeconds' ? 0 : 1)
        )
          throw fail(key, 'a positive integer');
        (settings as unknown as Record<string, number>)[key] = entry;
      }
    }
  }
  return settings;
}
