import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { kubernetesResource } from '../../src/inputs/kubernetes.js';
import type { Policy } from '../../src/model/policy.js';
import { defaultSettings } from '../../src/model/settings.js';
import { loadPolicies } from '../../src/policies/load.js';
import { applyMutation, buildMutation } from '../../src/server/mutation.js';
import { repoPath } from '../helpers.js';

let engine: Engine;
let policies: Map<string, Policy>;

beforeAll(async () => {
  const loaded = await loadPolicies({ paths: [repoPath('fixtures/admission/policies')], builtin: false });
  engine = await createEngine(loaded, defaultSettings());
  policies = new Map(loaded.map((policy) => [policy.id, policy]));
});

function manifest(file: string): Record<string, unknown> {
  return parse(readFileSync(repoPath('fixtures/admission/policies/tests', file), 'utf8')) as Record<
    string,
    unknown
  >;
}

async function plan(body: Record<string, unknown>, mutate: string[], policyMap = policies) {
  const resource = kubernetesResource(body, { file: 'test', line: 1 });
  const result = await engine.evaluate([resource]);
  return { plan: buildMutation(resource, result.findings, policyMap, mutate), result };
}

describe('buildMutation', () => {
  it('rebases container fixes onto each failing container and creates missing parents once', async () => {
    const { plan: mutation } = await plan(manifest('privileged-pod.yaml'), [
      'admission-no-privilege-escalation',
    ]);
    expect(mutation.policies).toEqual(['admission-no-privilege-escalation']);
    expect(mutation.patch.map((op) => `${op.op} ${op.path}`)).toEqual([
      'add /spec/containers/0/securityContext',
      'add /spec/containers/0/securityContext/allowPrivilegeEscalation',
      'add /spec/containers/0/securityContext/capabilities',
      'add /spec/containers/0/securityContext/capabilities/drop',
      'add /spec/containers/1/securityContext/allowPrivilegeEscalation',
      'add /spec/containers/1/securityContext/capabilities',
      'add /spec/containers/1/securityContext/capabilities/drop',
    ]);
  });

  it('produces a patch after which the mutating policies pass, on a Deployment too', async () => {
    const pod = manifest('privileged-pod.yaml');
    const deployment = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'node-debugger', namespace: 'payments' },
      spec: {
        selector: { matchLabels: { app: 'dbg' } },
        template: { metadata: { labels: { app: 'dbg' } }, spec: (pod as { spec: unknown }).spec },
      },
    };
    const mutate = [
      'admission-no-privileged',
      'admission-no-privilege-escalation',
      'admission-seccomp-runtime-default',
    ];
    const { plan: mutation } = await plan(deployment, mutate);
    expect(mutation.patch.every((op) => op.path.startsWith('/spec/template/spec/'))).toBe(true);
    const patched = applyMutation(deployment, mutation.patch);
    const after = await engine.evaluate([kubernetesResource(patched, { file: 'test', line: 1 })]);
    expect(after.findings.filter((f) => mutate.includes(f.policyId))).toEqual([]);
    // The input is never modified.
    expect(JSON.stringify(deployment)).not.toContain('RuntimeDefault');
  });

  it('leaves out policies that are not configured to mutate, have no fix, or are waived', async () => {
    const { plan: none } = await plan(manifest('privileged-pod.yaml'), []);
    expect(none.patch).toEqual([]);
    const { plan: noFix } = await plan(manifest('privileged-pod.yaml'), [
      'admission-team-label',
      'admission-pinned-image-tag',
    ]);
    expect(noFix.patch).toEqual([]);
    const { plan: clean } = await plan(manifest('hardened-pod.yaml'), ['*']);
    expect(clean.patch).toEqual([]);
  });

  it('emits a pod-level fix once when several containers fail the same policy', async () => {
    const podLevel = new Map(policies);
    const original = policies.get('admission-no-privileged')!;
    podLevel.set(original.id, { ...original, fix: [{ op: 'replace', path: '/pod/hostPID', value: false }] });
    const pod = manifest('privileged-pod.yaml') as { spec: { containers: Array<Record<string, unknown>> } };
    pod.spec.containers[0]!.securityContext = { privileged: true };
    const { plan: mutation, result } = await plan(pod, ['admission-no-privileged'], podLevel);
    expect(result.findings.filter((f) => f.policyId === 'admission-no-privileged')).toHaveLength(2);
    expect(mutation.patch).toEqual([{ op: 'add', path: '/spec/hostPID', value: false }]);
  });

  it('skips a fix that cannot be placed instead of emitting a patch the API server would reject', async () => {
    const broken = new Map(policies);
    const original = policies.get('admission-no-privileged')!;
    broken.set(original.id, {
      ...original,
      fix: [{ op: 'move', from: '/container/doesNotExist', path: '/container/x' }],
    });
    const { plan: mutation } = await plan(
      manifest('privileged-pod.yaml'),
      ['admission-no-privileged'],
      broken,
    );
    expect(mutation.patch).toEqual([]);
    expect(mutation.skipped).toEqual([
      {
        policyId: 'admission-no-privileged',
        reason: 'it does not apply at /spec/containers/1/securityContext/privileged',
      },
    ]);
  });
});

describe('/mutate with the built-in restricted fixes', () => {
  const restricted = [
    'pss-restricted-capabilities',
    'pss-restricted-privilege-escalation',
    'pss-restricted-seccomp',
  ];
  let builtin: Engine;
  let builtinPolicies: Map<string, Policy>;

  beforeAll(async () => {
    const loaded = await loadPolicies({ paths: [], builtin: true });
    builtin = await createEngine(loaded, defaultSettings());
    builtinPolicies = new Map(loaded.map((policy) => [policy.id, policy]));
  });

  function deployment(containers: Array<Record<string, unknown>>): Record<string, unknown> {
    return {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'web', namespace: 'shop' },
      spec: {
        selector: { matchLabels: { app: 'web' } },
        template: { metadata: { labels: { app: 'web' } }, spec: { containers } },
      },
    };
  }

  async function mutateAndCheck(body: Record<string, unknown>) {
    const resource = kubernetesResource(body, { file: 'test', line: 1 });
    const before = await builtin.evaluate([resource]);
    const mutation = buildMutation(resource, before.findings, builtinPolicies, restricted);
    const patched = applyMutation(body, mutation.patch);
    const after = await builtin.evaluate([kubernetesResource(patched, { file: 'test', line: 1 })]);
    return { mutation, before, after };
  }

  it('repairs a container that adds NET_ADMIN: the patched object passes pss-restricted-capabilities', async () => {
    const { mutation, before, after } = await mutateAndCheck(
      deployment([
        { name: 'app', image: 'shop/web:1.2.3', securityContext: { capabilities: { add: ['NET_ADMIN'] } } },
      ]),
    );
    expect(before.findings.map((f) => f.policyId)).toContain('pss-restricted-capabilities');
    expect(mutation.policies).toEqual(expect.arrayContaining(restricted));
    expect(after.findings.filter((f) => restricted.includes(f.policyId))).toEqual([]);
  });

  it('patches thousands of containers in one pass, each fixed once, and the result passes', async () => {
    const containers = Array.from({ length: 3000 }, (_, i) => ({ name: `c${i}`, image: `shop/web:1.${i}` }));
    const { mutation, after } = await mutateAndCheck(deployment(containers));
    // Per container: securityContext, allowPrivilegeEscalation, seccompProfile, capabilities, drop.
    expect(mutation.patch.length).toBeGreaterThanOrEqual(3000 * 4);
    expect(after.findings.filter((f) => restricted.includes(f.policyId))).toEqual([]);
  });
});
