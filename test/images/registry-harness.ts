/**
 * Starts Debian's `docker-registry` (the CNCF distribution registry) on loopback for the image tests:
 * one open registry, and one whose repositories need a bearer token from a token service run here
 * (the registry's `auth.token` mode, tokens signed with an ECDSA key whose certificate the registry
 * trusts), and one behind HTTP basic authentication (the registry's `auth.htpasswd` mode, with a
 * bcrypt password file written here). Images are pushed with plain HTTP calls of the distribution API.
 */
import bcrypt from 'bcryptjs';
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  sign,
  type KeyObject,
} from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Whether the registry binary (and openssl, for the token certificate) are installed. */
export const haveRegistry =
  spawnSync('docker-registry', ['--version'], { stdio: 'ignore' }).status === 0 &&
  spawnSync('openssl', ['version'], { stdio: 'ignore' }).status === 0;

export const tokenUser = { username: 'ci-bot', password: 'correct horse battery staple' };

/** The one account of the basic-auth (htpasswd) registry. */
export const basicUser = { username: 'puller', password: 'tr0ub4dor&3 but longer' };

export interface RunningRegistry {
  /** `127.0.0.1:PORT` */
  host: string;
  url: string;
  /** Authorization header value for pushing to `repository` (undefined for the open registry). */
  pushAuthorization(repository: string): Promise<string | undefined>;
  stop(): Promise<void>;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitForRegistry(url: string, child: ChildProcess, logFile: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null)
      throw new Error(
        `docker-registry exited with ${child.exitCode}: ${readFileSync(logFile, 'utf8').slice(-2000)}`,
      );
    try {
      const response = await fetch(`${url}/v2/`, { signal: AbortSignal.timeout(1_000) });
      await response.body?.cancel();
      if (response.status === 200 || response.status === 401) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`docker-registry did not start within 15 s: ${readFileSync(logFile, 'utf8').slice(-2000)}`);
}

