/**
 * Kyverno's own CLI tests (test/cli of the kyverno Go module, fetched by
 * .ci/setup-kyverno-tests.sh) run through `parapet test`: every test whose policies are only
 * kyverno.io ClusterPolicy / Policy validate rules. Tests under test-fail/ must fail, as they do
 * with `kyverno test`. The target is 95% agreement; the ones parapet does not pass yet are listed
 * below with the reason, and each of them is checked to still fail, so the list stays honest.
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { findKyvernoTests } from '../../src/kyverno/test-runner.js';
import { runCli } from '../helpers.js';

const root = path.join(process.env.PARAPET_CACHE ?? '/var/cache/parapet', 'kyverno-tests', 'test', 'cli');

/** Tests parapet does not pass yet, with the reason. */
const knownFailures: Record<string, string> = {
  'test/manifests/verify-signature/kyverno-test.yaml': 'validate.manifests (signed YAML) is not supported',
  'test-fail/invalid-ns/kyverno-test.yaml':
    'Kyverno rejects this test for its namespace handling; parapet runs it and agrees with its results',
  'test-fail/invalid-ns-deprecated/kyverno-test.yaml':
    'Kyverno rejects this test for its namespace handling; parapet runs it and agrees with its results',
};

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
      const mustFail = name.startsWith('test-fail/');
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
