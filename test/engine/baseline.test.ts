import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyBaseline, baselineOf, readBaseline, writeBaseline } from '../../src/engine/baseline.js';
import { exitCode } from '../../src/model/result.js';
import { sampleResult } from '../reporters/sample-result.js';

const dir = mkdtempSync(path.join(tmpdir(), 'parapet-baseline-'));

describe('baselines', () => {
  it('records fail, warn, audit, unknown and error findings, not waived or approved ones, sorted', () => {
    const baseline = baselineOf(sampleResult());
    expect(baseline.entries.map((entry) => `${entry.policy} ${entry.resource} ${entry.path}`)).toEqual([
      'cost-plan-delta-budget plan ',
      'image-tag-latest docker.io/library/nginx:latest ',
      'k8s-rbac-wildcard ClusterRole/ops-admin /rules/0/verbs',
      'k8s-resources-limits StatefulSet/shop/worker /spec/template/spec/containers/1/resources/limits',
      'pss-baseline-privileged Deployment/shop/web /spec/template/spec/containers/0/securityContext/privileged',
      'pss-baseline-privileged StatefulSet/shop/worker /spec/template/spec/initContainers/0/securityContext/privileged',
      'pss-restricted-run-as-non-root Deployment/shop/web /spec/template/spec/securityContext/runAsNonRoot',
      'rego-required-labels Deployment/shop/web ',
      'tf-rds-encrypted module.db.aws_db_instance.main /storage_encrypted',
      'tf-s3-public-access-block aws_s3_bucket.logs ',
    ]);
  });

  it('round-trips through a file with identical bytes on rewrite', () => {
    const file = path.join(dir, 'baseline.json');
    writeBaseline(sampleResult(), file);
    const first = readFileSync(file, 'utf8');
    writeBaseline(sampleResult(), file);
    expect(readFileSync(file, 'utf8')).toBe(first);
    expect(readBaseline(file)).toEqual(baselineOf(sampleResult()));
  });

  it('makes only new findings count for the exit code, matching by policy, resource and path, not line', () => {
    const file = path.join(dir, 'known.json');
    writeBaseline(sampleResult(), file);
    // The same findings a commit later: every resource moved down 30 lines, and one new failure.
    const later = sampleResult();
    later.findings = later.findings.map((finding) => ({
      ...finding,
      baseline: undefined,
      resource: { ...finding.resource, line: finding.resource.line + 30 },
    }));
    expect(exitCode(later, { baseline: true })).toBe(1);
    const marked = applyBaseline(later, readBaseline(file), file);
    expect(marked.findings.filter((f) => f.status === 'fail').every((f) => f.baseline)).toBe(true);
    expect(exitCode(marked, { baseline: true })).toBe(0);

    const newFinding = { ...later.findings[0]!, policyId: 'pss-baseline-capabilities', path: '/spec/x' };
    later.findings.push({ ...newFinding, status: 'fail' });
    const withNew = applyBaseline(later, readBaseline(file), file);
    expect(withNew.findings.filter((f) => !f.baseline).map((f) => f.policyId)).toContain(
      'pss-baseline-capabilities',
    );
    expect(exitCode(withNew, { baseline: true })).toBe(1);
    // Known findings stay in the report.
    expect(withNew.findings).toHaveLength(later.findings.length);
  });

  it('notes entries that no longer occur', () => {
    const file = path.join(dir, 'fixed.json');
    writeBaseline(sampleResult(), file);
    const fixed = sampleResult();
    fixed.findings = fixed.findings.filter((f) => f.policyId !== 'k8s-rbac-wildcard');
    const marked = applyBaseline(fixed, readBaseline(file), file);
    expect(marked.notices.find((n) => n.code === 'baseline-fixed')?.message).toBe(
      `1 finding recorded in baseline ${file} no longer occurs; rewrite it with --write-baseline to lock in the improvement`,
    );
  });

  it.each([
    ['missing.json', null, /missing\.json: cannot read baseline: no such file$/],
    ['garbage.json', '{"version": 1, "entries": [', /garbage\.json: baseline is not JSON: /],
    [
      'sarif.json',
      '{"version": "2.1.0", "runs": []}',
      /sarif\.json: unsupported baseline version "2\.1\.0" \(expected 1\)$/,
    ],
    [
      'entry.json',
      '{"version": 1, "entries": [{"policy": "a", "resource": 3, "path": ""}]}',
      /entry\.json: entries\[0\]\.resource must be a string$/,
    ],
  ])('rejects %s with a one-line error naming the file', (name, content, message) => {
    const file = path.join(dir, name);
    if (content !== null) writeFileSync(file, content);
    expect(() => readBaseline(file)).toThrow(message);
    try {
      readBaseline(file);
    } catch (error) {
      expect((error as { code: string }).code).toBe('PARAPET_BASELINE_INVALID');
    }
  });
});
