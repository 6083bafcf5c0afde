import { createColors } from 'picocolors';
import type { Finding, FindingStatus } from '../model/finding.js';
import type { Severity } from '../model/policy.js';
import type { Result } from '../model/result.js';
import type { Reporter } from './types.js';

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
export const textReporter: Reporter = {
  name: 'text',
  description: 'Readable report grouped by resource (colour on a TTY unless NO_COLOR is set)',
  machine: false,
  render(result: Result, options) {
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
    const lines: string[] = [];
    let file: string | undefined;
    let resource: string | undefined;
    for (const finding of result.findings as Finding[]) {
      if (finding.resource.file !== file) {
        file = finding.resource.file;
        resource = undefined;
        if (lines.length) lines.push('');
        lines.push(c.bold(c.underline(file)));
      }
      if (finding.resource.id !== resource) {
        resource = finding.resource.id;
        lines.push(
          `  ${c.bold(resource)} ${c.dim(finding.resource.kind === finding.resource.source ? `(${finding.resource.kind})` : `(${finding.resource.kind}, ${finding.resource.source})`)}`,
        );
      }
      const label = statusLabel[finding.status].padEnd(8);
      const where = c.dim(
        finding.path
          ? ` (at ${finding.path}, line ${finding.resource.line})`
          : ` (line ${finding.resource.line})`,
      );
      lines.push(
        `    ${paintStatus(finding.status, label)} ${paintSeverity(finding.severity, finding.severity.padEnd(8))} ${c.cyan(finding.policyId)}`,
      );
      lines.push(`      ${finding.message}${where}`);
      if (finding.waiver)
        lines.push(
          `      ${c.dim(`waived by ${finding.waiver.owner} until ${finding.waiver.expires}: ${finding.waiver.reason}`)}`,
        );
      if (finding.approval) lines.push(`      ${c.dim(`approved by ${finding.approval.by}`)}`);
      if (finding.unknownPaths)
        lines.push(
          `      ${c.dim(`depends on values known only after apply: ${finding.unknownPaths.join(', ')}`)}`,
        );
    }
    for (const notice of result.notices) {
      if (notice.level === 'warning')
        lines.push(`${lines.length ? '\n' : ''}${c.yellow('warning:')} ${notice.message}`);
    }
    const s = result.summary;
    const counts = (['fail', 'error', 'unknown', 'warn', 'audit', 'approved', 'waived'] as const)
      .filter((status) => s.byStatus[status] > 0)
      .map((status) => paintStatus(status, `${s.byStatus[status]} ${status === 'fail' ? 'failed' : status}`));
    const skipped = result.notices.filter(
      (n) => n.code === 'not-kubernetes' || n.code === 'not-recognised',
    ).length;
    if (lines.length) lines.push('');
    lines.push(
      `${plural(s.resources, 'resource')} checked against ${plural(s.policies, 'policy').replace('policys', 'policies')}: ` +
        (counts.length ? counts.join(', ') : c.green('no findings')) +
        (skipped ? c.dim(` (${plural(skipped, 'document')} skipped: not Kubernetes objects)`) : ''),
    );
    return lines.join('\n') + '\n';
  },
};
