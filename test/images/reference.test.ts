import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ImageReferenceError,
  isRegistryHost,
  isRemoteName,
  isTag,
  parseImageReference,
  tryParseImageReference,
} from '../../src/images/reference.js';

const sha256 = 'sha256:' + 'a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';
const sha512 = 'sha512:' + 'f'.repeat(128);

// [written, normalized, registry, repository, familiar]
const valid: Array<[string, string, string, string, string]> = [
  // Docker Hub official images gain docker.io/library/ and :latest.
  ['busybox', 'docker.io/library/busybox:latest', 'docker.io', 'library/busybox', 'busybox:latest'],
  ['docker.io/busybox', 'docker.io/library/busybox:latest', 'docker.io', 'library/busybox', 'busybox:latest'],
  [
    'index.docker.io/busybox',
    'docker.io/library/busybox:latest',
    'docker.io',
    'library/busybox',
    'busybox:latest',
  ],
  [
    'docker.io/library/busybox:1.36',
    'docker.io/library/busybox:1.36',
    'docker.io',
    'library/busybox',
    'busybox:1.36',
  ],
  ['library/busybox', 'docker.io/library/busybox:latest', 'docker.io', 'library/busybox', 'busybox:latest'],
  [
    'prom/prometheus:v2.53.0',
    'docker.io/prom/prometheus:v2.53.0',
    'docker.io',
    'prom/prometheus',
    'prom/prometheus:v2.53.0',
  ],
  [
    'bitnami/charts/redis',
    'docker.io/bitnami/charts/redis:latest',
    'docker.io',
    'bitnami/charts/redis',
    'bitnami/charts/redis:latest',
  ],
  // A first component is a registry only with '.', ':' or as localhost.
  ['localhost/app', 'localhost/app:latest', 'localhost', 'app', 'localhost/app:latest'],
  ['localhost:5000/app:dev', 'localhost:5000/app:dev', 'localhost:5000', 'app', 'localhost:5000/app:dev'],
  [
    'myregistry:5000/team/app',
    'myregistry:5000/team/app:latest',
    'myregistry:5000',
    'team/app',
    'myregistry:5000/team/app:latest',
  ],
  [
    'registry.k8s.io/pause:3.9',
    'registry.k8s.io/pause:3.9',
    'registry.k8s.io',
    'pause',
    'registry.k8s.io/pause:3.9',
  ],
  ['ghcr.io/org/tool', 'ghcr.io/org/tool:latest', 'ghcr.io', 'org/tool', 'ghcr.io/org/tool:latest'],
  [
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.0',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.0',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    'api',
    '123456789012.dkr.ecr.eu-west-1.amazonaws.com/api:1.0',
  ],
  ['10.0.0.1:5000/app', '10.0.0.1:5000/app:latest', '10.0.0.1:5000', 'app', '10.0.0.1:5000/app:latest'],
  // Without a '/' there is no registry: "localhost" and "host:5000" are repositories.
  ['localhost', 'docker.io/library/localhost:latest', 'docker.io', 'library/localhost', 'localhost:latest'],
  [
    'example.com:5000',
    'docker.io/library/example.com:5000',
    'docker.io',
    'library/example.com',
    'example.com:5000',
  ],
  // An uppercase first component is a host too (current distribution/reference).
  [
    'Registry.Example.COM/app',
    'Registry.Example.COM/app:latest',
    'Registry.Example.COM',
    'app',
    'Registry.Example.COM/app:latest',
  ],
  ['Foo/bar', 'Foo/bar:latest', 'Foo', 'bar', 'Foo/bar:latest'],
  // IPv6 literals in brackets, with and without a port.
  ['[::1]:5000/app:v1', '[::1]:5000/app:v1', '[::1]:5000', 'app', '[::1]:5000/app:v1'],
  [
    '[2001:db8::1]/team/app',
    '[2001:db8::1]/team/app:latest',
    '[2001:db8::1]',
    'team/app',
    '[2001:db8::1]/team/app:latest',
  ],
  // Separators: '.', '_', '__', one or more '-'.
  [
    'a_b__c---d/e.f-g',
    'docker.io/a_b__c---d/e.f-g:latest',
    'docker.io',
    'a_b__c---d/e.f-g',
    'a_b__c---d/e.f-g:latest',
  ],
  // Docker only shortens library/ when nothing is nested below it.
  [
    'library/distros/ubuntu',
    'docker.io/library/distros/ubuntu:latest',
    'docker.io',
    'library/distros/ubuntu',
    'library/distros/ubuntu:latest',
  ],
  // Tags: word characters, '.', '-', up to 128, not starting with '.' or '-'.
  ['app:_internal', 'docker.io/library/app:_internal', 'docker.io', 'library/app', 'app:_internal'],
  [
    'app:' + 'T'.repeat(128),
    'docker.io/library/app:' + 'T'.repeat(128),
    'docker.io',
    'library/app',
    'app:' + 'T'.repeat(128),
  ],
  // A digest pins: the tag is dropped from the normalised form.
  [`nginx@${sha256}`, `docker.io/library/nginx@${sha256}`, 'docker.io', 'library/nginx', `nginx@${sha256}`],
  [
    `nginx:1.27@${sha256}`,
    `docker.io/library/nginx@${sha256}`,
    'docker.io',
    'library/nginx',
    `nginx@${sha256}`,
  ],
  [
    `localhost:5000/app:dev@${sha256}`,
    `localhost:5000/app@${sha256}`,
    'localhost:5000',
    'app',
    `localhost:5000/app@${sha256}`,
  ],
  [
    `quay.io/org/app@${sha512}`,
    `quay.io/org/app@${sha512}`,
    'quay.io',
    'org/app',
    `quay.io/org/app@${sha512}`,
  ],
];

