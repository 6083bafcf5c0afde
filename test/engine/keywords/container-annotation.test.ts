import { describe, expect, it } from 'vitest';
import { createRuleAjv } from '../../../src/engine/ajv.js';

// The keyword sits on the pod's annotations of a `containers` target instance.
const schema = {
  properties: {
    podMetadata: {
      properties: {
        annotations: {
          containerAnnotation: {
            prefix: 'container.seccomp.security.alpha.kubernetes.io/',
            value: {
              anyOf: [
                { enum: ['runtime/default', 'docker/default'] },
                { type: 'string', pattern: '^localhost/' },
              ],
            },
          },
        },
      },
    },
  },
};

/** A `containers` target instance: the container, its pod and the pod's metadata. */
const instance = (name: string, annotations: Record<string, string> | undefined) => ({
  list: 'containers',
  index: 0,
  container: { name, image: 'registry.example.com/app:1.0' },
  pod: { containers: [{ name }] },
  podMetadata: annotations ? { annotations } : {},
});

const key = (name: string) => `container.seccomp.security.alpha.kubernetes.io/${name}`;

describe('containerAnnotation keyword', () => {
  for (const allErrors of [false, true]) {
    const validate = createRuleAjv({ allErrors }).compile(schema);

    it(`judges the annotation keyed by this container's name, and only that one (allErrors ${allErrors})`, () => {
      expect(validate(instance('app', { [key('app')]: 'runtime/default' }))).toBe(true);
      expect(validate(instance('app', { [key('app')]: 'localhost/app.json' }))).toBe(true);
      expect(validate(instance('app', { [key('other')]: 'unconfined' }))).toBe(true);
      expect(validate(instance('app', undefined))).toBe(true);
      expect(validate(instance('app', { [key('app')]: 'unconfined' }))).toBe(false);
      expect(validate.errors?.map((e) => e.instancePath)).toContain(
        '/podMetadata/annotations/container.seccomp.security.alpha.kubernetes.io~1app',
      );
    });
  }

  it('rejects a schema without a prefix when the policy compiles', () => {
    expect(() => createRuleAjv().compile({ containerAnnotation: { value: true } })).toThrow();
  });
});
