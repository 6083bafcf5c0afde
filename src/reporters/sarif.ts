import type { Finding } from '../model/finding.js';
import type { PolicyInfo, Severity } from '../model/policy.js';
import { fingerprintOf, type Notice, type Result } from '../model/result.js';
import { jsonChunks, JsonStream } from './json-stream.js';
import { defineReporter, type Reporter } from './types.js';

/**
 * SARIF 2.1.0 for GitHub code scanning and other SARIF viewers. Policies become rules (with help
 * text and GitHub's `security-severity`), findings become results located at file and line, waived
 * and approved findings carry a SARIF suppression (code scanning then shows them as dismissed), and
 * findings a policy could not evaluate become tool execution notifications, not results.
 */

/** GitHub maps `security-severity` scores to its own levels: >= 9 critical, >= 7 high, >= 4 medium, else low. */
const securitySeverity: Record<Severity, string | undefined> = {
  critical: '9.5',
  high: '8.0',
  medium: '5.5',
  low: '3.0',
  info: undefined,
};

type SarifLevel = 'error' | 'warning' | 'note' | 'none';

const severityLevel: Record<Severity, SarifLevel> = {
  critical: 'error',
  high: 'error',
  medium: 'warning',
  low: 'note',
  info: 'note',
};

/** The level a finding is shown at: severity for enforced failures, softer for warn/audit/unknown. */
function resultLevel(finding: Finding): SarifLevel {
  switch (finding.status) {
    case 'fail':
    case 'waived':
    case 'approved':
      return severityLevel[finding.severity];
    case 'warn':
    case 'unknown':
      return 'warning';
    default:
      return 'note';
  }
}

