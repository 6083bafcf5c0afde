import { Minimatch } from 'minimatch';
import { imageFactsOf } from '../../images/image-resource.js';
import { imageSettingsFrom } from '../../images/settings.js';
import type { Violation } from '../rules/types.js';
import type { CheckDefinition } from './types.js';

/** `image-signed`: the image digest carries a cosign signature verified with a configured key. */
export const imageSignedCheck: CheckDefinition = {
  name: 'image-signed',
  description:
    'fails when an image has no cosign signature verifying with the configured keys; unknown when verification could not run',
  compile(options) {
    const exempt = Array.isArray(options.exempt)
      ? options.exempt
          .filter((glob): glob is string => typeof glob === 'string')
          .map((glob) => new Minimatch(glob))
      : [];
    // Without a key there is nothing to verify against: the policy is inert (a notice says so)
    // rather than an `unknown` on every image of every scan. Keys are read at evaluation, since
    // command-line keys (--cosign-key) join the settings after the engine is compiled.
    const keysFor = new WeakMap<object, number>();
    const noticed = new WeakSet<object>();
    return {
      scope: 'resource',
      evaluate(resource, evalCtx): Violation[] {
        const domains = evalCtx.settings.domains;
        let keys = keysFor.get(domains);
        if (keys === undefined) {
          keys = imageSettingsFrom(domains.images).cosignKeys.length;
          keysFor.set(domains, keys);
        }
        if (keys === 0) {
          if (!noticed.has(evalCtx.notices)) {
            noticed.add(evalCtx.notices);
            evalCtx.notices.push({
              level: 'info',
              code: 'image-signed-inactive',
              message:
                'image-signed: no cosign public key configured (images.cosignKeys or --cosign-key); signatures not checked',
            });
          }
          return [];
        }
        const facts = imageFactsOf(resource);
        if (!facts?.valid || !facts.name) return [];
        if (exempt.some((glob) => glob.match(facts.name as string))) return [];
        const signature = facts.signature;
        if (!signature) {
          const why =
            facts.lookup.status === 'unavailable'
              ? `registry metadata unavailable (${facts.lookup.reason ?? 'unknown reason'})`
              : 'registry lookups are off or no cosign key is configured (images.registry, images.cosignKeys)';
          return [
            { path: '', status: 'unknown', message: `Signature of ${facts.reference} not verified: ${why}` },
          ];
        }
        if (signature.status === 'verified') return [];
        const detail =
          signature.status === 'unsigned'
            ? `no signature (${signature.tag})`
            : `no valid signature: ${signature.reasons.join('; ')}`;
        return [{ path: '', message: `Image ${facts.reference} has ${detail}`, details: { signature } }];
      },
    };
  },
};
