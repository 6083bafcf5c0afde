import type { Finding, FindingStatus } from '../model/finding.js';
import { severities, severityRank } from '../model/policy.js';
import type { Result } from '../model/result.js';
import { defineReporter, type Reporter, type ReportOptions } from './types.js';

/**
 * Markdown for a pull-request comment: verdict, summary table, the cost delta when a cost estimate
 * ran, the findings that need attention first, then everything else in collapsible sections. Kept
 * under GitHub's 65,536-character comment limit by truncating the detail sections, never the summary.
 */

/** Comfortably below GitHub's comment limit, leaving room for the footer and for wrappers. */
const MAX_CHARS = 60_000;
const TOP_FINDINGS = 15;

const statusIcon: Record<FindingStatus, string> = {
  fail: '❌',
  error: '💥',
  unknown: '❔',
  warn: '⚠️',
  audit: '📝',
  approved: '✔️',
  waived: '🛡️',
};

/** Text safe inside a table cell or a list item: no markup, no table breaks, one line. */
export function mdText(text: string): string {
  return text
    .replace(/\r?\n/g, ' ')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_[\]|#~])/g, '\\$1');
}

/** A code span that survives backticks in the content. */
function code(text: string): string {
  const clean = text.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  return clean.includes('`') ? `\`\` ${clean} \`\`` : `\`${clean}\``;
}

function gating(finding: Finding): boolean {
  return (finding.status === 'fail' && !finding.baseline) || finding.status === 'error';
}

function location(finding: Finding): string {
  return code(`${finding.resource.file}:${finding.resource.line}`);
}

export interface CostLine {
  id: string;
  before: number | null;
  after: number | null;
  delta: number | null;
  reason?: string;
}

export interface CostSummary {
  currency: string;
  before: number | null;
  after: number | null;
  delta: number | null;
  lines: CostLine[];
}

function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

/** Reads `result.extras.cost` ({ currency, monthlyBefore, monthlyAfter, delta, resources? } or under `totals`). */
export function costSummary(extras: Record<string, unknown>): CostSummary | undefined {
  const cost = extras.cost as Record<string, unknown> | undefined;
  if (!cost || typeof cost !== 'object') return undefined;
  const totals = (typeof cost.totals === 'object' && cost.totals !== null ? cost.totals : cost) as Record<
    string,
    unknown
  >;
  const before = num(totals.monthlyBefore);
  const after = num(totals.monthlyAfter);
  const delta = num(totals.delta) ?? (before !== null && after !== null ? after - before : null);
  if (before === null && after === null && delta === null) return undefined;
  const list = Array.isArray(cost.resources) ? (cost.resources as Array<Record<string, unknown>>) : [];
  return {
    currency:
      typeof totals.currency === 'string'
        ? totals.currency
        : typeof cost.currency === 'string'
          ? cost.currency
          : 'USD',
    before,
    after,
    delta,
    lines: list.map((entry) => ({
      id: String(entry.id ?? entry.address ?? entry.resource ?? '?'),
      before: num(entry.monthlyBefore),
      after: num(entry.monthlyAfter),
      delta: num(entry.delta),
      reason: typeof entry.unknownReason === 'string' ? entry.unknownReason : undefined,
    })),
  };
}

export function money(value: number | null, currency: string, signed = false): string {
  if (value === null) return 'unknown';
  const formatted = new Intl.NumberFormat('en-US', {
    style: 'currency',
    currency,
    minimumFractionDigits: 2,
  }).format(Math.abs(value));
  if (!signed) return value < 0 ? `-${formatted}` : formatted;
  return value > 0 ? `+${formatted}` : value < 0 ? `-${formatted}` : formatted;
}

