import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { findConfigFile, loadConfig } from '../../src/config/load.js';
import { ParapetError } from '../../src/model/errors.js';
import { defaultSettings } from '../../src/model/settings.js';

const fixtures = path.resolve(import.meta.dirname, '../../fixtures/config');

function loadError(file: string): ParapetError {
  try {
    loadConfig({ cwd: fixtures, file });
  } catch (error) {
    expect(error).toBeInstanceOf(ParapetError);
    return error as ParapetError;
  }
  throw new Error(`${file} loaded without error`);
}

describe('loadConfig', () => {
  it('normalises a complete parapet.yaml into Settings', () => {
    const config = loadConfig({ cwd: fixtures, file: 'parapet.yaml' });
    expect(config).toBeDefined();
    const { settings } = config!;
    expect(config!.file).toBe('parapet.yaml');
    expect(config!.policyPaths).toEqual([path.join(fixtures, 'policies')]);
    expect(config!.builtin).toBe(true);
    expect(settings.select).toEqual([]);
    expect(settings.skip).toEqual(['k8s-default-namespace']);
    expect(settings.severity).toEqual([
      { policy: 'pss-baseline-*', severity: 'critical' },
      { policy: 'image-tag-latest', severity: 'high' },
    ]);
    // Order is kept: later entries win, so the specific enforce comes after the glob.
    expect(settings.modes).toEqual([
      { policy: 'pss-restricted-*', mode: 'warn' },
      { policy: 'cost-*', mode: 'audit' },
      { policy: 'pss-restricted-run-as-non-root', mode: 'enforce' },
    ]);
    expect(settings.parameters['image-allowed-registries']).toEqual({
      allowed: ['ghcr.io/acme/**', 'registry.acme.internal/**'],
    });
    expect(settings.exclude).toEqual({
      namespaces: ['kube-system', 'gatekeeper-*'],
      files: ['vendor/**', '**/*.generated.yaml'],
      resources: ['Secret/*/sealed-*'],
    });
    expect(settings.unknown).toBe('fail');
    expect(settings.failOn).toBe('medium');
    expect(settings.allowAnnotationWaivers).toBe(true);
    expect(settings.waivers).toHaveLength(2);
    expect(settings.waivers[0]).toEqual({
      policy: 'pss-baseline-host-namespaces',
      resource: 'DaemonSet/monitoring/node-exporter',
      reason: 'node-exporter reads host network statistics',
      owner: 'team-observability',
      expires: '2099-12-31',
      ticket: 'OBS-1182',
      origin: 'parapet.yaml',
    });
    expect(settings.waivers[1]?.file).toBe('k8s/legacy/**');
    expect(settings.approvals).toEqual([
      {
        policy: 'tf-replace-stateful',
        resource: 'module.db.aws_db_instance.main',
        by: 'CHG-2291 (DBA on call)',
      },
    ]);
    expect(settings.domains.cost).toEqual({ currency: 'USD' });
  });

  it('gives defaults for an empty file', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-config-'));
    writeFileSync(path.join(dir, 'parapet.yaml'), '# nothing configured yet\n');
    const config = loadConfig({ cwd: dir });
    expect(config?.settings).toEqual(defaultSettings());
    expect(config?.builtin).toBe(true);
    expect(config?.policyPaths).toEqual([]);
  });

  it('discovers parapet.yaml, then parapet.yml, then the dot files, in the working directory only', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-config-'));
    expect(loadConfig({ cwd: dir })).toBeUndefined();
    writeFileSync(path.join(dir, '.parapet.yml'), 'failOn: low\n');
    expect(findConfigFile(dir)).toBe(path.join(dir, '.parapet.yml'));
    writeFileSync(path.join(dir, 'parapet.yml'), 'failOn: high\n');
    expect(loadConfig({ cwd: dir })?.settings.failOn).toBe('high');
    const child = path.join(dir, 'sub');
    mkdirSync(child);
    expect(findConfigFile(child)).toBeUndefined();
  });

  it('names a missing --config file', () => {
    const error = loadError('does-not-exist.yaml');
    expect(error.code).toBe('PARAPET_CONFIG_READ');
    expect(error.message).toBe('does-not-exist.yaml: cannot read configuration: no such file');
  });

  it.each([
    [
      'bad-expiry.yaml',
      'invalid/bad-expiry.yaml:7:14: waivers[0].expires: must be a date written YYYY-MM-DD, got "next quarter"',
    ],
    ['missing-owner.yaml', 'invalid/missing-owner.yaml:2:5: waivers[0]: missing required key "owner"'],
    ['typo-key.yaml', 'invalid/typo-key.yaml:3:1: exlude: unknown key (did you mean "exclude"?)'],
    [
      'bad-severity.yaml',
      'invalid/bad-severity.yaml:3:12: severity["pss-*"]: must be one of "critical", "high", "medium", "low", "info", got "severe"',
    ],
    [
      'bad-mode.yaml',
      'invalid/bad-mode.yaml:2:27: modes.cost-plan-delta-budget: must be one of "enforce", "warn", "audit", got "block"',
    ],
    [
      'wrong-type.yaml',
      'invalid/wrong-type.yaml:2:15: exclude.namespaces: must be a list of strings, got "kube-system"',
    ],
    [
      'top-level-list.yaml',
      'invalid/top-level-list.yaml:1:1: the configuration must be a mapping of keys (policies, waivers, ...)',
    ],
  ])('rejects %s with a one-line error naming line and field', (file, message) => {
    const error = loadError(`invalid/${file}`);
    expect(error.code).toBe('PARAPET_CONFIG_INVALID');
    expect(error.message).toBe(message);
    expect(error.message).not.toContain('\n');
    expect(error.file).toBe(`invalid/${file}`);
  });

  it('rejects malformed YAML and duplicate keys with their position', () => {
    expect(loadError('invalid/not-yaml.yaml').message).toMatch(
      /^invalid\/not-yaml\.yaml:\d+:\d+: not valid YAML: /,
    );
    expect(loadError('invalid/duplicate-key.yaml').message).toMatch(
      /^invalid\/duplicate-key\.yaml:3:1: not valid YAML: Map keys must be unique/,
    );
  });

  it('rejects an impossible calendar date', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-config-'));
    writeFileSync(
      path.join(dir, 'parapet.yaml'),
      'waivers:\n  - { policy: a, resource: b, reason: c, owner: d, expires: "2026-02-30" }\n',
    );
    expect(() => loadConfig({ cwd: dir })).toThrow(
      /waivers\[0\]\.expires: must be a date written YYYY-MM-DD, got "2026-02-30"/,
    );
  });
});
