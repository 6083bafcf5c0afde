import type { Finding } from '../model/finding.js';
import { fingerprintOf } from '../model/result.js';
import { jsonChunks, JsonStream } from './json-stream.js';
import { defineReporter, type Reporter } from './types.js';

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

function* findingsJson(findings: Finding[]): Generator<Record<string, unknown>> {
  for (const finding of findings) yield findingJson(finding);
}

export const jsonReporter: Reporter = defineReporter({
  name: 'json',
  description: 'Stable JSON report (version 1): summary, every resource evaluated, every finding',
  machine: true,
  *chunks(result) {
    const report: Record<string, unknown> = {
      version: 1,
      summary: result.summary,
      resources: new JsonStream(result.resources),
      findings: new JsonStream(findingsJson(result.findings)),
      notices: result.notices,
    };
    for (const [key, value] of Object.entries(result.extras)) report[key] = value;
    yield* jsonChunks(report);
    yield '\n';
  },
});
