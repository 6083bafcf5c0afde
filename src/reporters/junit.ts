import type { Finding } from '../model/finding.js';
import type { Notice, Result } from '../model/result.js';
import { defineReporter, PIECE_CHARS, type Reporter } from './types.js';

/**
 * JUnit XML for CI test tabs (GitLab, Jenkins, Azure DevOps): one test suite per input file, one
 * test case per policy and resource. Enforced failures are `<failure>`, policies that could not run
 * are `<error>`, accepted or non-gating findings (waived, approved, baseline-known, unknown) are
 * `<skipped>` with the reason, warn/audit findings pass with the finding in `<system-out>`.
 */

/** XML 1.0 text: escape markup and drop characters XML cannot carry at all. */
export function xmlEscape(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;');
}

interface Case {
  file: string;
  resource: string;
  policy: string;
  findings: Finding[];
}

function describe(finding: Finding): string {
  const where = `${finding.resource.file}:${finding.resource.line}${finding.path ? ` ${finding.path}` : ''}`;
  return `[${finding.severity}] ${finding.message} (${where})`;
}

function skipReason(finding: Finding): string | undefined {
  if (finding.waiver) {
    const w = finding.waiver;
    return `waived by ${w.owner} until ${w.expires || 'no expiry'}: ${w.reason}${w.ticket ? ` (${w.ticket})` : ''}`;
  }
  if (finding.approval) return `approved by ${finding.approval.by}`;
  if (finding.baseline) return 'known from the baseline';
  if (finding.status === 'unknown')
    return `unknown until apply: ${(finding.unknownPaths ?? [finding.path]).join(', ')}`;
  return undefined;
}

type Outcome = 'error' | 'failure' | 'skipped' | 'passed';

function renderCase(testCase: Case): { outcome: Outcome; xml: string } {
  const open = `    <testcase name="${xmlEscape(testCase.policy)}" classname="${xmlEscape(testCase.resource)}" file="${xmlEscape(testCase.file)}" time="0"`;
  if (testCase.findings.length === 0) return { outcome: 'passed', xml: `${open}/>` };
  const body: string[] = [];
  const errors = testCase.findings.filter((f) => f.status === 'error');
  const failures = testCase.findings.filter((f) => f.status === 'fail' && !f.baseline);
  const skipped = testCase.findings.filter(
    (f) => skipReason(f) !== undefined && f.status !== 'error' && !(f.status === 'fail' && !f.baseline),
  );
  const notes = testCase.findings.filter((f) => f.status === 'warn' || f.status === 'audit');
  let outcome: Outcome = 'passed';
  if (errors.length) {
    outcome = 'error';
    body.push(
      `      <error message="${xmlEscape(errors[0]!.message)}" type="error">${xmlEscape(errors.map(describe).join('\n'))}</error>`,
    );
  } else if (failures.length) {
    outcome = 'failure';
    body.push(
      `      <failure message="${xmlEscape(failures[0]!.message)}" type="${failures[0]!.severity}">${xmlEscape(failures.map(describe).join('\n'))}</failure>`,
    );
  } else if (skipped.length && notes.length === 0) {
    outcome = 'skipped';
    body.push(`      <skipped message="${xmlEscape(skipped.map((f) => skipReason(f)!).join('; '))}"/>`);
  }
  const out = testCase.findings
    .filter((f) => !errors.includes(f) && !failures.includes(f))
    .map((f) => `${f.status.toUpperCase()} ${describe(f)}${skipReason(f) ? ` — ${skipReason(f)}` : ''}`);
  if (out.length) body.push(`      <system-out>${xmlEscape(out.join('\n'))}</system-out>`);
  return { outcome, xml: `${open}>\n${body.join('\n')}\n    </testcase>` };
}

