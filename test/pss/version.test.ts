import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createEngine } from '../../src/engine/engine.js';
import { loadInputs } from '../../src/inputs/load.js';
import { ParapetError } from '../../src/model/errors.js';
import { defaultSettings } from '../../src/model/settings.js';
import { loadPolicies } from '../../src/policies/load.js';
import { pssVersionOf, withPssVersion } from '../../src/pss/settings.js';
import { latestPssVersion, parsePssVersion } from '../../src/pss/version.js';
import { buildServer } from '../../src/server/app.js';
import { repoPath, runCli } from '../helpers.js';

const gateway = repoPath('fixtures/pss/edge-gateway.yaml');

function thrown(fn: () => unknown): ParapetError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ParapetError);
    return error as ParapetError;
  }
  throw new Error('no error');
}

describe('Pod Security Standards versions', () => {
  it('reads latest and v1.0 to the newest known version, as PSA labels write them', () => {
    expect(latestPssVersion).toEqual({ major: 1, minor: 37 });
    expect(parsePssVersion('latest', '--pss-version')).toBe(latestPssVersion);
    expect(parsePssVersion('v1.0', '--pss-version')).toEqual({ major: 1, minor: 0 });
    expect(parsePssVersion('v1.25', '--pss-version')).toEqual({ major: 1, minor: 25 });
    expect(parsePssVersion('v1.37', '--pss-version')).toEqual({ major: 1, minor: 37 });
  });

  it('refuses other spellings and versions it has no checks for, in one line', () => {
    for (const bad of ['1.30', 'v1.030', 'v2.0', 'v1', 'Latest', 'v1.30.2', '']) {
      const error = thrown(() => parsePssVersion(bad, '--pss-version'));
      expect([error.code, error.message]).toEqual([
        'PARAPET_USAGE',
        `--pss-version: ${JSON.stringify(bad)} is not a Pod Security Standards version (latest, or v1.0 to v1.37)`,
      ]);
    }
    expect(thrown(() => parsePssVersion('v1.38', '--pss-version')).message).toBe(
      '--pss-version: v1.38 is newer than the newest Pod Security Standards version parapet knows (v1.37); use latest or v1.0 to v1.37',
    );
  });

  it('pss.version in parapet.yaml sets the version; a bad one is a configuration error naming the file', () => {
    const source = { file: 'parapet.yaml', path: '/work/project/parapet.yaml' };
    expect(pssVersionOf(parseConfig('pss: { version: v1.29 }\n', source).settings)).toEqual({
      major: 1,
      minor: 29,
    });
    expect(pssVersionOf(parseConfig('pss: { version: latest }\n', source).settings)).toBe(latestPssVersion);
    expect(pssVersionOf(parseConfig('version: 1\n', source).settings)).toBe(latestPssVersion);
    const tooNew = thrown(() => parseConfig('pss:\n  version: v1.40\n', source));
    expect([tooNew.code, tooNew.message]).toEqual([
      'PARAPET_CONFIG_INVALID',
      'parapet.yaml: pss.version: v1.40 is newer than the newest Pod Security Standards version parapet knows (v1.37); use latest or v1.0 to v1.37',
    ]);
    expect(thrown(() => parseConfig('pss:\n  level: restricted\n', source)).code).toBe(
      'PARAPET_CONFIG_INVALID',
    );
  });
});

