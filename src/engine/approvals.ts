import { ParapetError } from '../model/errors.js';
import type { Approval, Finding } from '../model/finding.js';
import type { Notice } from '../model/result.js';

/** Statuses an approval can accept: violations, including those that rest on unknown values. */
const approvable = new Set<Finding['status']>(['fail', 'warn', 'audit', 'unknown']);

/**
 * A pattern where `*` matches any run of characters and everything else is literal. Terraform
 * addresses are full of glob syntax (`aws_instance.web[0]`, `["eu"]`), so minimatch would misread them.
 */
export function wildcard(pattern: string): (value: string) => boolean {
  if (!pattern.includes('*')) return (value) => value === pattern;
  const source = pattern
    .split('*')
    .map((part) => part.replace(/[\\^$.|?+()[\]{}]/g, '\\$&'))
    .join('.*');
  const regex = new RegExp(`^${source}$`, 's');
  return (value) => regex.test(value);
}

/**
 * Parses `POLICY:ADDRESS` as given to `--approve` (the policy id never holds a colon; the address
 * may). Either side may use `*` wildcards.
 */
export function parseApproval(spec: string, by = 'command line (--approve)'): Approval {
  const colon = spec.indexOf(':');
  const policy = colon < 0 ? '' : spec.slice(0, colon).trim();
  const resource = colon < 0 ? '' : spec.slice(colon + 1).trim();
  if (!policy || !resource) {
    throw new ParapetError(
      'PARAPET_USAGE',
      `--approve: "${spec}" is not POLICY:ADDRESS (for example tf-destroy-protected:aws_db_instance.orders)`,
    );
  }
  return { policy, resource, by };
}

/**
 * Findings an explicit approval covers become `approved`, keeping who approved them; reports still
 * show them. An approval that covers nothing is reported as a notice: it is most likely a typo, and
 * a silent no-op would leave the change blocked without saying why.
 */
export function applyApprovals(findings: Finding[], approvals: Approval[], notices?: Notice[]): void {
  if (approvals.length === 0) return;
  const matchers = approvals.map((approval) => ({
    approval,
    policy: wildcard(approval.policy),
    resource: wildcard(approval.resource),
    used: false,
  }));
  for (const finding of findings) {
    if (!approvable.has(finding.status)) continue;
    const matcher = matchers.find((m) => m.policy(finding.policyId) && m.resource(finding.resource.id));
    if (!matcher) continue;
    matcher.used = true;
    finding.status = 'approved';
    finding.approval = matcher.approval;
  }
  if (!notices) return;
  for (const matcher of matchers) {
    if (matcher.used) continue;
    notices.push({
      level: 'warning',
      code: 'approval-unused',
      message: `approval ${matcher.approval.policy}:${matcher.approval.resource} (${matcher.approval.by}) matches no finding`,
    });
  }
}
