import { minimatch } from 'minimatch';
import { imageFactsOf } from '../../images/image-resource.js';
import type { Violation } from '../rules/types.js';
import type { CheckDefinition } from './types.js';

/** `image-signed`: the image digest carries a cosign signature verified with a configured key. */
export const imageSignedCheck: CheckDefinition = {
  name: 'image-signed',
  description: 'fails when an image has no cosign signature verifying with the configured keys; unknown when verification could not run',
  compile(options) {
    const exempt = Array.isArray(options.exempt) ? options.exempt.filter((glob): glob is string => typeof glob === 'string') : [];
    return {
      scope: 'resource',
      evaluate(resource): Violation[] {
        const facts = imageFactsOf(resource);
        if (!facts?.valid || !facts.name) return [];
        if (exempt.some((glob) => minimatch(facts.name as string, glob))) return [];
        const signature = facts.signature;
        if (!signature) {
          const why =
            facts.lookup.status === 'unavailable'
              ? `registry metadata unavailable (${facts.lookup.reason ?? 'unknown reason'})`
              : 'registry lookups are off or no cosign key is configured (images.registry, images.cosignKeys)';
          return [{ path: '', status: 'unknown', message: `Signature of ${facts.reference} not verified: ${why}` }];
        }
        if (signature.status === 'verified') return [];
        const detail = signature.status === 'unsigned' ? `no signature (${signature.tag})` : `no valid signature: ${signature.reasons.join('; ')}`;
        return [{ path: '', message: `Image ${facts.reference} has ${detail}`, details: { signature } }];
      },
    };
  },
};
