import { readFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { parseAllDocuments } from 'yaml';
import { describe, expect, it } from 'vitest';
import { policyReportReporter } from '../../src/reporters/policy-report.js';
import { expectGolden, goldenDir, goldenOptions } from './golden.js';
import { sampleResult } from './sample-result.js';

type Report = {
  kind: string;
  metadata: { name: string; namespace?: string };
  summary: Record<string, number>;
  results: Array<{
    policy: string;
    result: string;
    resources?: Array<{ kind: string; name: string }>;
    properties: Record<string, string>;
  }>;
};

describe('policy-report reporter', () => {
  const yaml = policyReportReporter.render(sampleResult(), goldenOptions);
  const docs = parseAllDocuments(yaml).map((doc) => doc.toJS() as Report);

  it('matches the golden file', () => {
    expectGolden('sample.policy-report.yaml', yaml);
  });

  it('validates against the v1alpha2 schema written from the CRD', () => {
    const ajv = new Ajv2020({ strict: true, strictRequired: false, allErrors: true });
    const schema = JSON.parse(
      readFileSync(path.join(goldenDir, 'policy-report-v1alpha2.schema.json'), 'utf8'),
    ) as object;
    const validate = ajv.compile(schema);
    for (const doc of docs) {
      validate(doc);
      expect(validate.errors ?? []).toEqual([]);
    }
    // The schema catches what a cluster would reject.
    expect(validate({ ...docs[0], results: [{ policy: 'x', result: 'failed' }] })).toBe(false);
    expect(validate({ ...docs[0], metadata: { name: 'parapet' } })).toBe(false);
  });

  it('writes one PolicyReport per namespace and a ClusterPolicyReport for the rest', () => {
    expect(docs.map((doc) => `${doc.kind} ${doc.metadata.namespace ?? '-'}`)).toEqual([
      'PolicyReport monitoring',
      'PolicyReport shop',
      'ClusterPolicyReport -',
    ]);
    const cluster = docs[2]!;
    const subjects = new Set(cluster.results.map((r) => r.resources?.[0]?.name ?? r.properties.resource));
    expect([...subjects].sort()).toEqual([
      'aws_s3_bucket.logs',
      'docker.io/library/nginx:latest',
      'module.db.aws_db_instance.main',
      'ops-admin',
      'plan',
    ]);
  });

  it('maps statuses to report results and counts them in the summary', () => {
    const shop = docs[1]!;
    const byPolicy = (id: string, name: string) =>
      shop.results.filter((r) => r.policy === id && r.resources?.[0]?.name === name).map((r) => r.result);
    expect(byPolicy('pss-baseline-privileged', 'web')).toEqual(['fail']);
    expect(byPolicy('pss-restricted-run-as-non-root', 'web')).toEqual(['warn']);
    expect(byPolicy('rego-required-labels', 'web')).toEqual(['error']);
    expect(byPolicy('k8s-rbac-wildcard', 'web')).toEqual(['pass']);
    const counted = { pass: 0, fail: 0, warn: 0, error: 0, skip: 0 } as Record<string, number>;
    for (const r of shop.results) counted[r.result]! += 1;
    expect(shop.summary).toEqual(counted);
    const waived = docs[0]!.results.find((r) => r.policy === 'pss-baseline-host-namespaces')!;
    expect(waived.result).toBe('skip');
    expect(waived.properties).toMatchObject({
      status: 'waived',
      waiverOwner: 'team-observability',
      waiverExpires: '2099-12-31',
    });
  });

  it('writes YAML that reads back exactly, whatever the messages contain', () => {
    const tricky = [
      'yes',
      '3',
      '0x1F',
      'a: b',
      '# not a comment',
      ' leading',
      'trailing ',
      'line\nbreak',
      'tab\there',
      '"quoted"',
      "it's",
      '- dash',
      '~',
      'null',
      'ünïcødé ✓',
      '',
      '*alias',
      '&anchor',
      '!tag',
      '%percent',
      '@at',
      '`tick`',
      '{a}',
      '[b]',
    ];
    const result = sampleResult();
    result.findings = result.findings.map((finding, i) => ({
      ...finding,
      message: tricky[i % tricky.length]! + tricky[(i + 5) % tricky.length]!,
    }));
    const text = policyReportReporter.render(result, goldenOptions);
    const messages = parseAllDocuments(text)
      .flatMap((doc) => (doc.toJS() as Report).results)
      .filter((r) => r.properties.status !== undefined)
      .map((r) => (r as unknown as { message: string }).message)
      .sort();
    expect(messages).toEqual(result.findings.map((f) => f.message).sort());
  });
});