/** libtrust's key id (what the registry matches a JWT `kid` against): base32 of the first 240 bits of SHA-256 over the DER public key. */
export function libtrustKeyId(publicKey: KeyObject): string {
  const der = publicKey.export({ type: 'spki', format: 'der' });
  const digest = createHash('sha256').update(der).digest().subarray(0, 30);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  let bits = 0;
  let value = 0;
  let encoded = '';
  for (const byte of digest) {
    value = (value << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      encoded += alphabet[(value >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  return (encoded.match(/.{1,4}/g) ?? []).join(':');
}

function base64url(data: Buffer | string): string {
  return Buffer.from(data).toString('base64url');
}

interface TokenService {
  realm: string;
  issue(repository: string, actions: string[]): string;
  /** Number of token requests answered. */
  requests: () => number;
  close(): Promise<void>;
}

/**
 * A token service as the distribution spec describes: GET realm?service&scope with optional basic
 * credentials; `private/*` repositories need `tokenUser`, everything else is pullable anonymously.
 */
async function startTokenService(dir: string, service: string): Promise<TokenService & { certFile: string }> {
  const keyFile = join(dir, 'token-key.pem');
  const certFile = join(dir, 'token-cert.pem');
  execFileSync('openssl', ['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', keyFile], {
    stdio: 'ignore',
  });
  execFileSync(
    'openssl',
    [
      'req',
      '-new',
      '-x509',
      '-key',
      keyFile,
      '-out',
      certFile,
      '-days',
      '2',
      '-subj',
      '/CN=parapet-test-token',
    ],
    { stdio: 'ignore' },
  );
  const privateKey = createPrivateKey(readFileSync(keyFile));
  const kid = libtrustKeyId(createPublicKey(privateKey));
  const issuer = 'parapet-test-issuer';
  let count = 0;

  const issue = (repository: string, actions: string[]): string => {
    const now = Math.floor(Date.now() / 1000);
    const header = base64url(JSON.stringify({ alg: 'ES256', typ: 'JWT', kid }));
    const claims = base64url(
      JSON.stringify({
        iss: issuer,
        sub: 'parapet-test',
        aud: service,
        exp: now + 300,
        nbf: now - 10,
        iat: now,
        jti: randomBytes(8).toString('hex'),
        access: actions.length ? [{ type: 'repository', name: repository, actions }] : [],
      }),
    );
    const signature = sign('sha256', Buffer.from(`${header}.${claims}`), {
      key: privateKey,
      dsaEncoding: 'ieee-p1363',
    });
    return `${header}.${claims}.${base64url(signature)}`;
  };

  const server: Server = createServer((request, response) => {
    count += 1;
    const url = new URL(request.url ?? '/', 'http://127.0.0.1');
    const scope = url.searchParams.get('scope') ?? '';
    const [, repository = '', wanted = ''] = /^repository:([^:]+):(.+)$/.exec(scope) ?? [];
    const expected = `Basic ${Buffer.from(`${tokenUser.username}:${tokenUser.password}`).toString('base64')}`;
    const authorization = request.headers.authorization;
    if (authorization && authorization !== expected) {
      response
        .writeHead(401, { 'content-type': 'application/json' })
        .end('{"details":"incorrect username or password"}');
      return;
    }
    const authenticated = authorization === expected;
    const isPrivate = repository.startsWith('private/');
    const granted = wanted
      .split(',')
      .filter((action) => (isPrivate ? authenticated : action === 'pull' || authenticated));
    response
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ token: issue(repository, granted), expires_in: 300 }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    certFile,
    issue,
    requests: () => count,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * Start a registry; `auth: 'token'` puts it behind a token service, `auth: 'htpasswd'` behind basic
 * authentication for `basicUser`.
 */
export async function startRegistry(
  options: { auth?: 'token' | 'htpasswd' } = {},
): Promise<RunningRegistry & { tokenRequests: () => number }> {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-registry-'));
  const port = await freePort();
  const service = 'parapet-test-registry';
  const token = options.auth === 'token' ? await startTokenService(dir, service) : undefined;
  let authSection = '';
  if (token) {
    authSection = `auth:\n  token:\n    realm: ${token.realm}\n    service: ${service}\n    issuer: parapet-test-issuer\n    rootcertbundle: ${token.certFile}\n`;
  } else if (options.auth === 'htpasswd') {
    // The registry accepts bcrypt entries only; cost 4 keeps the tests fast.
    const passwords = join(dir, 'htpasswd');
    writeFileSync(passwords, `${basicUser.username}:${bcrypt.hashSync(basicUser.password, 4)}\n`);
    authSection = `auth:\n  htpasswd:\n    realm: parapet-basic\n    path: ${passwords}\n`;
  }
  const basic = `Basic ${Buffer.from(`${basicUser.username}:${basicUser.password}`).toString('base64')}`;
  const configFile = join(dir, 'config.yml');
  writeFileSync(
    configFile,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\n  delete:\n    enabled: true\nhttp:\n  addr: 127.0.0.1:${port}\n  secret: ${randomBytes(16).toString('hex')}\n${authSection}`,
  );
  const logFile = join(dir, 'registry.log');
  writeFileSync(logFile, '');
  const child = spawn('docker-registry', ['serve', configFile], { stdio: ['ignore', 'ignore', 'pipe'] });
  child.stderr?.on('data', (chunk: Buffer) => writeFileSync(logFile, chunk, { flag: 'a' }));
  const host = `127.0.0.1:${port}`;
  const url = `http://${host}`;
  try {
    await waitForRegistry(url, child, logFile);
  } catch (error) {
    child.kill('SIGKILL');
    await token?.close();
    throw error;
  }
  return {
    host,
    url,
    tokenRequests: () => token?.requests() ?? 0,
    async pushAuthorization(repository: string) {
      if (token) return `Bearer ${token.issue(repository, ['pull', 'push'])}`;
      return options.auth === 'htpasswd' ? basic : undefined;
    },
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 3_000))]);
        if (child.exitCode === null) child.kill('SIGKILL');
      }
      await token?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
