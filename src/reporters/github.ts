import type { Finding } from '../model/finding.js';
import type { Result } from '../model/result.js';
import { defineReporter, PIECE_CHARS, type Reporter } from './types.js';

/**
 * GitHub Actions workflow commands: `::error file=...,line=...,title=...::message` lines that the
 * runner turns into annotations on the changed files of a pull request. Only findings someone must
 * act on are annotated (GitHub shows at most 10 errors and 10 warnings per step, so noise hides
 * signal); a summary line and warning notices close the output.
 */

/** Escaping for the message part of a workflow command (after `::`). */
export function escapeData(text: string): string {
  return text.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A');
}

/** Escaping for a property value (`file=`, `title=`): also `:` and `,`, which delimit properties. */
export function escapeProperty(text: string): string {
  return escapeData(text).replace(/:/g, '%3A').replace(/,/g, '%2C');
}

function command(finding: Finding): string | undefined {
  let level: 'error' | 'warning' | 'notice';
  switch (finding.status) {
    case 'fail':
      level = finding.baseline ? 'notice' : 'error';
      break;
    case 'error':
      level = 'error';
      break;
    case 'warn':
    case 'unknown':
      level = 'warning';
      break;
    default:
      return undefined; // waived, approved and audit findings are accepted or informational
  }
  const properties = [
    `file=${escapeProperty(finding.resource.file.replace(/\\/g, '/').replace(/^\.\//, ''))}`,
  ];
  if (finding.resource.line > 0) properties.push(`line=${finding.resource.line}`);
  const known = finding.baseline ? ', known from baseline' : '';
  properties.push(`title=${escapeProperty(`${finding.policyId} (${finding.severity}${known})`)}`);
  const detail = finding.unknownPaths?.length
    ? ` [unknown until apply: ${finding.unknownPaths.join(', ')}]`
    : '';
  return `::${level} ${properties.join(',')}::${escapeData(`${finding.resource.id}: ${finding.message}${detail}`)}`;
}

export const githubReporter: Reporter = defineReporter({
  name: 'github',
  description: 'GitHub Actions workflow commands: annotations on the changed files',
  machine: true,
  *chunks(result: Result) {
    let lines: string[] = [];
    for (const notice of result.notices) {
      if (notice.level !== 'error') continue;
      const where = notice.file
        ? ` file=${escapeProperty(notice.file)},${notice.line !== undefined ? `line=${notice.line},` : ''}`
        : ' ';
      lines.push(`::error${where}title=parapet (input not checked)::${escapeData(notice.message)}`);
    }
    let chars = 0;
    for (const finding of result.findings) {
      const line = command(finding);
      if (!line) continue;
      lines.push(line);
      chars += line.length;
      if (chars >= PIECE_CHARS) {
        yield `${lines.join('\n')}\n`;
        lines = [];
        chars = 0;
      }
    }
    for (const notice of result.notices) {
      if (notice.level !== 'warning') continue;
      const file = notice.file ? ` file=${escapeProperty(notice.file)},` : ' ';
      lines.push(`::warning${file}title=parapet::${escapeData(notice.message)}`);
    }
    const s = result.summary.byStatus;
    const parts = [
      `${s.fail} failed`,
      `${s.error} errors`,
      `${s.unknown} unknown`,
      `${s.warn} warnings`,
      `${s.audit} audit`,
      `${s.waived} waived`,
      `${s.approved} approved`,
    ];
    const baseline = result.summary.baseline;
    if (baseline) parts.push(`${baseline.new} new, ${baseline.known} known from the baseline`);
    const unreadable = result.notices.filter((notice) => notice.level === 'error').length;
    if (unreadable) parts.unshift(`${unreadable} unreadable inputs`);
    lines.push(
      `parapet: ${result.summary.resources} resources, ${result.summary.policies} policies: ${parts.join(', ')}`,
    );
    yield `${lines.join('\n')}\n`;
  },
});
