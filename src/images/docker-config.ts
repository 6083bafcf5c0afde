import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ParapetError } from '../model/errors.js';

/** Credentials for one registry. `identityToken` is an OAuth2 refresh token (`docker login` with SSO). */
export interface RegistryCredentials {
  username?: string;
  password?: string;
  identityToken?: string;
  /** A bearer token to send as is (`registrytoken`). */
  registryToken?: string;
}

/** Looks up credentials by registry host (`ghcr.io`, `localhost:5000`, `docker.io`). */
export interface CredentialStore {
  get(registry: string): Promise<RegistryCredentials | undefined>;
}

interface DockerConfigFile {
  auths?: Record<
    string,
    { auth?: string; username?: string; password?: string; identitytoken?: string; registrytoken?: string }
  >;
  credHelpers?: Record<string, string>;
  credsStore?: string;
}

const dockerHubKeys = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io', 'registry-1.docker.io'];
const helperTimeoutMs = 5_000;

/** `https://ghcr.io/v2/` -> `ghcr.io`; the keys of `auths` are written many ways. */
export function registryKey(key: string): string {
  let host = key.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '');
  host = host.split('/')[0] ?? host;
  host = host.toLowerCase();
  return dockerHubKeys.includes(host) || dockerHubKeys.includes(key) ? 'docker.io' : host;
}

/** Where Docker looks: `$DOCKER_CONFIG/config.json`, else `~/.docker/config.json`. */
export function defaultDockerConfigPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json');
}

/**
 * Credentials from a Docker `config.json`: inline `auths`, then per-registry `credHelpers`, then the
 * default `credsStore` (helpers are run as `docker-credential-<name> get`, bounded by a timeout).
 */
export class DockerConfigCredentials implements CredentialStore {
  private readonly auths = new Map<string, RegistryCredentials>();
  private readonly helpers = new Map<string, string>();
  private readonly store?: string;
  private readonly path: string;

  constructor(config: DockerConfigFile, path: string) {
    this.path = path;
    for (const [key, entry] of Object.entries(config.auths ?? {})) {
      const credentials: RegistryCredentials = {};
      if (typeof entry.auth === 'string' && entry.auth) {
        const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
        const colon = decoded.indexOf(':');
        if (colon === -1)
          throw new ParapetError(
            'PARAPET_CONFIG_INVALID',
            `${path}: auths["${key}"].auth is not base64 of user:password`,
            { file: path },
          );
        credentials.username = decoded.slice(0, colon);
        credentials.password = decoded.slice(colon + 1);
      }
      if (typeof entry.username === 'string') credentials.username = entry.username;
      if (typeof entry.password === 'string') credentials.password = entry.password;
      if (typeof entry.identitytoken === 'string' && entry.identitytoken)
        credentials.identityToken = entry.identitytoken;
      if (typeof entry.registrytoken === 'string' && entry.registrytoken)
        credentials.registryToken = entry.registrytoken;
      if (Object.keys(credentials).length > 0) this.auths.set(registryKey(key), credentials);
    }
    for (const [key, helper] of Object.entries(config.credHelpers ?? {}))
      this.helpers.set(registryKey(key), helper);
    if (config.credsStore) this.store = config.credsStore;
  }

  /** Read a config file; a missing file means no credentials, a broken one is an error naming it. */
  static load(path = defaultDockerConfigPath()): DockerConfigCredentials {
    let text: string;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return new DockerConfigCredentials({}, path);
      throw new ParapetError(
        'PARAPET_CONFIG_INVALID',
        `${path}: cannot read docker config (${(error as Error).message})`,
        { file: path, cause: error },
      );
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (error) {
      throw new ParapetError(
        'PARAPET_CONFIG_INVALID',
        `${path}: docker config is not JSON (${(error as Error).message})`,
        { file: path },
      );
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
      throw new ParapetError('PARAPET_CONFIG_INVALID', `${path}: docker config is not a JSON object`, {
        file: path,
      });
    }
    return new DockerConfigCredentials(parsed as DockerConfigFile, path);
  }

  async get(registry: string): Promise<RegistryCredentials | undefined> {
    const key = registryKey(registry);
    const helper = this.helpers.get(key);
    if (helper) return runCredentialHelper(helper, key, this.path);
    const inline = this.auths.get(key);
    if (inline) return inline;
    if (this.store) return runCredentialHelper(this.store, key, this.path);
    return undefined;
  }
}

function runCredentialHelper(
  helper: string,
  registry: string,
  configPath: string,
): Promise<RegistryCredentials | undefined> {
  const serverUrl = registry === 'docker.io' ? 'https://index.docker.io/v1/' : registry;
  return new Promise((resolve, reject) => {
    const child = spawn(`docker-credential-${helper}`, ['get'], {
      stdio: ['pipe', 'pipe', 'pipe'],
      timeout: helperTimeoutMs,
    });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.on('error', (error) =>
      reject(
        new ParapetError(
          'PARAPET_REGISTRY',
          `${configPath}: credential helper docker-credential-${helper} cannot run (${error.message})`,
          { file: configPath },
        ),
      ),
    );
    child.on('close', (code, signal) => {
      if (signal) {
        reject(
          new ParapetError(
            'PARAPET_REGISTRY',
            `${configPath}: credential helper docker-credential-${helper} timed out after ${helperTimeoutMs} ms`,
            { file: configPath },
          ),
        );
        return;
      }
      // Helpers exit non-zero with "credentials not found" when they know nothing about the host.
      if (code !== 0) return resolve(undefined);
      try {
        const answer = JSON.parse(stdout) as { Username?: string; Secret?: string };
        if (!answer.Secret) return resolve(undefined);
        resolve(
          answer.Username === '<token>'
            ? { identityToken: answer.Secret }
            : { username: answer.Username ?? '', password: answer.Secret },
        );
      } catch {
        reject(
          new ParapetError(
            'PARAPET_REGISTRY',
            `${configPath}: credential helper docker-credential-${helper} printed invalid JSON`,
            { file: configPath },
          ),
        );
      }
    });
    child.stdin.on('error', () => undefined);
    child.stdin.end(serverUrl);
  });
}

/** A fixed set of credentials, for the library API and tests. */
export class StaticCredentials implements CredentialStore {
  private readonly byRegistry: Map<string, RegistryCredentials>;

  constructor(byRegistry: Record<string, RegistryCredentials>) {
    this.byRegistry = new Map(Object.entries(byRegistry).map(([key, value]) => [registryKey(key), value]));
  }

  async get(registry: string): Promise<RegistryCredentials | undefined> {
    return this.byRegistry.get(registryKey(registry));
  }
}
