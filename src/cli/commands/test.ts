import path from 'node:path';
import { Command } from 'commander';
import { describeError, ParapetError } from '../../model/errors.js';
import type { Policy, PolicyTestCase } from '../../model/policy.js';
import { defaultSettings } from '../../model/settings.js';
import { createEngine } from '../../engine/engine.js';
import { loadInputs } from '../../inputs/load.js';
import { builtinPolicyDir } from '../../policies/paths.js';
import { loadPolicies } from '../../policies/load.js';
import { assertSelectorsMatch, selectPolicies } from '../../engine/selection.js';
import { findKyvernoTests, runKyvernoTest, type KyvernoTestOutcome } from '../../kyverno/test-runner.js';
import { kyvernoPodSecurity } from '../../kyverno/rule-type.js';
import { colorEnabled, collect, type CliIO } from '../io.js';
import { createColors } from 'picocolors';
import { policyInEffect } from '../../engine/versions.js';
import { withPssVersion } from '../../pss/settings.js';
import { formatPssVersion, latestPssVersion, parsePssVersion, type PssVersion } from '../../pss/version.js';

type Expectation = 'fail' | 'pass' | 'unknown';

export interface CaseOutcome {
  expectation: Expectation;
  file: string;
  ok: boolean;
  problem?: string;
  /** Why the case did not run (the policy is not in effect at the run's PSS version). */
  skipped?: string;
}

export interface PolicyTestOutcome {
  policyId: string;
  file: string;
  cases: CaseOutcome[];
  ok: boolean;
}

function normalizeCase(testCase: PolicyTestCase): Exclude<PolicyTestCase, string> {
  return typeof testCase === 'string' ? { file: testCase } : testCase;
}

/**
 * Run one policy's declared test cases; every mismatch is described in one line. Versioned policies
 * run at the case's `pssVersion`, else at `pssVersion` (default latest); a case whose version the
 * policy does not exist in yet is skipped, unless it names that version itself.
 */
export async function runPolicyTests(
  policy: Policy,
  options: { pssVersion?: PssVersion } = {},
): Promise<PolicyTestOutcome> {
  const cases: CaseOutcome[] = [];
  const groups: Array<[Expectation, PolicyTestCase[] | undefined]> = [
    ['fail', policy.tests?.fail],
    ['pass', policy.tests?.pass],
    ['unknown', policy.tests?.unknown],
  ];
  const dir = path.dirname(policy.file);
  for (const [expectation, list] of groups) {
    for (const raw of list ?? []) {
      const testCase = normalizeCase(raw);
      const file = path.resolve(dir, testCase.file);
      const outcome: CaseOutcome = { expectation, file: testCase.file, ok: false };
      cases.push(outcome);
      try {
        const version = testCase.pssVersion
          ? parsePssVersion(
              testCase.pssVersion,
              `${policy.file}: tests: ${testCase.file}: pssVersion`,
              'PARAPET_POLICY_INVALID',
              policy.file,
            )
          : (options.pssVersion ?? latestPssVersion);
        const settings = withPssVersion(defaultSettings(), version);
        if (testCase.params) settings.parameters[policy.id] = testCase.params;
        if (!policyInEffect(policy, settings)) {
          if (testCase.pssVersion)
            throw new Error(
              `the policy does not exist at ${testCase.pssVersion} (since ${policy.versioned?.since})`,
            );
          outcome.skipped = `not in effect at ${formatPssVersion(version)} (since ${policy.versioned?.since})`;
          outcome.ok = true;
          continue;
        }
        const engine = await createEngine([{ ...policy, defaultMode: 'enforce', optional: false }], settings);
        const inputs = await loadInputs([file]);
        const result = await engine.evaluate(inputs.resources, { notices: inputs.notices });
        const mine = result.findings.filter((f) => f.policyId === policy.id);
        const failing = mine.filter((f) => f.status === 'fail');
        const errors = mine.filter((f) => f.status === 'error');
        const unknown = mine.filter((f) => f.status === 'unknown');
        if (errors.length) outcome.problem = `policy errored: ${errors[0]!.message}`;
        else if (expectation === 'fail') {
          if (failing.length === 0)
            outcome.problem = `expected a failing finding, got none${unknown.length ? ` (${unknown.length} unknown)` : ''}`;
          else if (testCase.count !== undefined && failing.length !== testCase.count) {
            outcome.problem = `expected ${testCase.count} failing finding(s), got ${failing.length}: ${failing.map((f) => f.path || '(resource)').join(', ')}`;
          } else if (testCase.paths) {
            const got = [...new Set(failing.map((f) => f.path))].sort();
            const want = [...testCase.paths].sort();
            if (got.join('\n') !== want.join('\n'))
              outcome.problem = `expected paths ${want.join(', ')}, got ${got.join(', ')}`;
          }
        } else if (expectation === 'pass') {
          if (failing.length || unknown.length) {
            const first = failing[0] ?? unknown[0]!;
            outcome.problem = `expected no finding, got ${failing.length} failing and ${unknown.length} unknown: ${first.resource.id} ${first.path}: ${first.message}`;
          }
        } else if (unknown.length === 0 || failing.length) {
          outcome.problem = `expected only unknown findings, got ${unknown.length} unknown and ${failing.length} failing`;
        }
        if (!outcome.problem && inputs.resources.length === 0)
          outcome.problem = 'the fixture holds no resources';
      } catch (error) {
        outcome.problem = describeError(error);
      }
      outcome.ok = outcome.problem === undefined;
    }
  }
  return { policyId: policy.id, file: policy.file, cases, ok: cases.length > 0 && cases.every((c) => c.ok) };
}

