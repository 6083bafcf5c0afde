import type { Settings } from '../model/settings.js';
import { latestPssVersion, parsePssVersion, type PssVersion } from './version.js';

/** The `pss:` section of `parapet.yaml`, normalised. */
export interface PssSettings {
  /** The Kubernetes release whose Pod Security Admission the PSS policies follow. */
  version: PssVersion;
}

export const pssSectionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    version: {
      type: 'string',
      description:
        'Kubernetes version whose Pod Security Admission the PSS policies follow: latest (default) or v1.N, as in the pod-security.kubernetes.io/enforce-version label.',
    },
  },
} as const;

/** Normalises `pss:`; an unknown or too new version is a one-line configuration error. */
export function normalizePssSection(value: unknown, context: { file: string }): PssSettings {
  const section = (value ?? {}) as { version?: string };
  return {
    version:
      section.version === undefined
        ? latestPssVersion
        : parsePssVersion(
            section.version,
            `${context.file}: pss.version`,
            'PARAPET_CONFIG_INVALID',
            context.file,
          ),
  };
}

/** The PSS version a run follows: the configured one, else the latest. */
export function pssVersionOf(settings: Pick<Settings, 'domains'>): PssVersion {
  return (settings.domains.pss as PssSettings | undefined)?.version ?? latestPssVersion;
}

/** `settings` with the PSS version set (the `--pss-version` flag over the configuration). */
export function withPssVersion<T extends Pick<Settings, 'domains'>>(settings: T, version: PssVersion): T {
  return { ...settings, domains: { ...settings.domains, pss: { version } satisfies PssSettings } };
}