describe('versioned PSS policies', () => {
  async function failing(version: string, select: string, parameters = {}) {
    const settings = withPssVersion(
      { ...defaultSettings(), select: [select], parameters },
      parsePssVersion(version, version),
    );
    const engine = await createEngine(await loadPolicies({ builtin: true }), settings);
    const { resources } = await loadInputs([gateway]);
    const result = await engine.evaluate(resources);
    return result.findings
      .filter((f) => f.status === 'fail')
      .map((f) => `${f.policyId} ${f.path}`)
      .sort();
  }

  it('follow the allow-lists and exemptions of the version', async () => {
    expect(await failing('latest', 'pss-baseline-*')).toEqual([]);
    expect(await failing('v1.36', 'pss-baseline-*')).toEqual([
      'pss-baseline-sysctls /spec/template/spec/securityContext/sysctls/1/name',
    ]);
    expect(await failing('v1.34', 'pss-baseline-*')).toEqual([
      'pss-baseline-proc-mount /spec/template/spec/containers/0/securityContext/procMount',
      'pss-baseline-sysctls /spec/template/spec/securityContext/sysctls/1/name',
    ]);
    // Restricted forbids the unmasked /proc at every version, through the control it has at each.
    expect(await failing('latest', 'pss-*')).toEqual([
      'pss-restricted-proc-mount /spec/template/spec/containers/0/securityContext/procMount',
    ]);
    expect(await failing('v1.34', 'pss-*')).toEqual([
      'pss-baseline-proc-mount /spec/template/spec/containers/0/securityContext/procMount',
      'pss-baseline-sysctls /spec/template/spec/securityContext/sysctls/1/name',
    ]);
  });

  it('run only the controls the version has', async () => {
    const ids = async (version: string) => {
      const settings = withPssVersion(
        { ...defaultSettings(), select: ['pss-*'] },
        parsePssVersion(version, version),
      );
      return (await createEngine(await loadPolicies({ builtin: true }), settings)).policies.map(
        (p) => p.policy.id,
      );
    };
    const v1_0 = await ids('v1.0');
    expect(v1_0).not.toContain('pss-restricted-privilege-escalation');
    expect(v1_0).not.toContain('pss-baseline-host-probes');
    expect(v1_0).toContain('pss-baseline-capabilities');
    const v1_22 = await ids('v1.22');
    expect(v1_22).toContain('pss-restricted-capabilities');
    expect(v1_22).not.toContain('pss-baseline-capabilities');
    expect(v1_22).not.toContain('pss-restricted-run-as-user');
    expect(await ids('latest')).toHaveLength(15);
  });

  it('configured parameters still win over the version defaults', async () => {
    const parameters = { 'pss-baseline-sysctls': { safeSysctls: ['net.ipv4.ip_local_port_range'] } };
    expect(await failing('latest', 'pss-baseline-sysctls', parameters)).toEqual([
      'pss-baseline-sysctls /spec/template/spec/securityContext/sysctls/1/name',
    ]);
  });
});

describe('--pss-version on the command line', () => {
  it('check: evaluates as that version, and a bad version exits 2 with one line', async () => {
    const latest = await runCli(['check', gateway, '--select', 'pss-baseline-*']);
    expect([latest.code, latest.stderr]).toEqual([0, '']);
    const old = await runCli(['check', gateway, '--select', 'pss-baseline-*', '--pss-version', 'v1.36']);
    expect(old.code).toBe(1);
    expect(old.stdout).toContain('sets the unsafe sysctl net.ipv4.tcp_notsent_lowat');
    const bad = await runCli(['check', gateway, '--pss-version', 'v1.99']);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'error: --pss-version: v1.99 is newer than the newest Pod Security Standards version parapet knows (v1.37); use latest or v1.0 to v1.37\n',
    ]);
  });

  it('test: runs the policy tests at that version, skipping controls the version lacks', async () => {
    const run = await runCli([
      'test',
      'policies/kubernetes/pss',
      '--select',
      'pss-restricted-*',
      '--pss-version',
      'v1.20',
      '--format',
      'json',
    ]);
    const report = JSON.parse(run.stdout) as {
      outcomes: Array<{ policyId: string; cases: Array<{ skipped?: string; ok: boolean }> }>;
    };
    const skipped = report.outcomes
      .filter((o) => o.cases.every((c) => c.skipped))
      .map((o) => o.policyId)
      .sort();
    expect(skipped).toEqual([
      'pss-restricted-capabilities',
      'pss-restricted-proc-mount',
      'pss-restricted-run-as-user',
    ]);
    const bad = await runCli(['test', '--pss-version', 'v1']);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      'error: --pss-version: "v1" is not a Pod Security Standards version (latest, or v1.0 to v1.37)\n',
    ]);
  });

  it('serve: a bad version exits 2 with one line before anything listens', async () => {
    const missing = repoPath('fixtures/pss/no-such.pem');
    const run = await runCli([
      'serve',
      '--tls-cert',
      missing,
      '--tls-key',
      missing,
      '--pss-version',
      'latest-ish',
    ]);
    expect([run.code, run.stderr]).toEqual([
      2,
      'error: --pss-version: "latest-ish" is not a Pod Security Standards version (latest, or v1.0 to v1.37)\n',
    ]);
  });

  it('serve: the webhook answers as the version it was started with', async () => {
    const review = JSON.parse(
      readFileSync(repoPath('fixtures/admission/reviews/pod-sysctl-notsent-lowat-create.v1.json'), 'utf8'),
    ) as Record<string, unknown>;
    const allowed = async (version: string) => {
      const settings = withPssVersion(
        { ...defaultSettings(), select: ['pss-*'] },
        parsePssVersion(version, version),
      );
      const app = buildServer(await createEngine(await loadPolicies({ builtin: true }), settings), {
        logger: false,
      });
      try {
        const response = await app.inject({ method: 'POST', url: '/validate', payload: review });
        return (response.json() as { response: { allowed: boolean } }).response.allowed;
      } finally {
        await app.close();
      }
    };
    expect(await allowed('latest')).toBe(true);
    expect(await allowed('v1.36')).toBe(false);
  });
});