function policyTestCount(policy: Policy): number {
  return (
    (policy.tests?.fail?.length ?? 0) +
    (policy.tests?.pass?.length ?? 0) +
    (policy.tests?.unknown?.length ?? 0)
  );
}

interface TestOptions {
  select: string[];
  skip: string[];
  format: string;
  pssVersion?: string;
}

/** `parapet test [DIR...]`: run every policy's declared failing and passing fixtures. */
export function testCommand(io: CliIO, setExit: (code: number) => void): Command {
  return new Command('test')
    .description("run policies' test cases (fixtures that must fail, pass, or be unknown)")
    .argument('[dirs...]', 'policy directories or files (default: the built-in library)')
    .option('--select <glob>', 'test only policies whose id matches (repeatable)', collect, [])
    .option('--skip <glob>', 'skip policies whose id matches (repeatable)', collect, [])
    .option('-f, --format <format>', 'text or json', 'text')
    .option(
      '--pss-version <version>',
      "run versioned (PSS) policies as this Kubernetes version's Pod Security Admission: latest or v1.N (default latest)",
    )
    .action(async (dirs: string[], options: TestOptions) => {
      const pssVersion =
        options.pssVersion === undefined ? undefined : parsePssVersion(options.pssVersion, '--pss-version');
      // A directory holding `kyverno-test.yaml` files is a Kyverno test suite, run as `kyverno test` would.
      const kyvernoFiles = dirs.map((dir) => ({ dir, files: findKyvernoTests(dir) }));
      const nativeDirs = kyvernoFiles.filter((entry) => entry.files.length === 0).map((entry) => entry.dir);
      const kyvernoTests = kyvernoFiles.flatMap((entry) => entry.files);
      const kyverno: KyvernoTestOutcome[] = [];
      if (kyvernoTests.length > 0) {
        const podSecurity = await kyvernoPodSecurity();
        for (const file of kyvernoTests) kyverno.push(runKyvernoTest(file, { podSecurity }));
      }
      let policies: Policy[] = [];
      if (dirs.length === 0 || nativeDirs.length > 0) {
        const loaded = await loadPolicies({
          paths: nativeDirs.length ? nativeDirs : [builtinPolicyDir],
          builtin: false,
        });
        assertSelectorsMatch(loaded, [
          { origin: '--select', selectors: options.select },
          { origin: '--skip', selectors: options.skip },
        ]);
        // Optional policies are off in a run, not in their own tests.
        policies = selectPolicies(loaded, options.select, options.skip, ['*']).filter(
          (policy) => !('kyverno' in policy.rule),
        );
      }
      // A test run that tests nothing must not pass: a wrong directory would otherwise be green.
      const where = dirs.length ? dirs.join(', ') : 'the built-in library';
      if (kyverno.length === 0 && policies.every((policy) => policyTestCount(policy) === 0))
        throw new ParapetError(
          'PARAPET_USAGE',
          policies.length === 0
            ? `test: no policy to test in ${where}`
            : `test: no test cases in ${where}: declare tests.fail and tests.pass fixtures in the policies`,
        );
      const outcomes: PolicyTestOutcome[] = [];
      for (const policy of policies) outcomes.push(await runPolicyTests(policy, { pssVersion }));
      const failed = outcomes.filter((o) => !o.ok);
      const kyvernoFailed = kyverno.filter((o) => !o.ok);
      const passedCases = outcomes.reduce((n, o) => n + o.cases.filter((c) => c.ok && !c.skipped).length, 0);
      const skippedCases = outcomes.reduce((n, o) => n + o.cases.filter((c) => c.skipped).length, 0);
      const failedCases = outcomes.reduce((n, o) => n + o.cases.filter((c) => !c.ok).length, 0);
      if (options.format === 'json') {
        io.stdout(
          JSON.stringify(
            {
              policies: outcomes.length,
              failed: failed.length,
              outcomes,
              kyverno: kyverno.length ? kyverno : undefined,
            },
            null,
            2,
          ) + '\n',
        );
      } else {
        const c = createColors(colorEnabled(io, true));
        for (const outcome of outcomes) {
          const skipped = outcome.cases.length > 0 && outcome.cases.every((testCase) => testCase.skipped);
          const mark = skipped ? c.yellow('skip') : outcome.ok ? c.green('ok  ') : c.red('FAIL');
          io.stdout(
            `${mark} ${outcome.policyId} (${skipped ? outcome.cases[0]!.skipped : `${outcome.cases.length} case${outcome.cases.length === 1 ? '' : 's'}`})\n`,
          );
          if (outcome.cases.length === 0) io.stdout(`       no test cases declared in ${outcome.file}\n`);
          for (const testCase of outcome.cases) {
            if (!testCase.ok)
              io.stdout(`       ${testCase.expectation} ${testCase.file}: ${testCase.problem}\n`);
          }
        }
        for (const test of kyverno) {
          const mark = test.ok ? c.green('ok  ') : c.red('FAIL');
          io.stdout(
            `${mark} ${test.file} (${test.rows.length} result${test.rows.length === 1 ? '' : 's'})\n`,
          );
          for (const error of test.errors) io.stdout(`       ${error}\n`);
          for (const row of test.rows)
            if (!row.ok)
              io.stdout(
                `       ${row.policy}/${row.rule} ${row.resource}: want ${row.expected}, got ${row.actual}: ${row.message}\n`,
              );
        }
        if (outcomes.length > 0 || kyverno.length === 0)
          io.stdout(`\npolicy tests: ${outcomes.length - failed.length} of ${outcomes.length} policies ok\n`);
        if (kyverno.length > 0)
          io.stdout(
            `${outcomes.length ? '' : '\n'}kyverno tests: ${kyverno.length - kyvernoFailed.length} of ${kyverno.length} files ok\n`,
          );
        const rowsOk = kyverno.reduce((n, t) => n + t.rows.filter((r) => r.ok).length, 0);
        const rowsFailed = kyverno.reduce(
          (n, t) => n + t.rows.filter((r) => !r.ok).length + t.errors.length,
          0,
        );
        io.stdout(
          `${passedCases + rowsOk} passed, ${failedCases + rowsFailed} failed${skippedCases ? `, ${skippedCases} skipped` : ''}\n`,
        );
      }
      setExit(failed.length || kyvernoFailed.length ? 1 : 0);
    });
}
