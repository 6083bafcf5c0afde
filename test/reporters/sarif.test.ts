import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import { describe, expect, it } from 'vitest';
import { sarifReporter } from '../../src/reporters/sarif.js';
import { expectGolden, goldenOptions } from './golden.js';
import { sampleResult } from './sample-result.js';

/** The official schema ships inside the platform package of @microsoft/sarif-multitool. */
function findSarifSchema(): string | undefined {
  const require = createRequire(import.meta.url);
  for (const platform of ['linux', 'darwin', 'win32']) {
    try {
      const dir = path.dirname(require.resolve(`@microsoft/sarif-multitool-${platform}/package.json`));
      const file = path.join(dir, 'sarif-2.1.0.json');
      if (existsSync(file)) return file;
    } catch {
      // not installed for this platform
    }
  }
  return undefined;
}

const schemaFile = findSarifSchema();
if (!schemaFile)
  console.warn(
    'SARIF schema validation skipped: @microsoft/sarif-multitool platform package (sarif-2.1.0.json) not installed',
  );

type Sarif = {
  version: string;
  runs: Array<{
    tool: {
      driver: { rules: Array<Record<string, unknown> & { id: string; properties: Record<string, unknown> }> };
    };
    results: Array<Record<string, unknown> & { ruleId: string; ruleIndex: number; level: string }>;
    invocations: Array<{
      executionSuccessful: boolean;
      toolExecutionNotifications: Array<Record<string, unknown>>;
    }>;
  }>;
};

describe('sarif reporter', () => {
  const text = sarifReporter.render(sampleResult(), goldenOptions);
  const log = JSON.parse(text) as Sarif;
  const run = log.runs[0]!;

  it('matches the golden file', () => {
    expectGolden('sample.sarif', text);
  });

  it.skipIf(!schemaFile)('is valid against the official SARIF 2.1.0 schema', () => {
    const ajv = new Ajv2020({ strict: false, allErrors: true });
    addFormats.default(ajv);
    const validate = ajv.compile(JSON.parse(readFileSync(schemaFile!, 'utf8')) as object);
    const valid = validate(log);
    expect(validate.errors ?? []).toEqual([]);
    expect(valid).toBe(true);
    // The schema is strict enough to catch a wrong level: the check above can fail.
    const broken = structuredClone(log);
    broken.runs[0]!.results[0]!.level = 'critical';
    expect(validate(broken)).toBe(false);
  });

  it('has one rule per policy with help text, and results pointing at their rule by index', () => {
    const rules = run.tool.driver.rules;
    expect(rules.map((rule) => rule.id)).toEqual([...rules.map((rule) => rule.id)].sort());
    expect(rules).toHaveLength(sampleResult().policies.length);
    for (const result of run.results) expect(rules[result.ruleIndex]?.id).toBe(result.ruleId);
    const privileged = rules.find((rule) => rule.id === 'pss-baseline-privileged')!;
    expect(privileged.help).toEqual({
      text: expect.stringContaining('Remediation: Remove securityContext.privileged or set it to false.'),
      markdown: expect.stringContaining('**Remediation:** Remove securityContext.privileged'),
    });
    expect(privileged.helpUri).toBe(
      'https://kubernetes.io/docs/concepts/security/pod-security-standards/#baseline',
    );
    expect(privileged.properties['security-severity']).toBe('8.0');
    // security-severity is only for security policies: GitHub would otherwise file cost checks as vulnerabilities.
    expect(
      rules.find((rule) => rule.id === 'cost-plan-delta-budget')!.properties['security-severity'],
    ).toBeUndefined();
  });

  it('maps severity and status to levels, waivers to suppressions, errors to notifications', () => {
    const byRule = (id: string) => run.results.filter((result) => result.ruleId === id);
    expect(byRule('k8s-rbac-wildcard')[0]?.level).toBe('error');
    expect(byRule('image-tag-latest')[0]?.level).toBe('warning');
    expect(byRule('pss-restricted-run-as-non-root')[0]?.level).toBe('warning');
    expect(byRule('k8s-resources-limits')[0]?.level).toBe('note');
    expect(byRule('tf-rds-encrypted')[0]).toMatchObject({ kind: 'review', level: 'warning' });
    expect(byRule('pss-baseline-host-namespaces')[0]?.suppressions).toEqual([
      {
        kind: 'external',
        status: 'accepted',
        justification:
          'node-exporter reads host network statistics (owner team-observability, expires 2099-12-31, OBS-1182)',
      },
    ]);
    expect(byRule('rego-required-labels')).toEqual([]);
    expect(run.invocations[0]?.executionSuccessful).toBe(false);
    expect(run.invocations[0]?.toolExecutionNotifications[0]).toMatchObject({
      level: 'error',
      associatedRule: { id: 'rego-required-labels' },
    });
  });

  it('locates results by relative file and line with a stable fingerprint, and marks baseline state', () => {
    const result = run.results.find((r) => r.ruleId === 'tf-s3-public-access-block')!;
    expect(result.locations).toEqual([
      {
        physicalLocation: {
          artifactLocation: { uri: 'infra/plan.json', uriBaseId: '%SRCROOT%' },
          region: { startLine: 41 },
        },
        logicalLocations: [
          { fullyQualifiedName: 'aws_s3_bucket.logs', name: 'aws_s3_bucket.logs', kind: 'resource' },
        ],
      },
    ]);
    expect(result.partialFingerprints).toEqual({
      'parapetFingerprint/v1': expect.stringMatching(/^[0-9a-f]{16}$/),
    });
    const states = run.results.map((r) => r.baselineState);
    expect(states.filter((s) => s === 'unchanged')).toHaveLength(1);
    expect(states.filter((s) => s === 'new')).toHaveLength(run.results.length - 1);
  });

  it('is deterministic', () => {
    expect(sarifReporter.render(sampleResult(), goldenOptions)).toBe(text);
  });
});
