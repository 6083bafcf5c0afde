/**
 * Kyverno's own CLI tests (test/cli of the kyverno Go module, fetched by
 * .ci/setup-kyverno-tests.sh) run through `parapet test`: every test whose policies are only
 * kyverno.io ClusterPolicy / Policy validate rules. parapet must answer as `kyverno test` v1.19.1
 * does: exit 0, or exit 1 for the tests Kyverno itself fails. The target is 95% agreement; the
 * differences are listed below with the reason, and each is checked to still differ, so the list
 * stays honest.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { findKyvernoTests } from '../../src/kyverno/test-runner.js';
import { runCli } from '../helpers.js';

const root = path.join(process.env.PARAPET_CACHE ?? '/var/cache/parapet', 'kyverno-tests', 'test', 'cli');

/** Tests where parapet's answer differs from Kyverno's, with the reason. */
const knownFailures: Record<string, string> = {
  'test/manifests/verify-signature/kyverno-test.yaml': 'validate.manifests (signed YAML) is not supported',
  'test-fail/missing-rule/kyverno-test.yaml':
    'kyverno test passes a result naming a rule the policy does not have; parapet refuses it as a test error, so a misspelled rule never passes silently',
  'test-fail/missing-resource/kyverno-test.yaml':
    'kyverno test passes a result naming a resource the test does not load; parapet refuses it as a test error, so a misspelled resource never passes silently',
};

/**
 * The expected answer is the test's own results (exit 0), except under test-fail/, where it is what
 * `kyverno test` v1.19.1 answers (measured with the CLI that test/bench/build-kyverno-cli.sh builds):
 * it fails missing-policy only. That CLI also stops on test-context-apicall and test-context-configmap
 * (it looks up the resources' Namespace, which those tests do not define); parapet is held to their
 * declared results there.
 */
const kyvernoFails = new Set(['test-fail/missing-policy/kyverno-test.yaml']);

/** Tests outside what a conformance run can check, with the reason; they are not run. */
const outOfScope: Record<string, string> = {
  'registry/kyverno-test.yaml':
    'reads live images from ghcr.io and Docker Hub (Kyverno runs it with --registry); CI reaches package registries only',
};

function onlyValidatePolicies(testFile: string): boolean {
  const test = parseAllDocuments(readFileSync(testFile, 'utf8'))[0]?.toJS() as
    { policies?: string[] } | undefined;
  if (!test?.policies?.length) return false;
  for (const entry of test.policies) {
    const file = path.resolve(path.dirname(testFile), entry);
    if (!existsSync(file)) return entry.includes('missing') || testFile.includes('test-fail');
    for (const doc of parseAllDocuments(readFileSync(file, 'utf8'))) {
      const value = doc.toJS() as {
        apiVersion?: string;
        kind?: string;
        spec?: { rules?: Array<Record<string, unknown>> };
      } | null;
      if (!value) continue;
      if (
        !/^kyverno\.io\//.test(value.apiVersion ?? '') ||
        !['ClusterPolicy', 'Policy'].includes(value.kind ?? '')
      )
        return false;
      if (
        (value.spec?.rules ?? []).some(
          (rule) => !rule.validate || rule.mutate || rule.generate || rule.verifyImages,
        )
      )
        return false;
    }
  }
  return true;
}

const available = existsSync(root);
const tests = available
  ? findKyvernoTests(root)
      .filter(onlyValidatePolicies)
      .filter((file) => !outOfScope[path.relative(root, file)])
  : [];

describe.skipIf(!available)(
  `Kyverno CLI conformance (${available ? root : 'run .ci/setup-kyverno-tests.sh'})`,
  () => {
    it('finds the validate-only tests of the corpus', () => {
      expect(tests.length).toBeGreaterThan(60);
      for (const name of Object.keys(outOfScope))
        expect(onlyValidatePolicies(path.join(root, name)), `${name} is still in the corpus`).toBe(true);
    });

    const outcomes = new Map<string, boolean>();
    for (const file of tests) {
      const name = path.relative(root, file);
      const mustFail = kyvernoFails.has(name);
      it(`${name}${knownFailures[name] ? ` (known: ${knownFailures[name]})` : ''}`, async () => {
        const run = await runCli(['test', file]);
        const agrees = mustFail ? run.code === 1 : run.code === 0;
        outcomes.set(name, agrees);
        if (knownFailures[name])
          expect(agrees, `${name} now agrees with Kyverno: remove it from knownFailures`).toBe(false);
        else expect(agrees, `${name}:\n${run.stdout}${run.stderr}`).toBe(true);
      }, 60_000);
    }

    it('agrees with Kyverno on every test but the known failures', () => {
      const agreed = [...outcomes.values()].filter(Boolean).length;
      console.log(`kyverno conformance: ${agreed} of ${tests.length} tests agree with kyverno test`);
      expect(agreed).toBe(
        tests.length - Object.keys(knownFailures).filter((name) => outcomes.has(name)).length,
      );
      expect(agreed / tests.length).toBeGreaterThanOrEqual(0.95);
    });
  },
);
