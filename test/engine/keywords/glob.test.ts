import fc from 'fast-check';
import { Minimatch } from 'minimatch';
import { describe, expect, it } from 'vitest';
import { createRuleAjv } from '../../../src/engine/ajv.js';
import { globMatcher } from '../../../src/engine/keywords/glob.js';

// The keyword tests a compiled regular expression; it must agree with minimatch's own matcher
// (which splits the subject on every call) for every pattern shape the policies use.
const patterns = [
  'registry.example.com/**',
  'docker.io/library/*',
  'registry.k8s.io/**',
  'gcr.io/distroless/**',
  'ghcr.io/example/**',
  '*.dkr.ecr.*.amazonaws.com/**',
  '{docker.io,quay.io}/acme/*',
  'localhost:5000/team-?/**',
  '**/nginx',
  '[a-c]*',
  '*',
  '**',
  'aws_*',
  'k8s.gcr.io',
  'hub.example.com/a/**/z',
  '.hidden/*',
  'a/**',
  'a/b/*',
  'a',
  'my_registry:5000/team-a/**',
];
const subjects = [
  'registry.example.com/team/app',
  'registry.example.com',
  'docker.io/library/nginx',
  'docker.io/library/team/nginx',
  'docker.io/acme/api',
  'quay.io/acme/api',
  'quay.io/acme/api/extra',
  'registry.k8s.io/pause',
  'gcr.io/distroless/static',
  'gcr.io/distroless',
  'ghcr.io/example/a/b/c',
  '123456789012.dkr.ecr.eu-west-1.amazonaws.com/team/svc',
  'localhost:5000/team-1/svc',
  'localhost:5000/team-12/svc',
  'a/b/nginx',
  'nginx',
  'apache',
  'aws_s3_bucket',
  'k8s.gcr.io',
  'hub.example.com/a/z',
  'hub.example.com/a/b/c/z',
  '.hidden/x',
  '',
  'registry.example.com/.',
  'registry.example.com/..',
  'registry.example.com/./a',
  'registry.example.com/a/..',
  'registry.example.com/.a/b',
  'docker.io/library/.',
  'docker.io/library/..',
  'docker.io/library/.nginx',
  // minimatch's expression lets these through after a brace alternative; its match does not.
  'docker.io/acme/.',
  'quay.io/acme/..',
  'a',
  'a/.',
  'a/b/.c',
  'my_registry:5000/team-a/x',
];

describe('glob keyword', () => {
  it.each(patterns)('agrees with minimatch for %s', (pattern) => {
    const reference = new Minimatch(pattern, { dot: true, nocomment: true, nonegate: true });
    const matches = globMatcher(pattern);
    for (const subject of subjects)
      expect([subject, matches(subject)]).toEqual([subject, reference.match(subject)]);
  });

  it('agrees with minimatch without dot matching (machine families)', () => {
    const options = { nocomment: true, nonegate: true };
    const families = ['t2', 'db.t2', 'cache.*', 'Standard_A*', 'm[34]', '*.metal', '**', 'n1-*', '.x*'];
    const types = [
      't2',
      't2.micro',
      'db.t2',
      'db.t2.small',
      'cache.m4',
      'Standard_A1_v2',
      'm3',
      'm5',
      '.xl',
      'a/.b',
      'n1-standard-4',
      'c5.metal',
      '',
    ];
    for (const pattern of families) {
      const reference = new Minimatch(pattern, options);
      const matches = globMatcher(pattern, options);
      for (const type of types)
        expect([pattern, type, matches(type)]).toEqual([pattern, type, reference.match(type)]);
    }
  });

  it('agrees with minimatch on generated subjects', () => {
    const segment = fc.stringMatching(/^[a-z0-9.:_-]{0,6}$/);
    const subject = fc.array(
      fc.oneof(segment, fc.constantFrom('docker.io', 'library', 'a', 'b', 'z', 'acme', '.', '..', '.a', '')),
      {
        minLength: 1,
        maxLength: 5,
      },
    );
    fc.assert(
      fc.property(fc.constantFrom(...patterns), subject, (pattern, parts) => {
        const text = parts.join('/');
        const reference = new Minimatch(pattern, { dot: true, nocomment: true, nonegate: true });
        expect(globMatcher(pattern)(text)).toBe(reference.match(text));
        const plain = { nocomment: true, nonegate: true };
        expect(globMatcher(pattern, plain)(text)).toBe(new Minimatch(pattern, plain).match(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('matches any of a list of globs through ajv', () => {
    const ajv = createRuleAjv();
    const allowed = ajv.compile({ glob: ['docker.io/library/*', 'ghcr.io/example/**'] });
    expect(allowed('docker.io/library/nginx')).toBe(true);
    expect(allowed('ghcr.io/example/a/b')).toBe(true);
    expect(allowed('ghcr.io/other/a')).toBe(false);
    expect(allowed(42)).toBe(true); // the keyword applies to strings only
  });
});
