import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { runCli } from '../helpers.js';

/** `parapet check` with parapet.yaml, several --format targets and baselines, run in-process. */
const configDir = path.resolve(import.meta.dirname, '../../fixtures/config');
const project = path.join(configDir, 'project');
const out = mkdtempSync(path.join(tmpdir(), 'parapet-cli-'));

describe('parapet check with configuration, formats and baselines', () => {
  const cwd = process.cwd();
  beforeAll(() => process.chdir(project));
  afterAll(() => process.chdir(cwd));

  it('reads parapet.yaml from the working directory: its policies, exclusions and modes apply', async () => {
    const run = await runCli(['check', 'k8s', 'vendor', '--format', 'json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout) as {
      findings: Array<{ policyId: string; status: string; resource: { id: string } }>;
      notices: Array<{ code: string; message: string }>;
    };
    const ids = new Set(report.findings.map((f) => f.resource.id));
    expect(ids.has('DaemonSet/kube-system/cilium')).toBe(false);
    expect(ids.has('Pod/shop/vendored-agent')).toBe(false);
    expect(report.findings.find((f) => f.policyId === 'acme-allowed-registries')?.status).toBe('warn');
    // annotationWaivers: true, so the Job's annotation waiver is read: it waives the finding until its
    // expiry date (2026-06-30) and is named in an expiry warning after it.
    const job = report.findings.find((f) => f.resource.id === 'Job/batch/gpu-burn-in')!;
    const expiredNotice = report.notices.find(
      (n) => n.code === 'waiver-expired' && n.message.includes('Job/batch/gpu-burn-in'),
    );
    if (Date.now() <= Date.parse('2026-06-30T23:59:59.999Z')) expect(job.status).toBe('waived');
    else
      expect([job.status, expiredNotice?.message]).toEqual([
        'fail',
        expect.stringContaining('(owner team-ml-infra, annotation) expired on 2026-06-30'),
      ]);
  });

  it('parapet policies lists what parapet.yaml selects, with its severity overrides', async () => {
    const run = await runCli(['policies', '--format', 'json']);
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as Array<{ id: string; severity: string }>;
    expect(rows.map((r) => `${r.id} ${r.severity}`)).toEqual([
      'acme-allowed-registries medium',
      'acme-host-network high',
      'acme-min-replicas info',
      'acme-privileged high',
    ]);
  });

  it('rejects a bad configuration file with one line naming file, position and field, exit 2', async () => {
    const run = await runCli(['check', '--config', '../invalid/typo-key.yaml', 'k8s']);
    expect(run.code).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toBe(
      'error: ../invalid/typo-key.yaml:3:1: exlude: unknown key (did you mean "exclude"?)\n',
    );
  });

  it('writes several formats in one run, one of them to stdout', async () => {
    const sarif = path.join(out, 'reports/parapet.sarif');
    const policyReport = path.join(out, 'reports/policy-report.yaml');
    const run = await runCli([
      'check',
      'k8s',
      '--format',
      `sarif=${sarif}`,
      '--format',
      'markdown',
      '--format',
      `policy-report=${policyReport}`,
    ]);
    expect(run.code).toBe(1);
    expect(run.stdout.startsWith('## parapet: ❌')).toBe(true);
    const log = JSON.parse(readFileSync(sarif, 'utf8')) as {
      version: string;
      runs: Array<{ results: unknown[] }>;
    };
    expect(log.version).toBe('2.1.0');
    expect(log.runs[0]!.results.length).toBeGreaterThan(0);
    const kinds = parseAllDocuments(readFileSync(policyReport, 'utf8')).map(
      (d) => (d.toJS() as { kind: string }).kind,
    );
    expect(kinds).toContain('ClusterPolicyReport');
  });

  it('refuses two formats for stdout and an unknown format, exit 2', async () => {
    const two = await runCli(['check', 'k8s', '--format', 'json', '--format', 'sarif']);
    expect(two.code).toBe(2);
    expect(two.stderr).toBe(
      'error: --format: only one format can go to stdout ("json" and "sarif"); write the others to files with --format sarif=FILE\n',
    );
    const unknown = await runCli(['check', 'k8s', '--format', 'pdf=out.pdf']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^error: --format: unknown format "pdf" \(known: text, json, sarif, junit, markdown, /,
    );
    expect(existsSync('out.pdf')).toBe(false);
  });

  it('counts only findings missing from the baseline for the exit code, still reporting known ones', async () => {
    const baseline = path.join(out, 'baseline.json');
    const first = await runCli(['check', 'k8s', '--write-baseline', baseline, '--format', 'json']);
    expect(first.code).toBe(1);
    const entries = (JSON.parse(readFileSync(baseline, 'utf8')) as { entries: unknown[] }).entries;
    expect(entries.length).toBeGreaterThan(0);

    const again = await runCli(['check', 'k8s', '--baseline', baseline, '--format', 'json']);
    expect(again.code).toBe(0);
    const report = JSON.parse(again.stdout) as { findings: Array<{ status: string; baseline?: boolean }> };
    const failing = report.findings.filter((f) => f.status === 'fail');
    expect(failing.length).toBeGreaterThan(0);
    expect(failing.every((f) => f.baseline === true)).toBe(true);

    // vendor/ is excluded by parapet.yaml; with another configuration its findings are new and gate.
    writeFileSync(path.join(out, 'no-exclusions.yaml'), 'policies:\n  builtin: false\n');
    const broader = await runCli([
      'check',
      'k8s',
      'vendor',
      '--config',
      path.join(out, 'no-exclusions.yaml'),
      '--policies',
      'policies',
      '--baseline',
      baseline,
    ]);
    expect(broader.code).toBe(1);
  });

  it('names a missing or malformed baseline file, exit 2 before any work', async () => {
    const missing = await runCli(['check', 'k8s', '--baseline', path.join(out, 'nope.json')]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `error: ${path.join(out, 'nope.json')}: cannot read baseline: no such file\n`,
    );
  });

  it('never draws a progress bar when stderr is not a terminal', async () => {
    const run = await runCli(['check', 'k8s', '--format', 'json'], { env: {} });
    expect(run.stderr).toBe('');
  });
});