/** How a test case came out, without rendering it (the totals come before the cases). */
function outcomeOf(findings: Finding[]): Outcome {
  if (findings.some((f) => f.status === 'error')) return 'error';
  if (findings.some((f) => f.status === 'fail' && !f.baseline)) return 'failure';
  const skipped = findings.some((f) => skipReason(f) !== undefined);
  const notes = findings.some((f) => f.status === 'warn' || f.status === 'audit');
  return skipped && !notes ? 'skipped' : 'passed';
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * The test cases of the report, file by file, built one resource at a time: a case per policy
 * evaluated against the resource or reporting on it. Cases are never all held at once (a large
 * run has millions), so the report walks them twice: once to count, once to write.
 */
class CaseIndex {
  readonly files: string[];
  private readonly resourcesByFile = new Map<string, string[]>();
  private readonly findingsByResource = new Map<string, Finding[]>();

  constructor(private readonly result: Result) {
    const fileOf = new Map<string, string>();
    const addResource = (file: string, id: string) => {
      if (fileOf.has(id)) return;
      fileOf.set(id, file);
      let list = this.resourcesByFile.get(file);
      if (!list) this.resourcesByFile.set(file, (list = []));
      list.push(id);
    };
    for (const resource of result.resources) addResource(resource.file, resource.id);
    for (const finding of result.findings) {
      // A derived resource (an image) may point into another file; the case belongs with its resource.
      addResource(finding.resource.file, finding.resource.id);
      let list = this.findingsByResource.get(finding.resource.id);
      if (!list) this.findingsByResource.set(finding.resource.id, (list = []));
      list.push(finding);
    }
    for (const list of this.resourcesByFile.values()) list.sort(compare);
    this.files = [...this.resourcesByFile.keys()].sort(compare);
  }

  /** The cases of one file, sorted by resource and policy. */
  *cases(file: string): Generator<Case> {
    for (const resource of this.resourcesByFile.get(file) ?? []) {
      const byPolicy = new Map<string, Finding[]>();
      for (const policy of this.result.evaluated.get(resource) ?? []) byPolicy.set(policy, []);
      for (const finding of this.findingsByResource.get(resource) ?? []) {
        let list = byPolicy.get(finding.policyId);
        if (!list) byPolicy.set(finding.policyId, (list = []));
        list.push(finding);
      }
      for (const policy of [...byPolicy.keys()].sort(compare))
        yield { file, resource, policy, findings: byPolicy.get(policy)! };
    }
  }
}

interface Counts {
  tests: number;
  failures: number;
  errors: number;
  skipped: number;
}

function count(into: Counts, outcome: Outcome): void {
  into.tests += 1;
  if (outcome === 'error') into.errors += 1;
  else if (outcome === 'failure') into.failures += 1;
  else if (outcome === 'skipped') into.skipped += 1;
}

/** Inputs that could not be read, as a suite of erroring cases: a CI test tab shows them red. */
function unreadableSuite(notices: Notice[], timestamp: string): string {
  const cases = notices.map(
    (notice) =>
      `    <testcase name="read input" classname="${xmlEscape(notice.file ?? 'input')}" file="${xmlEscape(notice.file ?? '')}" time="0">\n      <error message="${xmlEscape(notice.message)}" type="${xmlEscape(notice.code)}">${xmlEscape(notice.message)}</error>\n    </testcase>`,
  );
  return `  <testsuite name="inputs not checked" tests="${notices.length}" failures="0" errors="${notices.length}" skipped="0" time="0"${timestamp}>\n${cases.join('\n')}\n  </testsuite>\n`;
}

export const junitReporter: Reporter = defineReporter({
  name: 'junit',
  description: 'JUnit XML: one test case per policy and resource, for CI test reports',
  machine: true,
  *chunks(result: Result, options) {
    const index = new CaseIndex(result);
    const unreadable = result.notices.filter((notice) => notice.level === 'error');
    const totals: Counts = { tests: unreadable.length, failures: 0, errors: unreadable.length, skipped: 0 };
    const perFile = new Map<string, Counts>();
    for (const file of index.files) {
      const counts: Counts = { tests: 0, failures: 0, errors: 0, skipped: 0 };
      for (const testCase of index.cases(file)) count(counts, outcomeOf(testCase.findings));
      perFile.set(file, counts);
      totals.tests += counts.tests;
      totals.failures += counts.failures;
      totals.errors += counts.errors;
      totals.skipped += counts.skipped;
    }
    const tool = options.tool ? ` (${options.tool.name} ${options.tool.version})` : '';
    const timestamp = options.now ? ` timestamp="${options.now.toISOString().slice(0, 19)}"` : '';
    yield `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="parapet${xmlEscape(tool)}" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}" time="0">\n`;
    if (unreadable.length) yield unreadableSuite(unreadable, timestamp);
    for (const file of index.files) {
      const counts = perFile.get(file)!;
      yield `  <testsuite name="${xmlEscape(file)}" tests="${counts.tests}" failures="${counts.failures}" errors="${counts.errors}" skipped="${counts.skipped}" time="0"${timestamp}>\n`;
      let piece = '';
      let empty = true;
      for (const testCase of index.cases(file)) {
        piece += `${renderCase(testCase).xml}\n`;
        empty = false;
        if (piece.length >= PIECE_CHARS) {
          yield piece;
          piece = '';
        }
      }
      // A suite without cases keeps the blank line that joining no cases gave.
      yield `${empty ? '\n' : piece}  </testsuite>\n`;
    }
    yield '</testsuites>\n';
  },
});