function costSection(cost: CostSummary): string[] {
  const percent =
    cost.before && cost.delta !== null
      ? ` (${cost.delta >= 0 ? '+' : ''}${((cost.delta / cost.before) * 100).toFixed(1)}%)`
      : '';
  const out = [
    '### 💰 Cost',
    '',
    `Monthly cost: ${money(cost.before, cost.currency)} → ${money(cost.after, cost.currency)}, **${money(cost.delta, cost.currency, true)}/month**${percent}`,
  ];
  const known = cost.lines.filter((line) => line.delta !== null && line.delta !== 0);
  known.sort((a, b) => Math.abs(b.delta!) - Math.abs(a.delta!) || (a.id < b.id ? -1 : 1));
  const unknown = cost.lines.filter((line) => line.delta === null);
  if (known.length) {
    out.push('', '| Resource | Before | After | Change |', '| --- | ---: | ---: | ---: |');
    for (const line of known.slice(0, 10)) {
      out.push(
        `| ${code(line.id)} | ${money(line.before, cost.currency)} | ${money(line.after, cost.currency)} | ${money(line.delta, cost.currency, true)} |`,
      );
    }
    if (known.length > 10) out.push('', `…and ${known.length - 10} more resources with a cost change.`);
  }
  if (unknown.length) {
    out.push(
      '',
      `Not estimated (${unknown.length}): ${unknown.map((line) => `${code(line.id)}${line.reason ? ` (${mdText(line.reason)})` : ''}`).join(', ')}`,
    );
  }
  return out;
}

export const markdownReporter: Reporter = defineReporter({
  name: 'markdown',
  description: 'Markdown for a pull-request comment: summary, top findings, collapsible details, cost delta',
  machine: false,
  *chunks(result: Result, options) {
    yield markdownReport(result, options);
  },
});

