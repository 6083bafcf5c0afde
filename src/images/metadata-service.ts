import { describeError } from '../model/errors.js';
import { BoundedCache } from './cache.js';
import {
  loadCosignPublicKey,
  verifyCosignSignature,
  type CosignPublicKey,
  type SignatureVerification,
} from './cosign.js';
import { DockerConfigCredentials, defaultDockerConfigPath } from './docker-config.js';
import type { ImageMetadata } from './image-config.js';
import { parsePlatform } from './manifest.js';
import { tryParseImageReference, type ImageReference } from './reference.js';
import { RegistryClient } from './registry-client.js';
import type { ImageSettings } from './settings.js';

/** What a registry lookup found: the metadata (and signature verdict), or why there is none. */
export type ImageLookup =
  | { status: 'ok'; metadata: ImageMetadata; signature?: SignatureVerification; cached: boolean }
  | { status: 'unavailable'; reason: string; cached: boolean };

type Settled =
  | { status: 'ok'; metadata: ImageMetadata; signature?: SignatureVerification }
  | { status: 'unavailable'; reason: string };

/**
 * Registry lookups with a bounded cache, one request in flight per image, and a time budget per
 * call: when the budget runs out the caller gets `unavailable` at once while the lookup finishes in
 * the background (each request has its own timeout) and fills the cache for the next call. Digest
 * references are immutable, so they are cached for ten times longer than tags.
 */
export class ImageMetadataService {
  readonly client: RegistryClient;
  private readonly settings: ImageSettings;
  private readonly cache: BoundedCache<string, Settled>;
  private readonly inFlight = new Map<string, Promise<Settled>>();
  private readonly keys: CosignPublicKey[];
  private running = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(settings: ImageSettings, client?: RegistryClient) {
    this.settings = settings;
    this.client =
      client ??
      new RegistryClient({
        credentials: DockerConfigCredentials.load(settings.dockerConfig ?? defaultDockerConfigPath()),
        timeoutMs: settings.requestTimeoutMs,
        platform: parsePlatform(settings.platform),
        plainHttp: settings.plainHttp,
      });
    this.cache = new BoundedCache({ maxEntries: settings.cacheEntries, ttlMs: settings.cacheSeconds * 1000 });
    this.keys = settings.cosignKeys.map((file) => loadCosignPublicKey(file));
  }

  /** Whether signatures are verified (cosign keys are configured). */
  get verifiesSignatures(): boolean {
    return this.keys.length > 0;
  }

  /** Metadata for `reference` within `budgetMs` (default: the configured lookup budget). Never throws. */
  async lookup(reference: ImageReference, budgetMs = this.settings.lookupBudgetMs): Promise<ImageLookup> {
    const key = reference.normalized;
    const cached = this.cache.get(key);
    if (cached) return { ...cached, cached: true };
    let pending = this.inFlight.get(key);
    if (!pending) {
      pending = this.fetch(reference).then((settled) => {
        this.inFlight.delete(key);
        const ttl =
          settled.status === 'ok'
            ? this.settings.cacheSeconds * 1000 * (reference.digest ? 10 : 1)
            : this.settings.errorCacheSeconds * 1000;
        if (ttl > 0) this.cache.set(key, settled, ttl);
        return settled;
      });
      this.inFlight.set(key, pending);
    }
    let timer: NodeJS.Timeout | undefined;
    const budget = new Promise<Settled>((resolve) => {
      timer = setTimeout(
        () =>
          resolve({
            status: 'unavailable',
            reason: `registry lookup of ${key} exceeded the ${budgetMs} ms budget`,
          }),
        budgetMs,
      );
      timer.unref();
    });
    try {
      return { ...(await Promise.race([pending, budget])), cached: false };
    } finally {
      clearTimeout(timer);
    }
  }

  private async fetch(reference: ImageReference): Promise<Settled> {
    await this.slot();
    try {
      const metadata = await this.client.inspect(reference);
      if (!this.verifiesSignatures) return { status: 'ok', metadata };
      const target = {
        registry: reference.registry,
        repository: reference.repository,
        digest: metadata.digest ?? metadata.manifestDigest ?? '',
      };
      let signature = await verifyCosignSignature(this.client, target, this.keys);
      // `cosign sign` on a multi-architecture tag signs the index; a per-platform signature counts too.
      if (
        signature.status === 'unsigned' &&
        metadata.manifestDigest &&
        metadata.manifestDigest !== target.digest
      ) {
        const platformSignature = await verifyCosignSignature(
          this.client,
          { ...target, digest: metadata.manifestDigest },
          this.keys,
        );
        if (platformSignature.status !== 'unsigned') signature = platformSignature;
      }
      return { status: 'ok', metadata, signature };
    } catch (error) {
      return { status: 'unavailable', reason: describeError(error) };
    } finally {
      this.release();
    }
  }

  private async slot(): Promise<void> {
    if (this.running < this.settings.concurrency) {
      this.running += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.running += 1;
  }

  private release(): void {
    this.running -= 1;
    this.waiting.shift()?.();
  }
}

const services = new Map<string, ImageMetadataService>();

/** One service (and cache) per distinct image settings, shared by every evaluation in the process. */
export function sharedImageMetadataService(settings: ImageSettings): ImageMetadataService {
  const key = JSON.stringify(settings);
  let service = services.get(key);
  if (!service) {
    service = new ImageMetadataService(settings);
    if (services.size >= 16) services.clear();
    services.set(key, service);
  }
  return service;
}

/**
 * For the admission webhook: metadata of an image reference within `budgetMs`, from the shared
 * cache when possible. Never throws and never waits longer than the budget; an invalid reference or
 * an unreachable, slow or refusing registry is `unavailable` with the reason.
 */
export async function lookupImageForAdmission(
  reference: string,
  settings: ImageSettings,
  budgetMs: number,
): Promise<ImageLookup> {
  const parsed = tryParseImageReference(reference);
  if (!parsed.ok)
    return {
      status: 'unavailable',
      reason: `invalid image reference "${reference}": ${parsed.reason}`,
      cached: false,
    };
  return sharedImageMetadataService(settings).lookup(parsed.reference, budgetMs);
}
