import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DockerConfigCredentials, StaticCredentials } from '../../src/images/docker-config.js';
import { parseImageReference } from '../../src/images/reference.js';
import { RegistryClient } from '../../src/images/registry-client.js';
import { runCli } from '../helpers.js';
import { buildImage, pushImage } from './image-push.js';
import { basicUser, haveRegistry, startRegistry, type RunningRegistry } from './registry-harness.js';

if (!haveRegistry)
  console.warn(
    'skipping basic-auth registry tests: docker-registry or openssl is not installed (run .ci/setup-registry.sh)',
  );

/** A docker config.json with `auth` for `host`, in a directory of its own. */
function dockerConfig(host: string, password = basicUser.password): string {
  const dir = mkdtempSync(join(tmpdir(), 'parapet-basic-config-'));
  const file = join(dir, 'config.json');
  const auth = Buffer.from(`${basicUser.username}:${password}`).toString('base64');
  writeFileSync(file, JSON.stringify({ auths: { [host]: { auth } } }));
  return file;
}

describe.skipIf(!haveRegistry)('a registry behind basic authentication (htpasswd)', () => {
  let registry: RunningRegistry;
  let rootDigest: string;

  beforeAll(async () => {
    registry = await startRegistry({ auth: 'htpasswd' });
    rootDigest = await pushImage(
      registry,
      'private/api',
      buildImage({
        user: '',
        env: ['PATH=/usr/bin', 'STRIPE_SECRET_KEY=sk_live_4eC39HqLyjWDarjtT1zdp7dc'],
        labels: { 'org.opencontainers.image.source': 'https://git.example.com/shop/api' },
        layerSizes: [2048],
        created: '2024-05-01T08:00:00Z',
      }),
      'v2',
    );
    await pushImage(
      registry,
      'private/worker',
      buildImage({ user: '10001:10001', layerSizes: [1024], created: '2024-05-02T08:00:00Z' }),
      'v1',
    );
  });

  afterAll(async () => {
    await registry?.stop();
  });

  it('reads a private image with the credentials of a docker config.json', async () => {
    const client = new RegistryClient({
      credentials: DockerConfigCredentials.load(dockerConfig(registry.host)),
    });
    const metadata = await client.inspect(parseImageReference(`${registry.host}/private/api:v2`));
    expect(metadata.manifestDigest).toBe(rootDigest);
    expect(metadata.runsAsRoot).toBe(true);
    expect(metadata.env).toContainEqual({
      name: 'STRIPE_SECRET_KEY',
      value: 'sk_live_4eC39HqLyjWDarjtT1zdp7dc',
    });
    expect(metadata.created).toBe('2024-05-01T08:00:00Z');
  });

  it('says that credentials are missing when the docker config has none for the registry', async () => {
    const client = new RegistryClient({ credentials: new StaticCredentials({}) });
    await expect(client.inspect(parseImageReference(`${registry.host}/private/api:v2`))).rejects.toThrow(
      `${registry.host}: authentication required (basic realm) and no credentials for ${registry.host} in the docker config`,
    );
  });

  it('reports a wrong password as access denied, naming the registry to fix', async () => {
    const client = new RegistryClient({
      credentials: new StaticCredentials({
        [registry.host]: { username: basicUser.username, password: 'not the password' },
      }),
    });
    await expect(client.inspect(parseImageReference(`${registry.host}/private/api:v2`))).rejects.toThrow(
      new RegExp(
        `access to private/api denied \\(401.*check the credentials for ${registry.host.replace(/\./g, '\\.')} in the docker config`,
      ),
    );
  });

  it('feeds the image policies of `parapet check --registry` through the docker config', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'parapet-basic-check-'));
    const config = join(dir, 'parapet.yaml');
    writeFileSync(config, `images:\n  dockerConfig: ${dockerConfig(registry.host)}\n`);
    // Credentials are the pipeline's to name, never the repository's.
    const { code, stdout, stderr } = await runCli([
      'check',
      '--trusted-config',
      config,
      '--registry',
      '--image',
      `${registry.host}/private/api:v2`,
      '--image',
      `${registry.host}/private/worker:v1`,
      '--select',
      'image-runs-as-root',
      '--select',
      'image-secret-env',
      '--format',
      'json',
    ]);
    expect(stderr).toBe('');
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as {
      findings: Array<{ policyId: string; status: string; resource: { id: string }; message: string }>;
    };
    const verdicts = report.findings
      .map((finding) => `${finding.policyId} ${finding.status} ${finding.resource.id}`)
      .sort();
    expect(verdicts).toEqual([
      `image-runs-as-root fail ${registry.host}/private/api:v2`,
      `image-secret-env fail ${registry.host}/private/api:v2`,
    ]);
    expect(report.findings.find((f) => f.policyId === 'image-secret-env')?.message).toContain(
      'STRIPE_SECRET_KEY',
    );
  });
});