/** The comment is capped at MAX_CHARS, so it is built whole; only counts and references scale with findings. */
function markdownReport(result: Result, options: ReportOptions): string {
  const s = result.summary;
  let failingCount = 0;
  for (const finding of result.findings) if (gating(finding)) failingCount += 1;
  const unreadable = result.notices.filter((notice) => notice.level === 'error');
  const out: string[] = [];
  const verdict = unreadable.length
    ? `⛔ ${unreadable.length} input${unreadable.length === 1 ? '' : 's'} could not be checked`
    : failingCount
      ? `❌ ${failingCount} finding${failingCount === 1 ? '' : 's'} must be fixed`
      : '✅ no failing findings';
  out.push(`## parapet: ${verdict}`, '');
  const failOn =
    options.failOn && options.failOn !== 'info' ? ` · gate: ${code(options.failOn)} and above` : '';
  out.push(`Checked **${s.resources}** resources against **${s.policies}** policies${failOn}.`, '');
  if (s.baseline)
    out.push(
      `**${s.baseline.new}** new finding${s.baseline.new === 1 ? '' : 's'}, **${s.baseline.known}** known from the baseline (known findings do not fail the run).`,
      '',
    );
  if (unreadable.length) {
    out.push('### ⛔ Inputs not checked', '');
    for (const notice of unreadable.slice(0, TOP_FINDINGS)) out.push(`- ${mdText(notice.message)}`);
    if (unreadable.length > TOP_FINDINGS) out.push(`- …and ${unreadable.length - TOP_FINDINGS} more`);
    out.push('');
  }

  const statuses: FindingStatus[] = ['fail', 'error', 'unknown', 'warn', 'audit', 'waived', 'approved'];
  const shown = statuses.filter((status) => s.byStatus[status] > 0);
  if (shown.length) {
    const counts = new Map<string, number>();
    for (const finding of result.findings)
      counts.set(
        `${finding.severity}\0${finding.status}`,
        (counts.get(`${finding.severity}\0${finding.status}`) ?? 0) + 1,
      );
    out.push(`| Severity | ${shown.map((status) => `${statusIcon[status]} ${status}`).join(' | ')} |`);
    out.push(`| --- | ${shown.map(() => '---:').join(' | ')} |`);
    for (const severity of severities) {
      if (s.bySeverity[severity] === 0) continue;
      out.push(
        `| ${severity} | ${shown.map((status) => counts.get(`${severity}\0${status}`) ?? 0).join(' | ')} |`,
      );
    }
    out.push('');
  }

  const cost = costSummary(result.extras);
  if (cost) out.push(...costSection(cost), '');

  const attention = result.findings
    .filter((finding) => gating(finding) || finding.status === 'unknown' || finding.status === 'warn')
    .sort(
      (a, b) => Number(gating(b)) - Number(gating(a)) || severityRank(a.severity) - severityRank(b.severity),
    );
  if (attention.length) {
    out.push(
      '### Needs attention',
      '',
      '| | Severity | Policy | Resource | Where | Message |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const finding of attention.slice(0, TOP_FINDINGS)) {
      out.push(
        `| ${statusIcon[finding.status]} | ${finding.severity} | ${code(finding.policyId)} | ${code(finding.resource.id)} | ${location(finding)} | ${mdText(finding.message)} |`,
      );
    }
    if (attention.length > TOP_FINDINGS) out.push('', `…and ${attention.length - TOP_FINDINGS} more below.`);
    out.push('');
  }

  const footer = `<sub>${options.tool ? `${mdText(options.tool.name)} ${mdText(options.tool.version)}` : 'parapet'}${options.now ? ` · ${options.now.toISOString().slice(0, 16).replace('T', ' ')} UTC` : ''}</sub>`;
  const policies = new Map(result.policies.map((policy) => [policy.id, policy]));
  // Waivers and notices are capped on their own so a long finding list cannot crowd them out.
  const capped = (title: string, header: string[], items: string[], cap: number): string[] => {
    if (items.length === 0) return [];
    const lines = [`<details><summary>${title} (${items.length})</summary>`, '', ...header];
    let size = lines.join('\n').length;
    let left = 0;
    for (const item of items) {
      if (size + item.length + 1 > cap) left += 1;
      else {
        lines.push(item);
        size += item.length + 1;
      }
    }
    if (left) lines.push('', `…${left} more not shown; see the full report.`);
    return [...lines, '', '</details>', ''];
  };
  const waived = result.findings.filter((finding) => finding.waiver);
  const waiverLines = capped(
    'Waivers in use',
    ['| Policy | Resource | Owner | Expires | Reason | Ticket |', '| --- | --- | --- | --- | --- | --- |'],
    waived.map((finding) => {
      const w = finding.waiver!;
      return `| ${code(finding.policyId)} | ${code(finding.resource.id)} | ${mdText(w.owner)} | ${w.expires || 'never'} | ${mdText(w.reason)} | ${w.ticket ? mdText(w.ticket) : ''} |`;
    }),
    8_000,
  );
  const noticeLines = capped(
    'Notices',
    [],
    result.notices
      .filter((notice) => notice.level !== 'error')
      .map((notice) => `- ${notice.level === 'warning' ? '⚠️' : 'ℹ️'} ${mdText(notice.message)}`),
    6_000,
  );

  const details: string[] = [];
  let used = [...out, ...waiverLines, ...noticeLines, footer].join('\n').length + 200;
  if (result.findings.length) {
    details.push(`<details><summary>All findings (${result.findings.length})</summary>`, '');
    let file: string | undefined;
    let truncated = 0;
    for (const finding of result.findings) {
      // Once the budget is spent the rest are only counted (no text built for them).
      if (used > MAX_CHARS - 120) {
        truncated += 1;
        continue;
      }
      const item = `- ${statusIcon[finding.status]} **${finding.severity}** ${code(finding.policyId)} ${code(finding.resource.id)}: ${mdText(finding.message)} (line ${finding.resource.line}${finding.path ? `, ${code(finding.path)}` : ''})${finding.baseline ? ' · known from baseline' : ''}`;
      const policy = policies.get(finding.policyId);
      const fix =
        policy?.remediation && (finding.status === 'fail' || finding.status === 'warn')
          ? [
              `  - Fix: ${mdText(policy.remediation)}${policy.references[0] ? ` ([reference](${encodeURI(policy.references[0])}))` : ''}`,
            ]
          : [];
      const heading = finding.resource.file !== file ? ['', `#### ${code(finding.resource.file)}`, ''] : [];
      const lines = [...heading, item, ...fix];
      // A running total: recounting the joined text for every item would be quadratic.
      const size = lines.reduce((n, line) => n + line.length + 1, 0);
      if (used + size > MAX_CHARS) {
        truncated += 1;
        continue;
      }
      used += size;
      file = finding.resource.file;
      details.push(...lines);
    }
    if (truncated)
      details.push(
        '',
        `…${truncated} more findings not shown; see the full report (\`--format html=report.html\`).`,
      );
    details.push('', '</details>', '');
  }
  details.push(...waiverLines, ...noticeLines);

  return `${[...out, ...details, footer].join('\n')}\n`;
}