/** A relative path as a URI reference (forward slashes, percent-encoded); absolute paths as file URIs. */
export function artifactUri(file: string): { uri: string; uriBaseId?: string } {
  const slashed = file.replace(/\\/g, '/');
  if (/^[A-Za-z]:\//.test(slashed)) return { uri: `file:///${encodeURI(slashed)}` };
  if (slashed.startsWith('/')) return { uri: `file://${encodeURI(slashed)}` };
  return { uri: encodeURI(slashed.replace(/^\.\//, '')), uriBaseId: '%SRCROOT%' };
}

function ruleOf(policy: PolicyInfo): Record<string, unknown> {
  const markdown = [
    `**${policy.title}** (${policy.severity}, ${policy.category})`,
    policy.description ?? '',
    policy.remediation ? `**Remediation:** ${policy.remediation}` : '',
    policy.references.length
      ? `**References:**\n${policy.references.map((ref) => `- <${ref}>`).join('\n')}`
      : '',
  ].filter(Boolean);
  const text = [
    policy.title,
    policy.description ?? '',
    policy.remediation ? `Remediation: ${policy.remediation}` : '',
    policy.references.length ? `References: ${policy.references.join(' ')}` : '',
  ].filter(Boolean);
  const properties: Record<string, unknown> = {
    tags: [...new Set([policy.category, ...policy.tags])],
    precision: 'high',
    'parapet-severity': policy.severity,
  };
  const score = securitySeverity[policy.severity];
  if (score !== undefined && policy.category === 'security') properties['security-severity'] = score;
  const rule: Record<string, unknown> = {
    id: policy.id,
    name: policy.id.replace(/(^|[-.])([a-z0-9])/g, (_, _sep: string, ch: string) => ch.toUpperCase()),
    shortDescription: { text: policy.title },
    fullDescription: { text: policy.description ?? policy.title },
    help: { text: text.join('\n\n'), markdown: markdown.join('\n\n') },
    defaultConfiguration: { level: severityLevel[policy.severity] },
    properties,
  };
  if (policy.references[0]) rule.helpUri = policy.references[0];
  return rule;
}

function locationOf(finding: Finding): Record<string, unknown> {
  return {
    physicalLocation: {
      artifactLocation: artifactUri(finding.resource.file),
      region: { startLine: Math.max(1, finding.resource.line) },
    },
    logicalLocations: [
      {
        fullyQualifiedName: finding.path ? `${finding.resource.id}#${finding.path}` : finding.resource.id,
        name: finding.resource.id,
        kind: 'resource',
      },
    ],
  };
}

function resultOf(finding: Finding, ruleIndex: number, withBaseline: boolean): Record<string, unknown> {
  const result: Record<string, unknown> = {
    ruleId: finding.policyId,
    ruleIndex,
    kind: finding.status === 'unknown' ? 'review' : 'fail',
    level: resultLevel(finding),
    message: { text: finding.message },
    locations: [locationOf(finding)],
    partialFingerprints: { 'parapetFingerprint/v1': fingerprintOf(finding) },
  };
  if (withBaseline) result.baselineState = finding.baseline ? 'unchanged' : 'new';
  if (finding.waiver) {
    const waiver = finding.waiver;
    result.suppressions = [
      {
        kind: waiver.origin === 'annotation' ? 'inSource' : 'external',
        status: 'accepted',
        justification: `${waiver.reason} (owner ${waiver.owner}, expires ${waiver.expires}${waiver.ticket ? `, ${waiver.ticket}` : ''})`,
      },
    ];
  } else if (finding.approval) {
    result.suppressions = [
      { kind: 'external', status: 'accepted', justification: `approved by ${finding.approval.by}` },
    ];
  }
  const properties: Record<string, unknown> = {
    status: finding.status,
    severity: finding.severity,
    mode: finding.mode,
    resource: finding.resource.id,
    resourceKind: finding.resource.kind,
    source: finding.resource.source,
    path: finding.path,
  };
  if (finding.unknownPaths) properties.unknownPaths = finding.unknownPaths;
  if (finding.baseline) properties.baseline = true;
  result.properties = properties;
  return result;
}

function noticeNotification(notice: Notice): Record<string, unknown> {
  const notification: Record<string, unknown> = {
    level: notice.level === 'info' ? 'note' : notice.level,
    message: { text: notice.message },
    descriptor: { id: notice.code },
  };
  if (notice.file) {
    const location: Record<string, unknown> = { artifactLocation: artifactUri(notice.file) };
    if (notice.line !== undefined) location.region = { startLine: Math.max(1, notice.line) };
    notification.locations = [{ physicalLocation: location }];
  }
  return notification;
}

function errorNotification(finding: Finding, ruleIndex: number): Record<string, unknown> {
  return {
    level: 'error',
    message: { text: `${finding.policyId} on ${finding.resource.id}: ${finding.message}` },
    locations: [locationOf(finding)],
    associatedRule: { id: finding.policyId, index: ruleIndex },
  };
}

function* sarifResults(
  findings: Finding[],
  index: Map<string, number>,
  withBaseline: boolean,
): Generator<Record<string, unknown>> {
  for (const finding of findings)
    if (finding.status !== 'error') yield resultOf(finding, index.get(finding.policyId) ?? 0, withBaseline);
}

function* notifications(result: Result, index: Map<string, number>): Generator<Record<string, unknown>> {
  for (const notice of result.notices) if (notice.level === 'error') yield noticeNotification(notice);
  for (const finding of result.findings)
    if (finding.status === 'error') yield errorNotification(finding, index.get(finding.policyId) ?? 0);
  for (const notice of result.notices) if (notice.level !== 'error') yield noticeNotification(notice);
}

export const sarifReporter: Reporter = defineReporter({
  name: 'sarif',
  description: 'SARIF 2.1.0 for GitHub code scanning and other SARIF viewers',
  machine: true,
  *chunks(result: Result, options) {
    const policies = [...result.policies].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const index = new Map(policies.map((policy, i) => [policy.id, i]));
    // A finding whose policy is not listed (should not happen) still needs a rule to point at.
    for (const finding of result.findings) {
      if (index.has(finding.policyId)) continue;
      index.set(finding.policyId, policies.length);
      policies.push({
        id: finding.policyId,
        title: finding.policyId,
        severity: finding.severity,
        category: 'unknown',
        tags: [],
        references: [],
        file: '',
        builtin: false,
      });
    }
    const withBaseline = result.findings.some((finding) => finding.baseline);
    const failed =
      result.findings.some((finding) => finding.status === 'error') ||
      result.notices.some((notice) => notice.level === 'error');
    const tool = options.tool ?? { name: 'parapet', version: '0.0.0' };
    const run: Record<string, unknown> = {
      tool: {
        driver: {
          name: tool.name,
          version: tool.version,
          semanticVersion: tool.version,
          rules: policies.map(ruleOf),
        },
      },
      invocations: [
        {
          executionSuccessful: !failed,
          toolExecutionNotifications: new JsonStream(notifications(result, index)),
        },
      ],
      results: new JsonStream(sarifResults(result.findings, index, withBaseline)),
      columnKind: 'unicodeCodePoints',
      properties: { summary: result.summary },
    };
    const log = {
      $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
      version: '2.1.0',
      runs: [run],
    };
    yield* jsonChunks(log);
    yield '\n';
  },
});
