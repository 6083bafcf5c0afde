import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoPath, runCli } from '../helpers.js';

const demo = ['--no-builtin', '--policies', 'fixtures/engine/policies'];
const shop = 'fixtures/engine/inputs/shop.yaml';

describe('parapet check', () => {
  it('prints a readable report grouped by resource and exits 1 on failing findings', async () => {
    const { code, stdout, stderr } = await runCli(['check', shop, ...demo]);
    expect(code).toBe(1);
    expect(stderr).toBe('');
    expect(stdout).toContain(
      'fixtures/engine/inputs/shop.yaml\n  Deployment/shop/web (Deployment, kubernetes)\n',
    );
    expect(stdout).toContain(
      'FAIL     high     demo-privileged\n      Container "web" sets privileged to true (at /spec/template/spec/containers/0/securityContext/privileged, line 33)',
    );
    // 5 manifests plus the 4 container images they run.
    expect(stdout).toMatch(/9 resources checked against 4 policies: 5 failed\n$/);
    expect(stdout).not.toContain('\u001b[');
  });

  it('colours only on a TTY and never with NO_COLOR', async () => {
    const tty = await runCli(['check', shop, ...demo], { tty: true });
    expect(tty.stdout).toContain('\u001b[');
    const noColor = await runCli(['check', shop, ...demo], { tty: true, env: { NO_COLOR: '1' } });
    expect(noColor.stdout).not.toContain('\u001b[');
  });

  it('writes the documented JSON report', async () => {
    const { code, stdout } = await runCli(['check', shop, ...demo, '--format', 'json']);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(Object.keys(report).slice(0, 5)).toEqual([
      'version',
      'summary',
      'resources',
      'findings',
      'notices',
    ]);
    expect(report.version).toBe(1);
    expect(report.summary.byStatus.fail).toBe(5);
    expect(report.summary.bySeverity).toEqual({ critical: 0, high: 2, medium: 2, low: 1, info: 0 });
    expect(report.resources[0]).toEqual({
      id: 'Deployment/shop/web',
      kind: 'Deployment',
      source: 'kubernetes',
      file: shop,
      line: 4,
    });
    const replicas = report.findings.find((f: { policyId: string }) => f.policyId === 'demo-max-replicas');
    expect(report.findings.map((f: { resource: { line: number } }) => f.resource.line)).toEqual([
      4, 12, 26, 33, 69,
    ]);
    expect(replicas).toMatchObject({
      policyId: 'demo-max-replicas',
      severity: 'medium',
      status: 'fail',
      path: '/spec/replicas',
      resource: { id: 'Deployment/shop/web', kind: 'Deployment', source: 'kubernetes', file: shop, line: 12 },
    });
    expect(replicas.fingerprint).toMatch(/^[0-9a-f]{16}$/);
  });

  it('reads standard input as "-"', async () => {
    const { code, stdout } = await runCli(['check', '-', ...demo, '-f', 'json'], {
      stdin: readFileSync(repoPath(shop), 'utf8'),
    });
    expect(code).toBe(1);
    expect(JSON.parse(stdout).resources.every((r: { file: string }) => r.file === '-')).toBe(true);
  });

  it('writes to --output and gates with --fail-on', async () => {
    const out = repoPath('test/artifacts/check-output.json');
    const { code, stdout } = await runCli([
      'check',
      shop,
      ...demo,
      '-f',
      'json',
      '-o',
      out,
      '--fail-on',
      'critical',
    ]);
    expect(code).toBe(0);
    expect(stdout).toBe('');
    expect(JSON.parse(readFileSync(out, 'utf8')).summary.findings).toBe(5);
  });

  it('exits 0 on compliant input', async () => {
    const { code, stdout } = await runCli([
      'check',
      'fixtures/engine/inputs/compliant.yaml',
      ...demo,
      '--skip',
      'demo-load-balancer-count',
    ]);
    expect(code).toBe(0);
    expect(stdout).toMatch(/4 resources checked against 3 policies: no findings/);
  });

  it('walks directories recursively, skipping documents and files that are not inputs with a note', async () => {
    const { code, stdout } = await runCli([
      'check',
      'fixtures/engine/mixed',
      ...demo,
      '--select',
      'demo-privileged',
      '-f',
      'json',
    ]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    expect(report.resources.map((r: { id: string }) => r.id)).toEqual([
      'Pod/ops/debug',
      'docker.io/library/alpine:3.20',
      'docker.io/library/busybox:1.36',
    ]);
    expect(report.findings.map((f: { path: string }) => f.path)).toEqual([
      '/spec/containers/0/securityContext/privileged',
      '/spec/ephemeralContainers/0/securityContext/privileged',
    ]);
    expect(report.findings.map((f: { resource: { line: number } }) => f.resource.line)).toEqual([7, 10]);
    expect(report.notices.map((n: { code: string; file: string }) => [n.code, n.file])).toEqual([
      ['not-recognised', 'fixtures/engine/mixed/nested/tsconfig.json'],
      ['not-kubernetes', 'fixtures/engine/mixed/values.yaml'],
    ]);
  });

  it.each([
    [
      ['check', shop, '--policies', 'fixtures/engine/broken', '--no-builtin'],
      /^error: .*fixtures\/engine\/broken\/bad-severity\.yaml: severity: must be equal to one of the allowed values \(critical, high, medium, low, info\)\n$/,
    ],
    [['check', shop, ...demo, '--fail-on', 'urgent'], /^error: --fail-on: "urgent" is not a severity/],
    [['check', shop, ...demo, '--format', 'yaml'], /^error: --format: unknown format "yaml"/],
    [['check', ...demo], /^error: check: give at least one file/],
  ])('exits 2 with a one-line error: %j', async (argv, pattern) => {
    const { code, stdout, stderr } = await runCli(argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toMatch(pattern);
    expect(stderr.trim().split('\n')).toHaveLength(1);
  });

  it('reports a malformed input in the report and on stderr, exit 2', async () => {
    const { code, stdout, stderr } = await runCli([
      'check',
      'fixtures/engine/inputs/malformed.yaml',
      ...demo,
    ]);
    const message =
      'error: fixtures/engine/inputs/malformed.yaml:6:1: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]\n';
    expect(code).toBe(2);
    expect(stderr).toBe(message);
    expect(stdout).toBe(`${message}\n0 resources checked against 4 policies: 1 unreadable input\n`);
  });

  it('refuses hostile YAML (alias bombs, absurd nesting) with a one-line error instead of crashing', async () => {
    const dir = repoPath('test/artifacts');
    mkdirSync(dir, { recursive: true });
    const deep = `${dir}/deep.yaml`;
    writeFileSync(
      deep,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: ${'['.repeat(200_000)}${']'.repeat(200_000)}\n`,
    );
    const nested = await runCli(['check', deep, ...demo]);
    expect(nested.code).toBe(2);
    expect(nested.stderr).toMatch(
      /^error: .*deep\.yaml:4:\d+: invalid YAML: collections are nested too deeply\n$/,
    );
    const bomb = `${dir}/bomb.yaml`;
    const levels = 'abcdefghi'.split('');
    writeFileSync(
      bomb,
      levels
        .map(
          (name, i) =>
            `${name}: &${name} [${
              i === 0
                ? '"lol", '.repeat(8) + '"lol"'
                : Array(9)
                    .fill('*' + levels[i - 1])
                    .join(', ')
            }]`,
        )
        .join('\n') + '\n',
    );
    const aliases = await runCli(['check', bomb, ...demo]);
    expect(aliases.code).toBe(2);
    expect(aliases.stderr).toMatch(/^error: .*bomb\.yaml:1:1: invalid YAML: document contains excessive aliasing\n$/);
  });

  it('activates image-signed only once a cosign key is given, also on the command line', async () => {
    const dir = repoPath('test/artifacts');
    mkdirSync(dir, { recursive: true });
    const key = `${dir}/cosign.pub`;
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    writeFileSync(key, publicKey.export({ type: 'spki', format: 'pem' }));
    const without = JSON.parse(
      (await runCli(['check', shop, '--select', 'image-signed', '-f', 'json'])).stdout,
    );
    expect(without.findings).toEqual([]);
    expect(without.notices.map((n: { code: string }) => n.code)).toContain('image-signed-inactive');
    const withKey = JSON.parse(
      (await runCli(['check', shop, '--select', 'image-signed', '--cosign-key', key, '-f', 'json'])).stdout,
    );
    // Registry lookups are off, so every image's signature is unknown rather than passing silently.
    expect(withKey.findings.map((f: { status: string }) => f.status)).toEqual([
      'unknown',
      'unknown',
      'unknown',
      'unknown',
    ]);
  });

  it('names the position of malformed JSON', async () => {
    const { code, stderr } = await runCli(['check', '-', ...demo], {
      stdin: '{\n  "apiVersion": "v1",\n  "kind": Pod\n}',
    });
    expect(code).toBe(2);
    expect(stderr).toMatch(/^error: -:3:11: invalid JSON: unexpected character 'P'\n$/);
  });

  it('rejects an invalid --image in one short line naming it, however long it is (exit 2)', async () => {
    const short = await runCli(['check', '--image', 'Nginx:1.27']);
    expect(short.code).toBe(2);
    expect(short.stderr).toBe(
      'error: --image "Nginx:1.27": invalid image reference: repository name "library/Nginx" must be lowercase\n',
    );
    const long = await runCli(['check', '--image', 'Nginx'.repeat(20_000)]);
    expect(long.code).toBe(2);
    expect(long.stderr).toBe(
      `error: --image "${'Nginx'.repeat(12)}Ngin... (100,000 characters)": invalid image reference: repository name "library/${'Nginx'.repeat(11)}N... (100,008 characters)" must be lowercase\n`,
    );
  });

  it('stops before evaluating when a report or key it is given cannot be used (exit 2, one line naming it)', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-vulns-'));
    const trivy = readFileSync(repoPath('policies/images/tests/trivy-shop-api.json'), 'utf8');
    const truncated = path.join(dir, 'truncated.json');
    writeFileSync(truncated, trivy.slice(0, trivy.length / 2));
    const other = path.join(dir, 'other.json');
    writeFileSync(other, '{"kind": "SBOM"}');
    const missing = path.join(dir, 'missing.json');
    const cases: Array<[string[], string | RegExp]> = [
      [
        ['--vulns', truncated],
        new RegExp(`^error: ${truncated}: vulnerability report is not JSON \\(.*\\)\\n$`),
      ],
      [
        ['--vulns', other],
        `error: ${other}: not a Trivy or Grype JSON report (expected "SchemaVersion"/"Results" or "matches"/"source")\n`,
      ],
      [
        ['--vulns', missing],
        new RegExp(`^error: ${missing}: cannot read vulnerability report \\(ENOENT.*\\)\\n$`),
      ],
      [
        ['--cosign-key', missing],
        new RegExp(`^error: ${missing}: cannot read cosign public key \\(ENOENT.*\\)\\n$`),
      ],
    ];
    for (const [args, error] of cases) {
      const run = await runCli(['check', shop, '--select', 'image-*', ...args]);
      expect([args, run.code, run.stdout]).toEqual([args, 2, '']);
      if (typeof error === 'string') expect(run.stderr).toBe(error);
      else expect(run.stderr).toMatch(error);
    }
    // The same from the configuration, relative to it.
    const config = path.join(dir, 'parapet.yaml');
    writeFileSync(config, 'images:\n  vulnerabilityReports: [truncated.json]\n');
    const configured = await runCli(['check', shop, '--config', config]);
    expect(configured.code).toBe(2);
    expect(configured.stderr).toMatch(new RegExp(`^error: ${truncated}: vulnerability report is not JSON`));
    // A whole report is read and used.
    const whole = path.join(dir, 'whole.json');
    writeFileSync(whole, trivy);
    const used = await runCli(['check', '--image', 'nginx:1.27', '--vulns', whole, '-f', 'json']);
    expect(used.stderr).toBe('');
    expect(JSON.parse(used.stdout).notices.map((n: { code: string }) => n.code)).toContain(
      'vulnerability-report-unmatched',
    );
  });

  it('treats an unknown option as a usage error (exit 2)', async () => {
    const { code, stderr } = await runCli(['check', shop, '--frobnicate']);
    expect(code).toBe(2);
    expect(stderr).toContain("unknown option '--frobnicate'");
  });
});

describe('parapet policies and parapet test', () => {
  it('lists policies as text and JSON', async () => {
    const text = await runCli(['policies', ...demo]);
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/^ID +SEVERITY +CATEGORY +TITLE/);
    expect(text.stdout).toContain('demo-privileged');
    const json = await runCli(['policies', ...demo, '--format', 'json', '--select', 'tag:demo']);
    expect(JSON.parse(json.stdout).map((p: { id: string }) => p.id)).toEqual([
      'demo-max-replicas',
      'demo-network-policy',
      'demo-privileged',
    ]);
  });

  it('runs the declared test cases of each policy', async () => {
    const { code, stdout } = await runCli(['test', 'fixtures/engine/policies']);
    expect(stdout).toContain('ok   demo-privileged (2 cases)');
    expect(stdout).toMatch(/6 passed, 0 failed|[0-9]+ passed, 0 failed/);
    expect(code).toBe(0);
  });

  it('fails when a policy disagrees with its fixtures', async () => {
    const { code, stdout } = await runCli(['test', 'test/fixtures-wrong-expectations']);
    expect(code).toBe(1);
    expect(stdout).toContain('FAIL demo-wrong-expectation (2 cases)');
    expect(stdout).toContain(
      'pass ../../fixtures/engine/inputs/shop.yaml: expected no finding, got 2 failing',
    );
    expect(stdout).toContain(
      'fail ../../fixtures/engine/inputs/compliant.yaml: expected a failing finding, got none',
    );
  });
});
