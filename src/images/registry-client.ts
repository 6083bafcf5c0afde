import { ParapetError } from '../model/errors.js';
import { BoundedCache } from './cache.js';
import type { CredentialStore, RegistryCredentials } from './docker-config.js';
import { imageMetadataFromConfig, type ImageMetadata } from './image-config.js';
import {
  defaultPlatform,
  manifestAccept,
  mediaTypes,
  parseManifest,
  selectPlatformManifest,
  sha256Digest,
  verifyDigest,
  type ImageIndex,
  type ImageManifest,
  type Platform,
} from './manifest.js';
import { registryApiHost, type ImageReference } from './reference.js';

export interface RegistryClientOptions {
  credentials?: CredentialStore;
  /** Milliseconds one HTTP request (headers and body) may take. Default 10 s. */
  timeoutMs?: number;
  /**
   * Registries reached over plain HTTP. Loopback registries (`localhost`, `127.*`, `[::1]`) always
   * are, as Docker treats them as insecure registries by default.
   */
  plainHttp?: string[];
  /** Platform indexes are resolved to. Default linux/amd64. */
  platform?: Platform;
  /** Largest manifest accepted, bytes. Default 4 MiB (containerd's limit). */
  maxManifestBytes?: number;
  /** Largest configuration (or signature payload) blob accepted, bytes. Default 8 MiB. */
  maxBlobBytes?: number;
  userAgent?: string;
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
}

/** A registry answered with an error status, or could not be reached; `status` is the HTTP status when there was one. */
export class RegistryRequestError extends ParapetError {
  readonly status?: number;

  constructor(message: string, url: string, status?: number, cause?: unknown) {
    super('PARAPET_REGISTRY', message, { file: url, cause });
    this.name = 'RegistryRequestError';
    this.status = status;
  }
}

export interface FetchedManifest {
  digest: string;
  mediaType: string;
  bytes: Buffer;
  manifest: ImageIndex | ImageManifest;
}

interface Challenge {
  scheme: string;
  params: Record<string, string>;
}

