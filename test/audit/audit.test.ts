import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { asManifest } from '../../src/audit/audit.js';
import { parseInterval } from '../../src/audit/background.js';
import { connect } from '../../src/audit/kube-api.js';
import { splitReports } from '../../src/audit/policy-reports.js';

const result = (policy: string, outcome: string) => ({ policy, result: outcome, message: 'x'.repeat(200) });

describe('splitReports', () => {
  it('keeps a small report whole and splits a large one into numbered parts with their own summaries', () => {
    const small = {
      kind: 'PolicyReport',
      metadata: { name: 'parapet', namespace: 'shop' },
      results: [result('a', 'pass')],
    };
    const big = {
      kind: 'PolicyReport',
      metadata: { name: 'parapet', namespace: 'data' },
      results: Array.from({ length: 30 }, (_, i) => result(`p${i}`, i % 3 === 0 ? 'fail' : 'pass')),
    };
    const parts = splitReports([small, big], 2_500);
    expect(
      parts.map(
        (p) => `${(p.metadata as { namespace: string }).namespace}/${(p.metadata as { name: string }).name}`,
      ),
    ).toEqual(['shop/parapet', 'data/parapet', 'data/parapet-2', 'data/parapet-3']);
    for (const part of parts)
      expect(Buffer.byteLength(JSON.stringify(part.results))).toBeLessThanOrEqual(2_600);
    const results = parts.slice(1).flatMap((p) => p.results as Array<{ policy: string }>);
    expect(results.map((r) => r.policy)).toEqual(big.results.map((r) => r.policy));
    const summaries = parts.slice(1).map((p) => p.summary as Record<string, number>);
    expect(summaries.reduce((n, s) => n + s.fail!, 0)).toBe(10);
    expect(summaries.reduce((n, s) => n + s.pass!, 0)).toBe(20);
  });
});

describe('asManifest', () => {
  it('adds apiVersion and kind, sorts keys as kubectl prints them and drops managedFields', () => {
    const object = asManifest(
      { apiVersion: 'apps/v1', group: 'apps', kind: 'Deployment', resource: 'deployments', namespaced: true },
      {
        spec: { replicas: 1, selector: {} },
        metadata: { name: 'web', managedFields: [{ manager: 'kubectl' }], labels: { b: '1', a: '2' } },
      },
    );
    expect(JSON.stringify(object)).toBe(
      '{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"labels":{"a":"2","b":"1"},"name":"web"},"spec":{"replicas":1,"selector":{}}}',
    );
  });
});

describe('connect', () => {
  it('names a kubeconfig it cannot read', async () => {
    await expect(connect({ kubeconfig: '/nonexistent/kubeconfig' })).rejects.toThrow(
      /^\/nonexistent\/kubeconfig: cannot read the kubeconfig: /,
    );
  });

  it('names an unknown context and lists the known ones', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-kubeconfig-'));
    const file = path.join(dir, 'config');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Config',
        'clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]',
        'users: [{name: u, user: {token: t}}]',
        'contexts: [{name: prod, context: {cluster: c, user: u}}]',
        'current-context: prod',
      ].join('\n'),
    );
    await expect(connect({ kubeconfig: file, context: 'staging' })).rejects.toThrow(
      '--context: no context "staging" in the kubeconfig (known: prod)',
    );
    const api = await connect({ kubeconfig: file });
    expect(api.context).toBe('prod');
    expect(api.server).toBe('https://127.0.0.1:6443');
  });

  it('reports an unreachable API server as one line naming the request', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-kubeconfig-'));
    const file = path.join(dir, 'config');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n',
    );
    const api = await connect({ kubeconfig: file });
    await expect(api.request({ path: '/api' })).rejects.toThrow(
      /^GET https:\/\/127\.0\.0\.1:1\/api: connect ECONNREFUSED/,
    );
  });
});

describe('parseInterval', () => {
  it('reads seconds, minutes and hours of at least a minute', () => {
    expect(parseInterval('1h')).toBe(3_600_000);
    expect(parseInterval('30m')).toBe(1_800_000);
    expect(parseInterval('90s')).toBe(90_000);
    expect(parseInterval('120')).toBe(120_000);
    expect(parseInterval('30s')).toBeUndefined();
    expect(parseInterval('1d')).toBeUndefined();
    expect(parseInterval('soon')).toBeUndefined();
  });
});