// [written, reason]
const invalid: Array<[string, RegExp]> = [
  ['', /at least one component/],
  [':latest', /at least one component/],
  [`@${sha256}`, /at least one component/],
  ['a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4', /64-byte hexadecimal/],
  ['Busybox', /must be lowercase/],
  ['docker.io/Library/busybox', /must be lowercase/],
  ['ghcr.io/Org/tool', /must be lowercase/],
  ['nginx:', /invalid tag ""/],
  ['nginx:-dev', /invalid tag "-dev"/],
  ['nginx:.dev', /invalid tag ".dev"/],
  ['nginx:1.0:2.0', /invalid tag "1.0:2.0"/],
  ['nginx:' + 't'.repeat(129), /invalid tag/],
  ['nginx:tag with space', /invalid tag/],
  ['nginx@sha256:abc', /invalid digest/],
  [`nginx@sha256:${'A'.repeat(64)}`, /invalid sha256 digest/],
  [`nginx@sha256:${'a'.repeat(63)}`, /invalid sha256 digest/],
  [`nginx@md5:${'a'.repeat(32)}`, /unsupported digest algorithm "md5"/],
  ['nginx@latest', /invalid digest/],
  [`nginx@${sha256}@${sha256}`, /invalid digest/],
  ['-app', /invalid reference format/],
  ['app-', /invalid reference format/],
  ['a..b', /invalid reference format/],
  ['a___b', /invalid reference format/],
  ['team//app', /invalid reference format/],
  ['team/app/', /invalid reference format/],
  ['/app', /invalid reference format/],
  [' nginx', /invalid reference format/],
  ['nginx ', /invalid tag|invalid reference format/],
  ['https://ghcr.io/org/app', /invalid/],
  ['-registry.example.com/app', /invalid registry host "-registry.example.com"/],
  ['registry.example.com:port/app', /invalid registry host/],
  ['[fe80::1%eth0]:5000/app', /invalid registry host/],
  ['[::1/app', /invalid registry host|invalid reference format/],
  ['ünïcode/app', /invalid/],
];

