import path from 'node:path';
import type { DomainSectionContext } from '../config/sections.js';
import type { Settings } from '../model/settings.js';
import { readPricingDir, readPricingFile } from './catalogue.js';

/** Kubernetes unit costs and the assumptions workloads need; unset values leave costs unknown. */
export interface KubernetesCostSettings {
  /** Profile in `policies/cost/pricing/kubernetes.yaml` (default: the file's `defaultProfile`). */
  profile?: string;
  /** Overrides of the profile's unit prices. */
  cpuHour?: number;
  memoryGiBHour?: number;
  storageGiBMonth?: number;
  /** Nodes a DaemonSet runs on. */
  daemonSetNodes?: number;
  /** Hours one Job or CronJob pod runs. */
  jobRunHours?: number;
}

/** The normalised `cost:` section of parapet.yaml (`Settings.domains.cost`). */
export interface CostSettings {
  /** When set, the pricing files must be in this currency (a guard against mixing rate cards). */
  currency?: string;
  /** Extra pricing files or directories (absolute) whose tables replace built-in ones. */
  pricing: string[];
  kubernetes: KubernetesCostSettings;
}

const positive = { type: 'number', exclusiveMinimum: 0 } as const;

/** JSON Schema of the `cost:` section of parapet.yaml (strict-mode ajv compatible). */
export const costConfigSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    currency: {
      type: 'string',
      pattern: '^[A-Z]{3}$',
      description: 'Currency the pricing files must use (ISO 4217); a mismatch is an error.',
    },
    pricing: {
      type: 'array',
      items: { type: 'string', minLength: 1 },
      description:
        'Extra pricing files or directories (format of policies/cost/pricing/*.yaml); their tables replace built-in tables of the same provider and name.',
    },
    kubernetes: {
      type: 'object',
      additionalProperties: false,
      properties: {
        profile: {
          type: 'string',
          minLength: 1,
          description: 'Unit-cost profile from policies/cost/pricing/kubernetes.yaml.',
        },
        cpuHour: { ...positive, description: 'Price of one requested vCPU for one hour.' },
        memoryGiBHour: { ...positive, description: 'Price of one requested GiB of memory for one hour.' },
        storageGiBMonth: {
          ...positive,
          description: 'Price of one requested GiB of persistent volume for one month.',
        },
        daemonSetNodes: { type: 'integer', minimum: 0, description: 'Number of nodes DaemonSets run on.' },
        jobRunHours: { ...positive, description: 'Hours one Job or CronJob pod runs.' },
      },
    },
  },
} as const;

/** Turns the validated `cost:` section into CostSettings, resolving pricing paths against the config file. */
export function normalizeCostConfig(value: unknown, context: DomainSectionContext): Partial<CostSettings> {
  const section = (value ?? {}) as {
    currency?: string;
    pricing?: string[];
    kubernetes?: KubernetesCostSettings;
  };
  const pricing = (section.pricing ?? []).map((entry) => path.resolve(context.directory, entry));
  // A broken pricing file is a configuration error now, not a missing cost in the middle of a run.
  for (const entry of pricing) {
    if (/\.ya?ml$/.test(entry)) readPricingFile(entry);
    else readPricingDir(entry);
  }
  // Only what was written: costSettingsOf() fills in the defaults.
  const out: Partial<CostSettings> = {};
  if (section.currency !== undefined) out.currency = section.currency;
  if (section.pricing !== undefined) out.pricing = pricing;
  if (section.kubernetes !== undefined) out.kubernetes = { ...section.kubernetes };
  return out;
}

/** The cost settings of a run: `Settings.domains.cost` when configured, else the defaults. */
export function costSettingsOf(settings: Settings | undefined): CostSettings {
  const domain = settings?.domains.cost as Partial<CostSettings> | undefined;
  const out: CostSettings = { pricing: domain?.pricing ?? [], kubernetes: domain?.kubernetes ?? {} };
  if (domain?.currency !== undefined) out.currency = domain.currency;
  return out;
}
