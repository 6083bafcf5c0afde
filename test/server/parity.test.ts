/**
 * Parity: the same manifests through `parapet check` and, wrapped as AdmissionReviews, through
 * `/validate` give the same verdicts. Set-scoped policies (relations, aggregates) need the whole
 * input, which one admission request does not carry; they are compared out, by design.
 * `check` reads each document as written (YAML 1.1 words, merge keys, anchors); the webhook gets the
 * object as kubectl would send it, read with sigs.k8s.io/yaml's rules (proven against it by
 * test/inputs/yaml-oracle.test.ts).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineFromOptions } from '../../src/cli/settings.js';
import { splitKubernetesStream } from '../../src/inputs/kubernetes-yaml.js';
import { parseYamlDocuments } from '../../src/inputs/yaml.js';
import { buildServer, type WebhookServer } from '../../src/server/app.js';
import { repoPath, runCli } from '../helpers.js';

const manifestFiles = [
  'fixtures/admission/manifests/shop.yaml',
  'fixtures/admission/policies/tests/privileged-pod.yaml',
  'fixtures/admission/policies/tests/hardened-pod.yaml',
  'fixtures/admission/manifests/yaml-1.1.yaml',
];
/** Objects that only read as privileged or host-bound with YAML 1.1 rules: all must be denied. */
const yaml11Names = new Set(['switch-on', 'host-yes', 'merged', 'anchored']);
const policyOptions = {
  select: [],
  skip: [],
  policies: [repoPath('fixtures/admission/policies')],
  builtin: true,
};

interface Verdict {
  gating: string[];
  warn: string[];
}

let app: WebhookServer;
let setPolicies: Set<string>;
const decisions: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  const loaded = await engineFromOptions(policyOptions);
  setPolicies = new Set(loaded.engine.policies.filter((p) => p.rule.scope === 'set').map((p) => p.policy.id));
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.includes('"event":"admission"')) decisions.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  app = buildServer(loaded.engine, { logger: { level: 'info', stream } });
});

afterAll(async () => {
  await app.close();
});

interface Manifest {
  /** The document as written, for `check`. */
  text: string;
  /** The object as kubectl sends it, for `/validate`. */
  object: Record<string, unknown>;
}

function manifests(): Manifest[] {
  return manifestFiles.flatMap((file) =>
    splitKubernetesStream(file, readFileSync(repoPath(file), 'utf8')).flatMap((part) =>
      parseYamlDocuments(file, part.text)
        .map((doc) => doc.value as Record<string, unknown> | null)
        .filter((value): value is Record<string, unknown> => value !== null)
        .map((object) => ({ text: part.text, object })),
    ),
  );
}

function wrap(object: Record<string, unknown>, index: number): Record<string, unknown> {
  const metadata = object.metadata as { name: string; namespace?: string };
  const [group, version] = String(object.apiVersion).includes('/')
    ? String(object.apiVersion).split('/')
    : ['', String(object.apiVersion)];
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `00000000-0000-4000-8000-${String(index).padStart(12, '0')}`,
      kind: { group, version, kind: object.kind },
      resource: { group, version, resource: `${String(object.kind).toLowerCase()}s` },
      name: metadata.name,
      namespace: metadata.namespace,
      operation: 'CREATE',
      userInfo: { username: 'ci-deployer', groups: ['system:authenticated'] },
      object,
      dryRun: false,
    },
  };
}

describe('parity between parapet check and /validate', () => {
  it('gives every manifest the same gating and warning policies, and the same verdict', async () => {
    const read = manifests();
    const all = read.map((manifest) => manifest.object);
    expect(all.length).toBeGreaterThanOrEqual(11);
    // One document per file, so check's findings (images included) are attributed to their object.
    const dir = mkdtempSync(path.join(tmpdir(), 'parapet-parity-'));
    read.forEach((manifest, index) =>
      writeFileSync(path.join(dir, `${String(index).padStart(2, '0')}.yaml`), manifest.text),
    );
    const run = await runCli([
      'check',
      '--format',
      'json',
      '--policies',
      repoPath('fixtures/admission/policies'),
      dir,
    ]);
    expect(run.stderr).toBe('');
    const report = JSON.parse(run.stdout) as {
      findings: Array<{ policyId: string; status: string; resource: { file: string } }>;
    };
    const fromCheck = new Map<number, Verdict>(all.map((_, index) => [index, { gating: [], warn: [] }]));
    for (const finding of report.findings) {
      if (setPolicies.has(finding.policyId)) continue;
      const verdict = fromCheck.get(Number(path.basename(finding.resource.file, '.yaml')))!;
      if (finding.status === 'fail' || finding.status === 'error') verdict.gating.push(finding.policyId);
      if (finding.status === 'warn') verdict.warn.push(finding.policyId);
    }

    let denied = 0;
    for (const [index, object] of all.entries()) {
      const response = await app.inject({ method: 'POST', url: '/validate', payload: wrap(object, index) });
      const answer = (response.json() as { response: { allowed: boolean } }).response;
      const decision = decisions.at(-1)!;
      const expected = fromCheck.get(index)!;
      const label = `${String(object.kind)}/${(object.metadata as { name: string }).name}`;
      const fromAdmission = {
        gating: [...(decision.failing as string[]), ...(decision.errors as string[])].sort(),
        warn: (decision.warnings as string[]).slice().sort(),
      };
      expect(fromAdmission, label).toEqual({
        gating: [...new Set(expected.gating)].sort(),
        warn: [...new Set(expected.warn)].sort(),
      });
      expect(answer.allowed, label).toBe(expected.gating.length === 0);
      if (yaml11Names.has((object.metadata as { name: string }).name))
        expect(answer.allowed, label).toBe(false);
      if (!answer.allowed) denied += 1;
    }
    // The fixtures exercise both verdicts.
    expect(denied).toBeGreaterThanOrEqual(3);
    expect(all.length - denied).toBeGreaterThanOrEqual(2);
  });
});
