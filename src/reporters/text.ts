import { createColors } from 'picocolors';
import type { Finding, FindingStatus } from '../model/finding.js';
import type { Severity } from '../model/policy.js';
import type { Result } from '../model/result.js';
import { defineReporter, PIECE_CHARS, type Reporter } from './types.js';

const statusLabel: Record<FindingStatus, string> = {
  fail: 'FAIL',
  error: 'ERROR',
  unknown: 'UNKNOWN',
  warn: 'WARN',
  audit: 'AUDIT',
  approved: 'APPROVED',
  waived: 'WAIVED',
};

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Human-readable report: findings grouped by file and resource, then a summary line. */
export const textReporter: Reporter = defineReporter({
  name: 'text',
  description: 'Readable report grouped by resource (colour on a TTY unless NO_COLOR is set)',
  machine: false,
  *chunks(result: Result, options) {
    const c = createColors(options.color ?? false);
    const paintStatus = (status: FindingStatus, text: string) =>
      status === 'fail' || status === 'error'
        ? c.red(c.bold(text))
        : status === 'unknown' || status === 'warn'
          ? c.yellow(text)
          : c.dim(text);
    const paintSeverity = (severity: Severity, text: string) =>
      severity === 'critical' || severity === 'high'
        ? c.red(text)
        : severity === 'medium'
          ? c.yellow(text)
          : c.dim(text);
    // Lines are handed out in pieces: a million findings never become one string here.
    let lines: string[] = [];
    let chars = 0;
    let written = false;
    const add = (line: string) => {
      lines.push(line);
      chars += line.length;
    };
    const flush = function* () {
      if (lines.length === 0) return;
      yield `${written ? '\n' : ''}${lines.join('\n')}`;
      written = true;
      lines = [];
      chars = 0;
    };
    const empty = () => !written && lines.length === 0;
    // Inputs that could not be read come first: the findings below are missing theirs.
    for (const notice of result.notices) {
      if (notice.level === 'error') add(`${c.red(c.bold('error:'))} ${notice.message}`);
    }
    let file: string | undefined;
    let resource: string | undefined;
    for (const finding of result.findings as Finding[]) {
      if (chars >= PIECE_CHARS) yield* flush();
      if (finding.resource.file !== file) {
        file = finding.resource.file;
        resource = undefined;
        if (!empty()) add('');
        add(c.bold(c.underline(file)));
      }
      if (finding.resource.id !== resource) {
        resource = finding.resource.id;
        add(
          `  ${c.bold(resource)} ${c.dim(finding.resource.kind === finding.resource.source ? `(${finding.resource.kind})` : `(${finding.resource.kind}, ${finding.resource.source})`)}`,
        );
      }
      // A finding the baseline knows is shown as KNOWN: only new findings read as FAIL.
      const label = (finding.baseline ? 'KNOWN' : statusLabel[finding.status]).padEnd(8);
      const where = c.dim(
        finding.path
          ? ` (at ${finding.path}, line ${finding.resource.line})`
          : ` (line ${finding.resource.line})`,
      );
      add(
        `    ${finding.baseline ? c.dim(label) : paintStatus(finding.status, label)} ${paintSeverity(finding.severity, finding.severity.padEnd(8))} ${c.cyan(finding.policyId)}`,
      );
      add(`      ${finding.message}${where}`);
      if (finding.waiver)
        add(
          `      ${c.dim(`waived by ${finding.waiver.owner} until ${finding.waiver.expires}: ${finding.waiver.reason}`)}`,
        );
      if (finding.approval) add(`      ${c.dim(`approved by ${finding.approval.by}`)}`);
      if (finding.unknownPaths)
        add(`      ${c.dim(`depends on values known only after apply: ${finding.unknownPaths.join(', ')}`)}`);
    }
    for (const notice of result.notices) {
      if (notice.level === 'warning') add(`${empty() ? '' : '\n'}${c.yellow('warning:')} ${notice.message}`);
    }
    const s = result.summary;
    // With a baseline, the status counts are of new findings and the known ones are counted apart.
    const byStatus = s.baseline ? newByStatus(result.findings) : s.byStatus;
    const counts = (['fail', 'error', 'unknown', 'warn', 'audit', 'approved', 'waived'] as const)
      .filter((status) => byStatus[status] > 0)
      .map((status) => paintStatus(status, `${byStatus[status]} ${status === 'fail' ? 'failed' : status}`));
    if (s.baseline?.known) counts.push(c.dim(`${s.baseline.known} known from the baseline`));
    const inputErrors = result.notices.filter((n) => n.level === 'error').length;
    if (inputErrors) counts.unshift(c.red(c.bold(plural(inputErrors, 'unreadable input'))));
    const skipped = result.notices.filter(
      (n) => n.code === 'not-kubernetes' || n.code === 'not-recognised',
    ).length;
    if (!empty()) add('');
    const verdict = counts.length
      ? counts.join(', ')
      : c.green(s.baseline ? 'no new findings' : 'no findings');
    add(
      `${plural(s.resources, 'resource')} checked against ${plural(s.policies, 'policy').replace('policys', 'policies')}: ` +
        verdict +
        (skipped ? c.dim(` (${plural(skipped, 'document')} skipped: not Kubernetes objects)`) : ''),
    );
    yield* flush();
    yield '\n';
  },
});

/** Counts by status of the findings a baseline does not know. */
function newByStatus(findings: readonly Finding[]): Record<FindingStatus, number> {
  const counts: Record<FindingStatus, number> = {
    fail: 0,
    warn: 0,
    audit: 0,
    unknown: 0,
    waived: 0,
    approved: 0,
    error: 0,
  };
  for (const finding of findings) if (!finding.baseline) counts[finding.status] += 1;
  return counts;
}
