import type { Mode, Severity } from './policy.js';
import type { ResourceRef } from './resource.js';

/**
 * - `fail`: violates an enforced policy.
 * - `warn`: violates a policy in warn mode.
 * - `audit`: violates a policy in audit mode (reported, never gating).
 * - `unknown`: the verdict depends on a value unknown until apply.
 * - `waived`: a waiver accepts the violation for now.
 * - `approved`: an explicit approval (for example `--approve`) accepts the violation.
 * - `error`: the policy could not be evaluated for this resource.
 */
export const findingStatuses = ['fail', 'warn', 'audit', 'unknown', 'waived', 'approved', 'error'] as const;
export type FindingStatus = (typeof findingStatuses)[number];

export interface Waiver {
  policy: string;
  resource: string;
  file?: string;
  reason: string;
  owner: string;
  expires: string;
  ticket?: string;
  /** Where the waiver was declared: the configuration file, or `annotation`. */
  origin?: string;
}

export interface Approval {
  policy: string;
  resource: string;
  /** Who or what approved it (`--approve` on the command line, a user, a ticket). */
  by: string;
}

export interface Finding {
  policyId: string;
  severity: Severity;
  status: FindingStatus;
  /** The mode the policy ran in. */
  mode: Mode;
  message: string;
  /** JSON pointer of the offending field inside the resource body ('' for the whole resource). */
  path: string;
  resource: ResourceRef;
  /**
   * Stable identity across runs: hash of policy id, resource id and path. The engine leaves it
   * out, since most runs never show it (text reports, the webhook): read it with `fingerprintOf`,
   * which computes it when it is absent.
   */
  fingerprint?: string;
  waiver?: Waiver;
  approval?: Approval;
  /** True when a baseline file already knew this finding. */
  baseline?: boolean;
  /** For `unknown`: the paths whose values are unknown until apply. */
  unknownPaths?: string[];
  /** Extra structured values a rule wants reports to show (Rego details, cost figures ...). */
  details?: Record<string, unknown>;
}
