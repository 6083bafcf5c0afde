import { generateKeyPairSync } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cosignPublicKeyFromPem, verifyCosignSignature } from '../../src/images/cosign.js';
import { ImageMetadataService } from '../../src/images/metadata-service.js';
import { defaultImageSettings } from '../../src/images/settings.js';
import { DockerConfigCredentials, StaticCredentials } from '../../src/images/docker-config.js';
import { parseImageReference } from '../../src/images/reference.js';
import {
  RegistryClient,
  RegistryRequestError,
  parseAuthenticateHeader,
} from '../../src/images/registry-client.js';
import {
  buildImage,
  buildIndex,
  pushImage,
  pushManifest,
  pushSignature,
  simpleSigningPayload,
} from './image-push.js';
import { haveRegistry, startRegistry, tokenUser, type RunningRegistry } from './registry-harness.js';

if (!haveRegistry)
  console.warn(
    'skipping registry tests: docker-registry or openssl is not installed (run .ci/setup-registry.sh)',
  );

function keyPair() {
  return generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
}

describe.skipIf(!haveRegistry)('registry client against a local docker-registry', () => {
  let open: RunningRegistry;
  let guarded: RunningRegistry & { tokenRequests: () => number };
  let amd64Digest: string;
  let indexDigest: string;
  let signedDigest: string;
  const signer = keyPair();
  const stranger = keyPair();

  beforeAll(async () => {
    [open, guarded] = await Promise.all([startRegistry(), startRegistry({ auth: 'token' })]);
    const amd64 = buildImage({
      user: '',
      env: ['PATH=/usr/bin', 'DATABASE_PASSWORD=hunter2'],
      labels: { 'org.opencontainers.image.source': 'https://git.example.com/shop/api' },
      exposedPorts: ['8080/tcp'],
      layerSizes: [4096, 1024],
      created: '2024-03-01T12:00:00Z',
    });
    const arm64 = buildImage({
      architecture: 'arm64',
      variant: 'v8',
      user: '65532:65532',
      layerSizes: [3000],
    });
    const attestation = buildImage({ architecture: 'unknown', layerSizes: [10] });
    amd64Digest = await pushImage(open, 'shop/api', amd64);
    await pushImage(open, 'shop/api', arm64);
    await pushImage(open, 'shop/api', attestation);
    const index = buildIndex(
      [
        { image: amd64, os: 'linux', architecture: 'amd64' },
        { image: arm64, os: 'linux', architecture: 'arm64', variant: 'v8' },
      ],
      attestation,
    );
    await pushManifest(open, 'shop/api', '1.4.2', index);
    indexDigest = index.digest;

    const signed = buildImage({ user: '1000', layerSizes: [512] });
    signedDigest = await pushImage(guarded, 'private/signed', signed, 'v1');
    await pushSignature(guarded, 'private/signed', signedDigest, signer.privateKey);
    const tampered = buildImage({ user: '1000', layerSizes: [600] });
    const tamperedDigest = await pushImage(guarded, 'private/tampered', tampered, 'v1');
    const forged = simpleSigningPayload(`${guarded.host}/private/tampered`, tamperedDigest);
    forged[forged.length - 2] = 0x20; // same length, one byte changed after signing
    await pushSignature(guarded, 'private/tampered', tamperedDigest, signer.privateKey, {
      storedPayload: forged,
    });
    const wrongKey = buildImage({ user: '1000', layerSizes: [700] });
    const wrongKeyDigest = await pushImage(guarded, 'private/wrong-key', wrongKey, 'v1');
    await pushSignature(guarded, 'private/wrong-key', wrongKeyDigest, stranger.privateKey);
    const otherDigest = buildImage({ layerSizes: [800] });
    const replayedDigest = await pushImage(guarded, 'private/replayed', otherDigest, 'v1');
    // A valid signature for another image, copied under this image's signature tag.
    await pushSignature(guarded, 'private/replayed', replayedDigest, signer.privateKey, {
      signedDigest: signedDigest,
    });
    await pushImage(guarded, 'public/tool', buildImage({ user: 'nobody', layerSizes: [256] }), 'latest');
  });

  afterAll(async () => {
    await Promise.all([open?.stop(), guarded?.stop()]);
  });

  it('resolves a multi-architecture index to the linux/amd64 manifest and reads its configuration', async () => {
    const client = new RegistryClient();
    const metadata = await client.inspect(parseImageReference(`${open.host}/shop/api:1.4.2`));
    expect(metadata.digest).toBe(indexDigest);
    expect(metadata.manifestDigest).toBe(amd64Digest);
    expect(metadata.architecture).toBe('amd64');
    expect(metadata.runsAsRoot).toBe(true);
    expect(metadata.env).toContainEqual({ name: 'DATABASE_PASSWORD', value: 'hunter2' });
    expect(metadata.exposedPorts).toEqual(['8080/tcp']);
    expect(metadata.labels['org.opencontainers.image.source']).toBe('https://git.example.com/shop/api');
    expect(metadata.layers).toBe(2);
    expect(metadata.size).toBeGreaterThan(4096 + 1024);
    expect(metadata.created).toBe('2024-03-01T12:00:00Z');
  });

  it('answers a repeated lookup from the cache without a network call', async () => {
    const client = new RegistryClient();
    const service = new ImageMetadataService({ ...defaultImageSettings(), registry: true }, client);
    const reference = parseImageReference(`${open.host}/shop/api:1.4.2`);
    const first = await service.lookup(reference, 5_000);
    expect(first).toMatchObject({ status: 'ok', cached: false });
    const requests = client.requests;
    const second = await service.lookup(reference, 5_000);
    expect(second).toMatchObject({ status: 'ok', cached: true });
    expect(client.requests).toBe(requests);
  });

  it('resolves the arm64/v8 variant when asked for that platform', async () => {
    const client = new RegistryClient({ platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } });
    const metadata = await client.inspect(parseImageReference(`${open.host}/shop/api:1.4.2`));
    expect(metadata.architecture).toBe('arm64');
    expect(metadata.user).toBe('65532:65532');
    expect(metadata.runsAsRoot).toBe(false);
  });

  it('names the available platforms when the index has none for the requested one', async () => {
    const client = new RegistryClient({ platform: { os: 'windows', architecture: 'amd64' } });
    await expect(client.inspect(parseImageReference(`${open.host}/shop/api:1.4.2`))).rejects.toThrow(
      /no manifest for platform windows\/amd64 \(available: linux\/amd64, linux\/arm64\/v8\)/,
    );
  });

  it('reports a missing tag as a 404 naming the repository', async () => {
    const client = new RegistryClient();
    const failure = client.inspect(parseImageReference(`${open.host}/shop/api:9.9.9`));
    await expect(failure).rejects.toBeInstanceOf(RegistryRequestError);
    await expect(failure).rejects.toThrow(/shop\/api: not found \(404: MANIFEST_UNKNOWN/);
  });

  it('answers the bearer challenge anonymously for a public repository', async () => {
    const client = new RegistryClient();
    const metadata = await client.inspect(parseImageReference(`${guarded.host}/public/tool:latest`));
    expect(metadata.user).toBe('nobody');
    expect(metadata.runsAsRoot).toBe(false);
  });

  it('is denied a private repository without credentials, with a message saying so', async () => {
    const client = new RegistryClient();
    await expect(client.inspect(parseImageReference(`${guarded.host}/private/signed:v1`))).rejects.toThrow(
      /access to private\/signed denied \(401.*check the credentials for 127\.0\.0\.1:\d+/,
    );
  });

  it('uses credentials from a docker config.json for the token service', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parapet-docker-config-'));
    const configPath = join(dir, 'config.json');
    const auth = Buffer.from(`${tokenUser.username}:${tokenUser.password}`).toString('base64');
    writeFileSync(configPath, JSON.stringify({ auths: { [`http://${guarded.host}/v2/`]: { auth } } }));
    const client = new RegistryClient({ credentials: DockerConfigCredentials.load(configPath) });
    const metadata = await client.inspect(parseImageReference(`${guarded.host}/private/signed:v1`));
    expect(metadata.manifestDigest).toBe(signedDigest);
    const before = guarded.tokenRequests();
    await client.inspect(parseImageReference(`${guarded.host}/private/signed@${signedDigest}`));
    expect(guarded.tokenRequests()).toBe(before); // the token is reused for the same repository
  });

  it('reports wrong credentials as refused by the token service', async () => {
    const client = new RegistryClient({
      credentials: new StaticCredentials({
        [guarded.host]: { username: tokenUser.username, password: 'wrong' },
      }),
    });
    await expect(client.inspect(parseImageReference(`${guarded.host}/private/signed:v1`))).rejects.toThrow(
      /token service .* refused the credentials/,
    );
  });

  describe('cosign signatures', () => {
    let client: RegistryClient;
    const publicKey = () => [
      cosignPublicKeyFromPem(
        signer.publicKey.export({ type: 'spki', format: 'pem' }).toString(),
        'cosign.pub',
      ),
    ];

    beforeAll(() => {
      client = new RegistryClient({ credentials: new StaticCredentials({ [guarded.host]: tokenUser }) });
    });

    it('verifies a signature made with the configured key', async () => {
      const outcome = await verifyCosignSignature(
        client,
        { registry: guarded.host, repository: 'private/signed', digest: signedDigest },
        publicKey(),
      );
      expect(outcome.status).toBe('verified');
      expect(outcome.key).toBe('cosign.pub');
      expect(outcome.identity).toBe(`${guarded.host}/private/signed`);
      expect(outcome.tag).toBe(`${signedDigest.replace(':', '-')}.sig`);
    });

    it('rejects a payload changed after signing', async () => {
      const metadata = await client.inspect(parseImageReference(`${guarded.host}/private/tampered:v1`));
      const outcome = await verifyCosignSignature(
        client,
        { registry: guarded.host, repository: 'private/tampered', digest: metadata.manifestDigest as string },
        publicKey(),
      );
      expect(outcome.status).toBe('invalid');
      expect(outcome.reasons.join('\n')).toMatch(/signature does not verify with cosign\.pub/);
    });

    it('rejects a signature made with another key', async () => {
      const metadata = await client.inspect(parseImageReference(`${guarded.host}/private/wrong-key:v1`));
      const outcome = await verifyCosignSignature(
        client,
        {
          registry: guarded.host,
          repository: 'private/wrong-key',
          digest: metadata.manifestDigest as string,
        },
        publicKey(),
      );
      expect(outcome.status).toBe('invalid');
      expect(outcome.reasons.join('\n')).toMatch(/does not verify/);
    });

    it('rejects a valid signature of another digest replayed under this tag', async () => {
      const metadata = await client.inspect(parseImageReference(`${guarded.host}/private/replayed:v1`));
      const outcome = await verifyCosignSignature(
        client,
        { registry: guarded.host, repository: 'private/replayed', digest: metadata.manifestDigest as string },
        publicKey(),
      );
      expect(outcome.status).toBe('invalid');
      expect(outcome.reasons.join('\n')).toContain(`signed payload names ${signedDigest}`);
    });

    it('reports an image without a signature tag as unsigned', async () => {
      const outcome = await verifyCosignSignature(
        new RegistryClient(),
        { registry: open.host, repository: 'shop/api', digest: amd64Digest },
        publicKey(),
      );
      expect(outcome.status).toBe('unsigned');
    });
  });
});

