import { looksLikeSecret } from '../keywords/secretLike.js';
import { escapePointerToken } from '../pointer.js';
import type { Violation } from '../rules/types.js';
import type { CheckDefinition } from './types.js';

/** `key = value` or `key: value` lines of a configuration file held in one ConfigMap entry. */
const settingLine = /^\s*(?:export\s+)?["']?([A-Za-z_][\w.-]*)["']?\s*[:=]\s*(.*?)\s*,?\s*$/;

function unquote(text: string): string {
  const match = /^(["'])(.*)\1$/.exec(text);
  return match ? match[2]! : text;
}

/** Why an entry holds a credential: the entry itself, or a setting inside the file it holds. */
function credentialIn(key: string, value: string): string | undefined {
  if (looksLikeSecret(value, key)) return key;
  if (!value.includes('\n')) return undefined;
  for (const line of value.split('\n')) {
    const match = settingLine.exec(line);
    if (match && looksLikeSecret(unquote(match[2]!), match[1]!)) return `${key}: ${match[1]}`;
  }
  return undefined;
}

/**
 * `k8s-configmap-credentials`: ConfigMap entries that hold a credential: by the entry's name and
 * value, by a credential format anywhere in the value (private keys, tokens), or by a
 * `name = value` / `name: value` setting inside a configuration file the entry holds.
 */
export const k8sConfigMapCredentialsCheck: CheckDefinition = {
  name: 'k8s-configmap-credentials',
  description: 'ConfigMap entries that hold a literal credential',
  compile() {
    return {
      scope: 'resource',
      evaluate(resource): Violation[] {
        const data = resource.body.data;
        if (data === null || typeof data !== 'object' || Array.isArray(data)) return [];
        const out: Violation[] = [];
        for (const [key, value] of Object.entries(data as Record<string, unknown>)) {
          if (typeof value !== 'string') continue;
          const where = credentialIn(key, value);
          if (where !== undefined)
            out.push({
              path: `/data/${escapePointerToken(key)}`,
              values: { entry: where },
              details: { entry: where },
            });
        }
        return out;
      },
    };
  },
};
