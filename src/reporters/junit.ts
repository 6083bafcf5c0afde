import type { Finding } from '../model/finding.js';
import type { Result } from '../model/result.js';
import type { Reporter } from './types.js';

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

export const junitReporter: Reporter = {
  name: 'junit',
  description: 'JUnit XML: one test case per policy and resource, for CI test reports',
  machine: true,
  render(result: Result, options) {
    const cases = new Map<string, Case>();
    const key = (file: string, resource: string, policy: string) => `${file}\0${resource}\0${policy}`;
    for (const resource of result.resources) {
      for (const policy of result.evaluated.get(resource.id) ?? []) {
        cases.set(key(resource.file, resource.id, policy), {
          file: resource.file,
          resource: resource.id,
          policy,
          findings: [],
        });
      }
    }
    const fileOf = new Map(result.resources.map((resource) => [resource.id, resource.file]));
    for (const finding of result.findings) {
      // A derived resource (an image) may point into another file; the case belongs with its resource.
      const home = fileOf.get(finding.resource.id) ?? finding.resource.file;
      const k = key(home, finding.resource.id, finding.policyId);
      let testCase = cases.get(k);
      if (!testCase) {
        testCase = { file: home, resource: finding.resource.id, policy: finding.policyId, findings: [] };
        cases.set(k, testCase);
      }
      testCase.findings.push(finding);
    }
    const byFile = new Map<string, Case[]>();
    for (const testCase of cases.values()) {
      const list = byFile.get(testCase.file) ?? [];
      list.push(testCase);
      byFile.set(testCase.file, list);
    }
    const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
    const totals = { tests: 0, failures: 0, errors: 0, skipped: 0 };
    const suites: string[] = [];
    for (const file of [...byFile.keys()].sort(compare)) {
      const list = byFile
        .get(file)!
        .sort((a, b) => compare(a.resource, b.resource) || compare(a.policy, b.policy));
      const rendered = list.map(renderCase);
      const count = { tests: list.length, failures: 0, errors: 0, skipped: 0 };
      for (const { outcome } of rendered) {
        if (outcome === 'error') count.errors += 1;
        else if (outcome === 'failure') count.failures += 1;
        else if (outcome === 'skipped') count.skipped += 1;
      }
      totals.tests += count.tests;
      totals.failures += count.failures;
      totals.errors += count.errors;
      totals.skipped += count.skipped;
      suites.push(
        `  <testsuite name="${xmlEscape(file)}" tests="${count.tests}" failures="${count.failures}" errors="${count.errors}" skipped="${count.skipped}" time="0"${options.now ? ` timestamp="${options.now.toISOString().slice(0, 19)}"` : ''}>\n${rendered.map((r) => r.xml).join('\n')}\n  </testsuite>`,
      );
    }
    const tool = options.tool ? ` (${options.tool.name} ${options.tool.version})` : '';
    return [
      '<?xml version="1.0" encoding="UTF-8"?>',
      `<testsuites name="parapet${xmlEscape(tool)}" tests="${totals.tests}" failures="${totals.failures}" errors="${totals.errors}" skipped="${totals.skipped}" time="0">`,
      ...suites,
      '</testsuites>',
      '',
    ].join('\n');
  },
};
