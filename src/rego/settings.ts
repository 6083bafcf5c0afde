import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import type { DomainSectionContext } from '../config/sections.js';
import type { RegoVersion } from './compiler.js';
import type { RegoIsolation } from './runtime.js';

/** The default cache: `$PARAPET_CACHE_DIR/rego`, else `$XDG_CACHE_HOME/parapet/rego`, else `~/.cache/parapet/rego`. */
export function defaultCacheDir(): string {
  if (process.env.PARAPET_CACHE_DIR) return join(process.env.PARAPET_CACHE_DIR, 'rego');
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'parapet', 'rego');
}

/** The `rego:` section of parapet.yaml, normalised. */
export interface RegoSettings {
  /** Conftest namespaces (packages) to run; Conftest's default is `main`. */
  namespaces: string[];
  isolation: RegoIsolation;
  /** Time budget of one evaluation (one input, one module), in milliseconds. */
  timeoutMs: number;
  /** Linear-memory limit of one module, in MiB. */
  memoryLimitMiB: number;
  cacheDir: string;
  /** The opa binary; default: PARAPET_OPA, then PATH. */
  opa?: string;
  /** Rego language version of Conftest directories and native modules. */
  version: RegoVersion;
  /** Longest `opa build` may take, in milliseconds. */
  buildTimeoutMs: number;
  /** Print Rego `print()` output to stderr. */
  print: boolean;
}

export function defaultRegoSettings(): RegoSettings {
  return {
    namespaces: ['main'],
    isolation: 'worker',
    timeoutMs: 2000,
    memoryLimitMiB: 128,
    cacheDir: defaultCacheDir(),
    version: 'auto',
    buildTimeoutMs: 120_000,
    print: false,
  };
}

/** JSON Schema of the `rego:` section. */
export const regoSectionSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    namespaces: {
      type: 'array',
      items: { type: 'string', pattern: '^[A-Za-z_][A-Za-z0-9_]*(\\.[A-Za-z_][A-Za-z0-9_]*)*$' },
      minItems: 1,
    },
    isolation: { enum: ['worker', 'inline'] },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 600000 },
    memoryLimitMiB: { type: 'integer', minimum: 2, maximum: 4096 },
    cacheDir: { type: 'string', minLength: 1 },
    opa: { type: 'string', minLength: 1 },
    version: { enum: ['auto', 'v0', 'v1'] },
    buildTimeoutMs: { type: 'integer', minimum: 1000 },
    print: { type: 'boolean' },
  },
} as const;

/** Normalise a validated `rego:` section; relative paths resolve against the configuration file. */
export function normalizeRegoSection(value: unknown, context: DomainSectionContext): RegoSettings {
  const section = (value ?? {}) as Partial<RegoSettings>;
  const settings = { ...defaultRegoSettings(), ...section };
  const absolute = (path: string) => (isAbsolute(path) ? path : resolve(context.directory, path));
  if (section.cacheDir) settings.cacheDir = absolute(section.cacheDir);
  if (section.opa && section.opa.includes('/')) settings.opa = absolute(section.opa);
  return settings;
}

/** The Rego settings in force: the configured section, or the defaults. */
export function regoSettingsFrom(domains: Record<string, unknown>): RegoSettings {
  const configured = domains.rego as Partial<RegoSettings> | undefined;
  return { ...defaultRegoSettings(), ...configured };
}
