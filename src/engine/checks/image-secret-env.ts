import { imageFactsOf } from '../../images/image-resource.js';
import type { Violation } from '../rules/types.js';
import type { CheckDefinition } from './types.js';

/** `image-secret-env`: no secret-looking value in the image configuration's environment. One finding per variable. */
export const imageSecretEnvCheck: CheckDefinition = {
  name: 'image-secret-env',
  description: 'fails for each image environment variable whose name or value looks like a secret',
  compile(options) {
    const allow = new Set(Array.isArray(options.allow) ? options.allow.map(String) : []);
    return {
      scope: 'resource',
      evaluate(resource): Violation[] {
        const secretEnv = imageFactsOf(resource)?.metadata?.secretEnv ?? [];
        return secretEnv
          .filter(({ name }) => !allow.has(name))
          .map(({ name, reason }) => ({
            path: '',
            values: { variable: name, reason },
            details: { variable: name },
          }));
      },
    };
  },
};
