import type { PolicySourceLoader } from './source-loader.js';

export type { PolicySourceContext, PolicySourceLoader } from './source-loader.js';

/**
 * Registered source loaders, in the order they run. Each is imported on first use: the built-in
 * library comes precompiled and needs none of them, so a plain `check` loads neither OPA nor Kyverno.
 */
export const policySourceLoaders: PolicySourceLoader[] = [
  {
    name: 'rego',
    load: async (dir, files, ctx) =>
      (await import('../rego/source.js')).regoPolicySource.load(dir, files, ctx),
  },
  {
    name: 'kyverno',
    load: async (dir, files, ctx) =>
      (await import('../kyverno/source.js')).kyvernoPolicySource.load(dir, files, ctx),
  },
  {
    name: 'validating-admission-policy',
    load: async (dir, files, ctx) => (await import('../vap/source.js')).vapPolicySource.load(dir, files, ctx),
  },
];
