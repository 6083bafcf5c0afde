import type { Finding } from '../model/finding.js';
import { fingerprintOf } from '../model/result.js';
import type { Reporter } from './types.js';

/** The stable JSON report, version 1 (documented in the README). Key order is fixed. */
function findingJson(finding: Finding): Record<string, unknown> {
  const out: Record<string, unknown> = {
    policyId: finding.policyId,
    severity: finding.severity,
    status: finding.status,
    message: finding.message,
    path: finding.path,
    resource: finding.resource,
    fingerprint: fingerprintOf(finding),
  };
  if (finding.unknownPaths) out.unknownPaths = finding.unknownPaths;
  if (finding.waiver) out.waiver = finding.waiver;
  if (finding.approval) out.approval = finding.approval;
  if (finding.baseline) out.baseline = true;
  if (finding.details) out.details = finding.details;
  return out;
}

export const jsonReporter: Reporter = {
  name: 'json',
  description: 'Stable JSON report (version 1): summary, every resource evaluated, every finding',
  machine: true,
  render(result) {
    const report: Record<string, unknown> = {
      version: 1,
      summary: result.summary,
      resources: result.resources,
      findings: result.findings.map(findingJson),
      notices: result.notices,
    };
    for (const [key, value] of Object.entries(result.extras)) report[key] = value;
    return JSON.stringify(report, null, 2) + '\n';
  },
};
