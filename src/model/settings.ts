import type { Approval, Waiver } from './finding.js';
import type { Mode, Severity } from './policy.js';
import type { UnknownHandling } from './result.js';

/**
 * The normalised settings one evaluation runs with: what the configuration file and the command line
 * add up to, every field set. `check` and `serve` build one and hand it to the engine.
 */
export interface Settings {
  /** Globs over policy ids, or `tag:NAME`. Empty means every policy. */
  select: string[];
  skip: string[];
  /** Selectors that switch on optional policies, beside the default library. */
  enable: string[];
  /** Severity overrides: policy id glob -> severity. Later entries win. */
  severity: Array<{ policy: string; severity: Severity }>;
  /** Modes: policy id glob -> mode. Later entries win; the default is `enforce`. */
  modes: Array<{ policy: string; mode: Mode }>;
  /** Parameters per policy id (merged over the policy's defaults). */
  parameters: Record<string, Record<string, unknown>>;
  exclude: {
    /** Globs over Kubernetes namespaces. */
    namespaces: string[];
    /** Globs over file paths as given. */
    files: string[];
    /** Globs over resource ids. */
    resources: string[];
  };
  unknown: UnknownHandling;
  failOn: Severity;
  waivers: Waiver[];
  approvals: Approval[];
  /** Whether `parapet.dev/waive` annotations on Kubernetes objects are honoured. */
  allowAnnotationWaivers: boolean;
  /** Domain sections (cost, images, rego ...) keep their own normalised settings here by name. */
  domains: Record<string, unknown>;
}

export function defaultSettings(): Settings {
  return {
    select: [],
    skip: [],
    enable: [],
    severity: [],
    modes: [],
    parameters: {},
    exclude: { namespaces: [], files: [], resources: [] },
    unknown: 'warn',
    failOn: 'info',
    waivers: [],
    approvals: [],
    allowAnnotationWaivers: false,
    domains: {},
  };
}