describe('registry failures are bounded and clear', () => {
  let server: Server;
  let base: string;
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
  });

  beforeAll(async () => {
    // A misbehaving registry: each repository shows one failure mode.
    server = createServer((request, response) => {
      const url = request.url ?? '';
      if (url.startsWith('/v2/slow/')) return; // never answers
      if (url.startsWith('/v2/malformed/')) {
        response
          .writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
          .end('{"schemaVersion": 2, "config": ');
        return;
      }
      if (url.startsWith('/v2/no-config/')) {
        response
          .writeHead(200, { 'content-type': 'application/vnd.oci.image.manifest.v1+json' })
          .end(manifest);
        return;
      }
      if (url.startsWith('/v2/unknown-type/')) {
        response
          .writeHead(200, { 'content-type': 'application/vnd.example.thing+json' })
          .end('{"schemaVersion": 2, "mediaType": "application/vnd.example.thing+json"}');
        return;
      }
      if (url.startsWith('/v2/schema1/')) {
        response
          .writeHead(200, { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' })
          .end('{"schemaVersion": 1, "name": "schema1"}');
        return;
      }
      if (url.startsWith('/v2/huge/')) {
        response.writeHead(200, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'content-length': String(64 * 1024 * 1024),
        });
        response.write(' ');
        return;
      }
      if (url.startsWith('/v2/basic/')) {
        response.writeHead(401, { 'www-authenticate': 'Basic realm="registry"' }).end();
        return;
      }
      response
        .writeHead(404, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"NAME_UNKNOWN","message":"repository name not known to registry"}]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('times out on a registry that never answers', async () => {
    const client = new RegistryClient({ timeoutMs: 300 });
    const started = Date.now();
    await expect(client.inspect(parseImageReference(`${base}/slow/app:1`))).rejects.toThrow(
      /did not answer .* within 300 ms/,
    );
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('gives up on a slow registry within the lookup budget and caches the failure briefly', async () => {
    const client = new RegistryClient({ timeoutMs: 2_000 });
    const service = new ImageMetadataService({ ...defaultImageSettings(), registry: true }, client);
    const started = Date.now();
    const lookup = await service.lookup(parseImageReference(`${base}/slow/app:1`), 200);
    expect(lookup).toMatchObject({ status: 'unavailable', cached: false });
    if (lookup.status === 'unavailable') expect(lookup.reason).toMatch(/exceeded the 200 ms budget/);
    expect(Date.now() - started).toBeLessThan(1_500);
  });

  it('reports an unreachable registry', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const client = new RegistryClient({ timeoutMs: 2_000 });
    await expect(client.inspect(parseImageReference(`127.0.0.1:${port}/app:1`))).rejects.toThrow(
      /registry unreachable: .*ECONNREFUSED/,
    );
  });

  it('reports a malformed manifest', async () => {
    await expect(
      new RegistryClient().inspect(parseImageReference(`${base}/malformed/app:1`)),
    ).rejects.toThrow(/malformed manifest: not JSON/);
    await expect(
      new RegistryClient().inspect(parseImageReference(`${base}/no-config/app:1`)),
    ).rejects.toThrow(/malformed manifest: config is not an object/);
  });

  it('reports an unknown media type and refuses schema 1', async () => {
    await expect(
      new RegistryClient().inspect(parseImageReference(`${base}/unknown-type/app:1`)),
    ).rejects.toThrow(/unsupported media type "application\/vnd.example.thing\+json"/);
    await expect(new RegistryClient().inspect(parseImageReference(`${base}/schema1/app:1`))).rejects.toThrow(
      /schema 1 manifests are deprecated/,
    );
  });

  it('refuses a manifest larger than the limit without reading it', async () => {
    await expect(new RegistryClient().inspect(parseImageReference(`${base}/huge/app:1`))).rejects.toThrow(
      /exceeds the 4194304-byte limit/,
    );
  });

  it('asks for credentials on a basic realm', async () => {
    await expect(new RegistryClient().inspect(parseImageReference(`${base}/basic/app:1`))).rejects.toThrow(
      /authentication required \(basic realm\) and no credentials/,
    );
  });

  it('parses authentication challenges', () => {
    expect(
      parseAuthenticateHeader(
        'Bearer realm="https://auth.example.com/token",service="registry.example.com",scope="repository:a/b:pull"',
      ),
    ).toEqual({
      scheme: 'bearer',
      params: {
        realm: 'https://auth.example.com/token',
        service: 'registry.example.com',
        scope: 'repository:a/b:pull',
      },
    });
    expect(parseAuthenticateHeader('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' },
    });
  });
});
