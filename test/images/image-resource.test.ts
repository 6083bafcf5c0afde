import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { imageResource } from '../../src/images/image-resource.js';
import { tryParseImageReference } from '../../src/images/reference.js';

const sha256 = 'sha256:' + 'a3ed95caeb02ffe68cdd9fd84406680ae93d633cb16422d00e8a7c22955b46d4';
const location = { file: 'deploy/web.yaml', line: 14 };
/** The fields every image resource has, in order (`namespace` and `lineOf` follow). */
const resourceKeys = ['source', 'kind', 'id', 'name', 'labels', 'location', 'body', 'facts'];

describe('image resources', () => {
  it('holds the parsed reference in body and facts, fields in a fixed order', () => {
    const resource = imageResource(`nginx:1.27@${sha256}`, { location });
    expect(Object.keys(resource)).toEqual([...resourceKeys, 'lineOf']);
    expect(JSON.stringify(resource.body)).toBe(
      JSON.stringify({
        image: `nginx:1.27@${sha256}`,
        name: 'docker.io/library/nginx',
        registry: 'docker.io',
        repository: 'library/nginx',
        normalized: `docker.io/library/nginx@${sha256}`,
        tag: '1.27',
        digest: sha256,
      }),
    );
    expect(JSON.stringify(resource.facts)).toBe(
      JSON.stringify({
        image: {
          valid: true,
          original: `nginx:1.27@${sha256}`,
          pinned: true,
          lookup: { status: 'off' },
          reference: `docker.io/library/nginx@${sha256}`,
          registry: 'docker.io',
          repository: 'library/nginx',
          name: 'docker.io/library/nginx',
          familiar: `nginx@${sha256}`,
          tag: '1.27',
          digest: sha256,
        },
      }),
    );
    expect(resource).toMatchObject({
      source: 'image',
      kind: 'image',
      id: `docker.io/library/nginx@${sha256}`,
      name: `nginx@${sha256}`,
      labels: {},
      location,
    });
    expect(resource.lineOf?.('/tag')).toBe(14);
  });

  it('leaves out the tag and digest that were not written', () => {
    const resource = imageResource('ghcr.io/org/tool', { location });
    expect(Object.keys(resource.body)).toEqual(['image', 'name', 'registry', 'repository', 'normalized']);
    expect(resource.body).toEqual({
      image: 'ghcr.io/org/tool',
      name: 'ghcr.io/org/tool',
      registry: 'ghcr.io',
      repository: 'org/tool',
      normalized: 'ghcr.io/org/tool:latest',
    });
    expect('tag' in (resource.facts.image as object)).toBe(false);
    expect('digest' in (resource.facts.image as object)).toBe(false);
  });

  it('links an image to its workload, container, namespace and labels', () => {
    const workload = { id: 'Deployment/prod/web', kind: 'Deployment', name: 'web', namespace: 'prod' };
    const container = { name: 'app', list: 'containers', path: '/spec/template/spec/containers/0' };
    const resource = imageResource('registry.example.com/web:2', {
      location,
      namespace: 'prod',
      labels: { app: 'web' },
      workload,
      container,
    });
    expect(Object.keys(resource)).toEqual([...resourceKeys, 'namespace', 'lineOf']);
    expect(resource.namespace).toBe('prod');
    expect(resource.labels).toEqual({ app: 'web' });
    expect(Object.keys(resource.facts.image as object)).toEqual([
      'valid',
      'original',
      'pinned',
      'lookup',
      'reference',
      'registry',
      'repository',
      'name',
      'familiar',
      'tag',
      'workload',
      'container',
    ]);
    expect(resource.facts.image).toMatchObject({ workload, container, tag: '2', pinned: false });
  });

  it('keeps an invalid reference as written, with the reason', () => {
    const resource = imageResource('Nginx:1.27', {
      location,
      workload: { id: 'Pod/a/b', kind: 'Pod', name: 'b' },
    });
    expect(resource.id).toBe('Nginx:1.27');
    expect(resource.name).toBe('Nginx:1.27');
    expect(resource.body).toEqual({
      image: 'Nginx:1.27',
      error: 'repository name "library/Nginx" must be lowercase',
    });
    expect(Object.keys(resource.facts.image as object)).toEqual([
      'valid',
      'original',
      'pinned',
      'lookup',
      'error',
      'workload',
    ]);
  });

  it('answers every pointer with the line of the image', () => {
    const resource = imageResource('nginx', { location: { file: 'a.yaml', line: 200_000 } });
    expect(resource.lineOf?.('/digest')).toBe(200_000);
    expect(imageResource('nginx', { location: { file: 'a.yaml', line: 7 } }).lineOf?.('')).toBe(7);
  });

  it('agrees with the parsed reference for generated references', () => {
    const component = fc
      .stringMatching(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/)
      .filter((t) => t.length <= 12);
    const host = fc.constantFrom(
      '',
      'docker.io/',
      'index.docker.io/',
      'localhost/',
      'ghcr.io/',
      'Foo/',
      '[::1]:5000/',
    );
    const tag = fc.option(fc.stringMatching(/^[\w][\w.-]{0,8}$/), { nil: undefined });
    const digest = fc.option(fc.constant(sha256), { nil: undefined });
    fc.assert(
      fc.property(host, fc.array(component, { minLength: 1, maxLength: 3 }), tag, digest, (h, path, t, d) => {
        const written = `${h}${path.join('/')}${t === undefined ? '' : `:${t}`}${d === undefined ? '' : `@${d}`}`;
        const parsed = tryParseImageReference(written);
        // A first component with a '.' is a host, which a generated one need not be.
        fc.pre(parsed.ok);
        if (!parsed.ok) return;
        const reference = parsed.reference;
        const resource = imageResource(written, { location });
        expect(resource.id).toBe(reference.normalized);
        expect(resource.name).toBe(reference.familiar);
        expect(resource.body).toEqual({
          image: written,
          name: `${reference.registry}/${reference.repository}`,
          registry: reference.registry,
          repository: reference.repository,
          normalized: reference.digest
            ? `${reference.name}@${reference.digest}`
            : `${reference.name}:${reference.tag ?? 'latest'}`,
          ...(t === undefined ? {} : { tag: t }),
          ...(d === undefined ? {} : { digest: d }),
        });
      }),
      { numRuns: 500 },
    );
  });
});