describe('image reference grammar', () => {
  it.each(valid)('%s normalises to %s', (written, normalized, registry, repository, familiar) => {
    const reference = parseImageReference(written);
    expect(reference.normalized).toBe(normalized);
    expect(reference.registry).toBe(registry);
    expect(reference.repository).toBe(repository);
    expect(reference.name).toBe(`${registry}/${repository}`);
    expect(reference.familiar).toBe(familiar);
    expect(reference.original).toBe(written);
  });

  it.each(invalid)('rejects %j', (written, reason) => {
    const result = tryParseImageReference(written);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason).toMatch(reason);
    expect(() => parseImageReference(written)).toThrow(ImageReferenceError);
  });

  it('keeps the written tag beside the digest', () => {
    const reference = parseImageReference(`nginx:1.27@${sha256}`);
    expect(reference.tag).toBe('1.27');
    expect(reference.digest).toBe(sha256);
    expect(parseImageReference('nginx').tag).toBeUndefined();
  });

  // distribution/reference measures the repository path (library/ included), never the registry.
  const tooLong = { ok: false, reason: 'repository name must not be more than 255 characters' };
  const path = (length: number, prefix = '') => prefix + 'a'.repeat(length - prefix.length);
  it.each([
    ['an official image of 255 with library/', path(255, 'library/').slice('library/'.length), 255],
    ['an official image of 256 with library/', path(256, 'library/').slice('library/'.length), undefined],
    ['a Docker Hub path of 255', path(255, 'team/'), 255],
    ['a Docker Hub path of 256', path(256, 'team/'), undefined],
    ['a path of 255 under a long registry', `registry.example.com/${path(255, 'team/')}:v1`, 255],
    ['a path of 256 under a long registry', `registry.example.com/${path(256, 'team/')}:v1`, undefined],
    [
      'a path of 255 under a registry with a port',
      `localhost:5000/${path(255, 'a/')}@sha256:${'0'.repeat(64)}`,
      255,
    ],
    ['a path of 256 under a registry with a port', `localhost:5000/${path(256, 'a/')}`, undefined],
  ])('limits the repository path to 255 characters: %s', (_, written, repositoryLength) => {
    const result = tryParseImageReference(written);
    if (repositoryLength === undefined) expect(result).toEqual(tooLong);
    else {
      expect(result.ok).toBe(true);
      if (result.ok) expect(result.reference.repository).toHaveLength(repositoryLength);
    }
  });

  it('lets the registry and path together exceed 255 characters', () => {
    const written = `${'r'.repeat(40)}.example.com/${path(255, 'team/')}`;
    expect(parseImageReference(written).name).toHaveLength(40 + 13 + 255);
  });

  it('names the reference in the thrown message', () => {
    expect(() => parseImageReference('Nginx:1.27')).toThrow(
      'invalid image reference "Nginx:1.27": repository name "library/Nginx" must be lowercase',
    );
  });

  it('quotes at most the start of a very long part, with its length', () => {
    const tag = 'a:'.repeat(500_000).slice(0, -1);
    const reason = tryParseImageReference(`nginx:${tag}`);
    expect(reason).toEqual({
      ok: false,
      reason: `invalid tag "${tag.slice(0, 64)}... (999,999 characters)"`,
    });
    const digest = `sha256:${'a'.repeat(1_000)}`;
    expect(tryParseImageReference(`nginx@${digest}`)).toEqual({
      ok: false,
      reason: `invalid sha256 digest "${digest.slice(0, 64)}... (1,007 characters)"`,
    });
    expect(() => parseImageReference('A'.repeat(600))).toThrow(
      `invalid image reference "${'A'.repeat(64)}... (600 characters)": repository name "library/${'A'.repeat(56)}... (608 characters)" must be lowercase`,
    );
    // Up to 512 characters a part is quoted whole, as Docker does.
    const longTag = 'v' + '1'.repeat(200);
    expect(tryParseImageReference(`nginx:${longTag}`)).toEqual({
      ok: false,
      reason: `invalid tag "${longTag}"`,
    });
  });

  it('round-trips: a normalised reference parses to itself', () => {
    const component = fc
      .stringMatching(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/)
      .filter((text) => text.length <= 30);
    const host = fc.constantFrom(
      'docker.io',
      'ghcr.io',
      'localhost:5000',
      'registry.example.com',
      '[::1]:5000',
      '10.1.2.3',
    );
    const tag = fc.stringMatching(/^[\w][\w.-]{0,20}$/);
    fc.assert(
      fc.property(
        host,
        fc.array(component, { minLength: 1, maxLength: 3 }),
        fc.option(tag, { nil: undefined }),
        (registry, path, written) => {
          const input = `${registry}/${path.join('/')}${written ? `:${written}` : ''}`;
          const once = parseImageReference(input);
          const twice = parseImageReference(once.normalized);
          expect(twice.normalized).toBe(once.normalized);
          // Like Docker's FamiliarString, the short form is ambiguous when a Hub namespace looks like a host.
          const first = once.repository.split('/')[0] ?? '';
          if (once.registry !== 'docker.io' || !/[.:]/.test(first))
            expect(parseImageReference(once.familiar).normalized).toBe(once.normalized);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('scans hosts, remote names and tags exactly as the grammar expressions match', () => {
    const component = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])';
    const host = new RegExp(`^(?:${component}(?:\\.${component})*|\\[(?:[a-fA-F0-9:]+)\\])(?::[0-9]+)?$`);
    const path = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
    const remoteName = new RegExp(`^${path}(?:/${path})*$`);
    const tag = /^[\w][\w.-]{0,127}$/;
    const text = (alphabet: string, maxLength: number) =>
      fc.array(fc.constantFrom(...alphabet), { maxLength }).map((chars) => chars.join(''));
    fc.assert(
      fc.property(text('aZ09-.:[]/_fé', 14), (written) => {
        expect([written, isRegistryHost(written)]).toEqual([written, host.test(written)]);
      }),
      { numRuns: 5_000 },
    );
    fc.assert(
      fc.property(text('az09-._/A:', 14), (written) => {
        expect([written, isRemoteName(written)]).toEqual([written, remoteName.test(written)]);
      }),
      { numRuns: 5_000 },
    );
    fc.assert(
      fc.property(fc.oneof(text('aZ9_.-:/ é', 10), text('a', 130)), (written) => {
        expect([written, isTag(written)]).toEqual([written, tag.test(written)]);
      }),
      { numRuns: 5_000 },
    );
    for (const written of [
      '[::1]',
      '[::1]:5000',
      '[]',
      '[::1',
      'a.b:',
      'a.b:x',
      '-a',
      'a-',
      'a..b',
      'a.-b.c',
      'A-1.b:0',
    ])
      expect([written, isRegistryHost(written)]).toEqual([written, host.test(written)]);
  }, 30_000);
});
