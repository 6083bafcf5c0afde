import { minimatch } from 'minimatch';
import type { Approval, Finding } from '../model/finding.js';

/** Findings an explicit approval covers become `approved`, keeping who approved them. */
export function applyApprovals(findings: Finding[], approvals: Approval[]): void {
  if (approvals.length === 0) return;
  for (const finding of findings) {
    if (finding.status !== 'fail' && finding.status !== 'warn' && finding.status !== 'unknown') continue;
    const approval = approvals.find(
      (candidate) => minimatch(finding.policyId, candidate.policy) && minimatch(finding.resource.id, candidate.resource, { dot: true }),
    );
    if (approval) {
      finding.status = 'approved';
      finding.approval = approval;
    }
  }
}
