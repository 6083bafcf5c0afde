/**
 * Domain sections of `parapet.yaml` (`cost:`, `images:`, `rego:`, `server:` ...). Each domain keeps
 * its own settings under one top-level key; they land in `Settings.domains[key]`. A domain tightens
 * its schema and adds a `normalize` here (one entry per domain) so that a typo in its section is a
 * configuration error like any other.
 */
import { normalizeRegoSection, regoSectionSchema } from '../rego/settings.js';
import { normalizeServerSection, serverSectionSchema } from '../server/settings.js';

import { costConfigSchema, normalizeCostConfig } from '../cost/settings.js';
import { imageSettingsFrom } from '../images/settings.js';
import { normalizePssSection, pssSectionSchema } from '../pss/settings.js';

export interface DomainSection {
  /** Top-level key in `parapet.yaml`, and the key in `Settings.domains`. */
  key: string;
  description: string;
  /** JSON Schema of the section. */
  schema: Record<string, unknown>;
  /** Turns the validated section into the domain's normalised settings. Default: the value as written. */
  normalize?(value: unknown, context: DomainSectionContext): unknown;
}

export interface DomainSectionContext {
  /** The configuration file, as displayed in messages. */
  file: string;
  /** Directory of the configuration file: relative paths in the section resolve against it. */
  directory: string;
}

export const domainSections: DomainSection[] = [
  {
    key: 'cost',
    description: 'Cost estimation settings (extra pricing files, Kubernetes unit costs and assumptions).',
    schema: costConfigSchema,
    normalize: normalizeCostConfig,
  },
  {
    key: 'images',
    description: 'Image metadata settings (registry access, cache, timeouts).',
    schema: { type: 'object' },
    // Relative paths (reports, keys, docker config, known-exploited list) resolve against the file.
    normalize: (value, { directory, file }) => imageSettingsFrom(value, directory, file),
  },
  {
    key: 'pss',
    description:
      'Pod Security Standards settings (the Kubernetes version whose Pod Security Admission they follow).',
    schema: pssSectionSchema,
    normalize: normalizePssSection,
  },
  {
    key: 'rego',
    description: 'Rego/OPA settings (namespaces, opa binary, cache).',
    schema: regoSectionSchema,
    normalize: normalizeRegoSection,
  },
  {
    key: 'server',
    description: 'Admission webhook settings (mutation, scope, budgets).',
    schema: serverSectionSchema,
    normalize: normalizeServerSection,
  },
];