/** Parse a `WWW-Authenticate` header: `Bearer realm="...",service="...",scope="..."`. */
export function parseAuthenticateHeader(header: string): Challenge | undefined {
  const match = /^\s*([A-Za-z][A-Za-z0-9_-]*)\s*(.*)$/s.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const paramPattern = /([A-Za-z0-9_-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const param of (match[2] ?? '').matchAll(paramPattern)) {
    const key = (param[1] ?? '').toLowerCase();
    params[key] = param[2] !== undefined ? param[2].replace(/\\(.)/g, '$1') : (param[3] ?? '');
  }
  return { scheme: (match[1] ?? '').toLowerCase(), params };
}

function isLoopback(registry: string): boolean {
  const host = registry.startsWith('[')
    ? registry.slice(0, registry.indexOf(']') + 1)
    : (registry.split(':')[0] ?? registry);
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

/**
 * A client for the OCI Distribution API (the Docker Registry HTTP API v2): anonymous, basic and
 * bearer-token authentication (the `WWW-Authenticate` challenge), manifest lists and OCI indexes
 * resolved to one platform, content digests verified, every request bounded by a timeout and a size.
 */
export class RegistryClient {
  private readonly options: Required<Omit<RegistryClientOptions, 'credentials' | 'plainHttp'>> &
    Pick<RegistryClientOptions, 'credentials'>;
  private readonly plainHttp: Set<string>;
  /** Authorization header per registry and repository scope. */
  private readonly authorizations = new BoundedCache<string, string>({
    maxEntries: 1_000,
    ttlMs: 5 * 60_000,
  });
  /** Count of HTTP requests sent, for tests and benchmarks (cache effectiveness). */
  requests = 0;

  constructor(options: RegistryClientOptions = {}) {
    this.options = {
      credentials: options.credentials,
      timeoutMs: options.timeoutMs ?? 10_000,
      platform: options.platform ?? defaultPlatform,
      maxManifestBytes: options.maxManifestBytes ?? 4 * 1024 * 1024,
      maxBlobBytes: options.maxBlobBytes ?? 8 * 1024 * 1024,
      userAgent: options.userAgent ?? 'parapet',
      fetch: options.fetch ?? globalThis.fetch.bind(globalThis),
    };
    this.plainHttp = new Set(options.plainHttp ?? []);
  }

  /** The base URL of a registry's API. */
  baseUrl(registry: string): string {
    const scheme = this.plainHttp.has(registry) || isLoopback(registry) ? 'http' : 'https';
    return `${scheme}://${registryApiHost(registry)}`;
  }

  /** Fetch a manifest or index by tag or digest; the digest is verified against the bytes. */
  async getManifest(
    registry: string,
    repository: string,
    reference: string,
    signal?: AbortSignal,
  ): Promise<FetchedManifest> {
    const url = `${this.baseUrl(registry)}/v2/${repository}/manifests/${reference}`;
    const response = await this.request(registry, repository, url, { accept: manifestAccept }, signal);
    const bytes = await this.readBody(response, url, this.options.maxManifestBytes);
    const where = `${registry}/${repository}:${reference}`;
    let digest: string;
    if (reference.includes(':')) {
      verifyDigest(bytes, reference, where);
      digest = reference;
    } else {
      digest = sha256Digest(bytes);
      const header = response.headers.get('docker-content-digest');
      if (header && header.startsWith('sha256:') && header !== digest) {
        throw new ParapetError(
          'PARAPET_IMAGE_INVALID',
          `${where}: registry reported digest ${header} but the manifest hashes to ${digest}`,
          { file: url },
        );
      }
    }
    const manifest = parseManifest(bytes, response.headers.get('content-type') ?? undefined, where);
    return { digest, mediaType: manifest.mediaType, bytes, manifest };
  }

  /** Fetch a blob (configuration, signature payload), verified against its digest. */
  async getBlob(
    registry: string,
    repository: string,
    digest: string,
    signal?: AbortSignal,
    maxBytes = this.options.maxBlobBytes,
  ): Promise<Buffer> {
    const url = `${this.baseUrl(registry)}/v2/${repository}/blobs/${digest}`;
    const response = await this.request(registry, repository, url, {}, signal);
    const bytes = await this.readBody(response, url, maxBytes);
    verifyDigest(bytes, digest, `${registry}/${repository}@${digest}`);
    return bytes;
  }

  /** Resolve a reference to its digest and read the platform manifest and image configuration. */
  async inspect(reference: ImageReference, signal?: AbortSignal): Promise<ImageMetadata> {
    const { registry, repository } = reference;
    const top = await this.getManifest(
      registry,
      repository,
      reference.digest ?? reference.tag ?? 'latest',
      signal,
    );
    let manifest: ImageManifest;
    let manifestDigest = top.digest;
    if (top.manifest.kind === 'index') {
      const chosen = selectPlatformManifest(top.manifest, this.options.platform, `${reference.normalized}`);
      const platformManifest = await this.getManifest(registry, repository, chosen.digest, signal);
      if (platformManifest.manifest.kind !== 'manifest') {
        throw new ParapetError(
          'PARAPET_IMAGE_INVALID',
          `${reference.normalized}: index entry ${chosen.digest} is itself an index`,
          { file: reference.normalized },
        );
      }
      manifest = platformManifest.manifest;
      manifestDigest = platformManifest.digest;
    } else {
      manifest = top.manifest;
    }
    if (
      manifest.config.mediaType !== mediaTypes.ociConfig &&
      manifest.config.mediaType !== mediaTypes.dockerConfig
    ) {
      throw new ParapetError(
        'PARAPET_IMAGE_INVALID',
        `${reference.normalized}: unsupported media type "${manifest.config.mediaType}": the artifact is not a container image`,
        { file: reference.normalized },
      );
    }
    const configBytes = await this.getBlob(registry, repository, manifest.config.digest, signal);
    const metadata = imageMetadataFromConfig(configBytes, manifest, reference.normalized, 'registry');
    metadata.digest = top.digest;
    metadata.manifestDigest = manifestDigest;
    return metadata;
  }

  /** Send a GET, answering an authentication challenge once; maps every failure to a RegistryRequestError. */
  private async request(
    registry: string,
    repository: string,
    url: string,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<Response> {
    const scopeKey = `${registry}|${repository}`;
    let authorization = this.authorizations.get(scopeKey);
    let response = await this.send(url, headers, authorization, signal);
    if (response.status === 401) {
      const challenge = parseAuthenticateHeader(response.headers.get('www-authenticate') ?? '');
      await response.body?.cancel();
      if (!challenge)
        throw new RegistryRequestError(
          `${registry}: 401 Unauthorized without an authentication challenge (${url})`,
          url,
          401,
        );
      authorization = await this.authorize(registry, repository, challenge, url, signal);
      this.authorizations.set(scopeKey, authorization);
      response = await this.send(url, headers, authorization, signal);
    }
    if (response.ok) return response;
    const detail = await this.errorDetail(response);
    await response.body?.cancel().catch(() => undefined);
    if (response.status === 401 || response.status === 403) {
      this.authorizations.delete(scopeKey);
      throw new RegistryRequestError(
        `${registry}: access to ${repository} denied (${response.status}${detail}); check the credentials for ${registry} in the docker config`,
        url,
        response.status,
      );
    }
    if (response.status === 404)
      throw new RegistryRequestError(
        `${registry}: ${repository}: not found (404${detail}): ${url}`,
        url,
        404,
      );
    throw new RegistryRequestError(
      `${registry}: ${url} answered ${response.status}${detail}`,
      url,
      response.status,
    );
  }

  private async send(
    url: string,
    headers: Record<string, string>,
    authorization: string | undefined,
    signal?: AbortSignal,
  ): Promise<Response> {
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    this.requests += 1;
    try {
      return await this.options.fetch(url, {
        headers: {
          'user-agent': this.options.userAgent,
          ...headers,
          ...(authorization ? { authorization } : {}),
        },
        signal: combined,
        redirect: 'follow',
      });
    } catch (error) {
      throw this.networkError(url, error, timeout, signal);
    }
  }

  private networkError(
    url: string,
    error: unknown,
    timeout: AbortSignal,
    signal?: AbortSignal,
  ): RegistryRequestError {
    if (signal?.aborted)
      return new RegistryRequestError(
        `request to ${url} was cancelled (${describeReason(signal.reason)})`,
        url,
        undefined,
        error,
      );
    if (timeout.aborted)
      return new RegistryRequestError(
        `registry did not answer ${url} within ${this.options.timeoutMs} ms`,
        url,
        undefined,
        error,
      );
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const reason = cause?.code ?? cause?.message ?? (error as Error).message;
    return new RegistryRequestError(`registry unreachable: ${url} (${reason})`, url, undefined, error);
  }

  private async authorize(
    registry: string,
    repository: string,
    challenge: Challenge,
    url: string,
    signal?: AbortSignal,
  ): Promise<string> {
    const credentials = await this.options.credentials?.get(registry);
    if (challenge.scheme === 'basic') {
      if (!credentials?.username || credentials.password === undefined) {
        throw new RegistryRequestError(
          `${registry}: authentication required (basic realm) and no credentials for ${registry} in the docker config`,
          url,
          401,
        );
      }
      return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
    }
    if (challenge.scheme !== 'bearer')
      throw new RegistryRequestError(
        `${registry}: unsupported authentication scheme "${challenge.scheme}"`,
        url,
        401,
      );
    if (credentials?.registryToken) return `Bearer ${credentials.registryToken}`;
    const realm = challenge.params.realm;
    if (!realm) throw new RegistryRequestError(`${registry}: bearer challenge without a realm`, url, 401);
    const token = await this.fetchToken(
      realm,
      challenge.params.service,
      challenge.params.scope ?? `repository:${repository}:pull`,
      credentials,
      url,
      signal,
    );
    return `Bearer ${token}`;
  }

  private async fetchToken(
    realm: string,
    service: string | undefined,
    scope: string,
    credentials: RegistryCredentials | undefined,
    registryUrl: string,
    signal?: AbortSignal,
  ): Promise<string> {
    let realmUrl: URL;
    try {
      realmUrl = new URL(realm);
    } catch {
      throw new RegistryRequestError(`token realm "${realm}" is not a URL`, registryUrl, 401);
    }
    const timeout = AbortSignal.timeout(this.options.timeoutMs);
    const combined = signal ? AbortSignal.any([signal, timeout]) : timeout;
    const init: RequestInit = { signal: combined, headers: { 'user-agent': this.options.userAgent } };
    if (credentials?.identityToken) {
      // An identity token is an OAuth2 refresh token: exchange it with a POST, as docker does.
      const form = new URLSearchParams({
        grant_type: 'refresh_token',
        client_id: 'parapet',
        refresh_token: credentials.identityToken,
        scope,
      });
      if (service) form.set('service', service);
      init.method = 'POST';
      init.body = form;
      (init.headers as Record<string, string>)['content-type'] = 'application/x-www-form-urlencoded';
    } else {
      if (service) realmUrl.searchParams.set('service', service);
      realmUrl.searchParams.set('scope', scope);
      if (credentials?.username && credentials.password !== undefined) {
        (init.headers as Record<string, string>).authorization =
          `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
      }
    }
    const url = realmUrl.toString();
    let response: Response;
    this.requests += 1;
    try {
      response = await this.options.fetch(url, init);
    } catch (error) {
      throw this.networkError(realm, error, timeout, signal);
    }
    if (!response.ok) {
      await response.body?.cancel().catch(() => undefined);
      throw new RegistryRequestError(
        `token service ${realmUrl.origin} refused ${credentials ? 'the credentials' : 'anonymous access'} for ${scope} (${response.status})`,
        registryUrl,
        response.status === 401 || response.status === 403 ? 401 : response.status,
      );
    }
    const body = await this.readBody(response, realm, 1024 * 1024);
    let answer: { token?: unknown; access_token?: unknown };
    try {
      answer = JSON.parse(body.toString('utf8')) as typeof answer;
    } catch {
      throw new RegistryRequestError(
        `token service ${realmUrl.origin} answered with invalid JSON`,
        registryUrl,
      );
    }
    const token =
      typeof answer.token === 'string'
        ? answer.token
        : typeof answer.access_token === 'string'
          ? answer.access_token
          : undefined;
    if (!token)
      throw new RegistryRequestError(
        `token service ${realmUrl.origin} answered without a token`,
        registryUrl,
      );
    return token;
  }

  private async readBody(response: Response, url: string, limit: number): Promise<Buffer> {
    const declared = Number(response.headers.get('content-length') ?? NaN);
    if (declared > limit) {
      await response.body?.cancel().catch(() => undefined);
      throw new ParapetError(
        'PARAPET_IMAGE_INVALID',
        `${url}: ${declared} bytes exceeds the ${limit}-byte limit`,
        { file: url },
      );
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      if (response.body) {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          total += chunk.length;
          if (total > limit)
            throw new ParapetError('PARAPET_IMAGE_INVALID', `${url}: body exceeds the ${limit}-byte limit`, {
              file: url,
            });
          chunks.push(Buffer.from(chunk));
        }
      }
    } catch (error) {
      if (error instanceof ParapetError) throw error;
      const name = (error as Error).name;
      if (name === 'TimeoutError' || name === 'AbortError') {
        throw new RegistryRequestError(
          `registry did not finish sending ${url} within ${this.options.timeoutMs} ms`,
          url,
          undefined,
          error,
        );
      }
      throw new RegistryRequestError(
        `reading ${url} failed (${(error as Error).message})`,
        url,
        undefined,
        error,
      );
    }
    return Buffer.concat(chunks);
  }

  private async errorDetail(response: Response): Promise<string> {
    try {
      const text = (await this.readBody(response, response.url, 64 * 1024)).toString('utf8');
      const parsed = JSON.parse(text) as { errors?: Array<{ code?: string; message?: string }> };
      const first = parsed.errors?.[0];
      return first ? `: ${[first.code, first.message].filter(Boolean).join(' ')}` : '';
    } catch {
      return '';
    }
  }
}

function describeReason(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason ?? 'aborted');
}
