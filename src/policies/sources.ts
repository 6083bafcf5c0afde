import { kyvernoPolicySource } from '../kyverno/source.js';
import { regoPolicySource } from '../rego/source.js';
import type { PolicySourceLoader } from './source-loader.js';

export type { PolicySourceContext, PolicySourceLoader } from './source-loader.js';

/** Registered source loaders, in the order they run. */
export const policySourceLoaders: PolicySourceLoader[] = [regoPolicySource, kyvernoPolicySource];
