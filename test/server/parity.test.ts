/**
 * Parity: the same manifests through `parapet check` and, wrapped as AdmissionReviews, through
 * `/validate` give the same verdicts. Set-scoped policies (relations, aggregates) need the whole
 * input, which one admission request does not carry; they are compared out, by design.
 * `check` reads each document as written (YAML 1.1 words, merge keys, anchors); the webhook gets the
 * object as kubectl would send it, read with sigs.k8s.io/yaml's rules (proven against it by
 * test/inputs/yaml-oracle.test.ts). Gatekeeper Constraints, one per `match` criterion, give the
 * same verdicts too, their namespaceSelectors reading the Namespaces of the run in `check` and the
 * cluster's (as `serve` watches them) at admission.
 */
import { mkdtempSync, readdirSync, readFileSync, writeFileSync, copyFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineFromOptions } from '../../src/cli/settings.js';
import type { Engine } from '../../src/engine/engine.js';
import { splitKubernetesStream } from '../../src/inputs/kubernetes-yaml.js';
import { parseYamlDocuments } from '../../src/inputs/yaml.js';
import { findOpa } from '../../src/rego/compiler.js';
import { buildServer, type WebhookServer } from '../../src/server/app.js';
import type { ServerSettings } from '../../src/server/settings.js';
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

/** A webhook app on `engine` and the decision-log records it writes. */
function serverWithLog(
  engine: Engine,
  namespaceLabels?: (name: string) => Record<string, string> | undefined,
  settings?: Partial<ServerSettings>,
): { app: WebhookServer; decisions: Array<Record<string, unknown>> } {
  const decisions: Array<Record<string, unknown>> = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.includes('"event":"admission"')) decisions.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  return {
    app: buildServer(engine, { logger: { level: 'info', stream }, namespaceLabels, settings }),
    decisions,
  };
}

let app: WebhookServer;
let setPolicies: Set<string>;
let decisions: Array<Record<string, unknown>>;

beforeAll(async () => {
  const loaded = await engineFromOptions(policyOptions);
  setPolicies = new Set(loaded.engine.policies.filter((p) => p.rule.scope === 'set').map((p) => p.policy.id));
  ({ app, decisions } = serverWithLog(loaded.engine));
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

const suites = repoPath('fixtures/rego/gatekeeper-suites');
const opa = findOpa();
if (!opa) console.warn('opa is not installed: the Gatekeeper parity test is skipped (run .ci/setup-opa.sh)');

/** Kinds without a namespace, as the API server serves them. */
const clusterScoped = new Set(['Namespace', 'ClusterRole']);

/** Verdicts of one object: the constraints it fails, and those whose match could not be decided. */
interface GatekeeperVerdict {
  failing: string[];
  unknown: string[];
}

function readObject(file: string): Record<string, unknown> {
  const docs = parseYamlDocuments(file, readFileSync(file, 'utf8'));
  expect(docs).toHaveLength(1);
  return docs[0]!.value as Record<string, unknown>;
}

/** The object as the API server hands it to a webhook: a namespaced kind always has a namespace. */
function placed(object: Record<string, unknown>, namespace = 'default'): Record<string, unknown> {
  const metadata = object.metadata as Record<string, unknown>;
  if (clusterScoped.has(String(object.kind)) || metadata.namespace !== undefined) return object;
  return { ...object, metadata: { ...metadata, namespace } };
}

async function checkVerdicts(policyDir: string, objects: Array<Record<string, unknown>>) {
  const dir = mkdtempSync(path.join(tmpdir(), 'parapet-parity-gk-'));
  objects.forEach((object, index) =>
    writeFileSync(path.join(dir, `${String(index).padStart(2, '0')}.json`), JSON.stringify(object)),
  );
  const run = await runCli(['check', '--no-builtin', '--format', 'json', '--policies', policyDir, dir]);
  expect(run.stderr).toBe('');
  const report = JSON.parse(run.stdout) as {
    findings: Array<{ policyId: string; status: string; resource: { file: string } }>;
  };
  const verdicts = objects.map((): GatekeeperVerdict => ({ failing: [], unknown: [] }));
  for (const finding of report.findings) {
    const verdict = verdicts[Number(path.basename(finding.resource.file, '.json'))]!;
    if (finding.status === 'fail') verdict.failing.push(finding.policyId);
    else if (finding.status === 'unknown') verdict.unknown.push(finding.policyId);
    else throw new Error(`unexpected ${finding.status} finding of ${finding.policyId}`);
  }
  return verdicts.map((v) => ({ failing: v.failing.sort(), unknown: v.unknown.sort() }));
}

describe.skipIf(!opa)('parity of Gatekeeper constraints between parapet check and /validate', () => {
  let policyDir: string;
  let objects: Array<{ file: string; object: Record<string, unknown> }>;
  let gatekeeperApp: WebhookServer;
  let gatekeeperDecisions: Array<Record<string, unknown>>;

  beforeAll(async () => {
    // Every constraint of the match suites but the one whose parameters the template refuses.
    policyDir = mkdtempSync(path.join(tmpdir(), 'parapet-parity-constraints-'));
    mkdirSync(path.join(policyDir, 'constraints'));
    copyFileSync(
      path.join(suites, 'templates/k8sownerlabel.yaml'),
      path.join(policyDir, 'k8sownerlabel.yaml'),
    );
    for (const file of readdirSync(path.join(suites, 'constraints')))
      if (file !== 'invalid-parameters.yaml')
        copyFileSync(path.join(suites, 'constraints', file), path.join(policyDir, 'constraints', file));
    objects = readdirSync(path.join(suites, 'objects'))
      .filter((file) => !file.startsWith('review-'))
      .map((file) => ({ file, object: readObject(path.join(suites, 'objects', file)) }));
    // The cluster's Namespaces, as `serve` watches them: those among the objects.
    const namespaces = new Map(
      objects
        .filter(({ object }) => object.kind === 'Namespace')
        .map(({ object }) => {
          const metadata = object.metadata as { name: string; labels?: Record<string, string> };
          return [metadata.name, metadata.labels ?? {}] as const;
        }),
    );
    const loaded = await engineFromOptions({ select: [], skip: [], policies: [policyDir], builtin: false });
    // kube-system is evaluated too: its exclusion is the server's own default, not Gatekeeper's.
    ({ app: gatekeeperApp, decisions: gatekeeperDecisions } = serverWithLog(
      loaded.engine,
      (name) => namespaces.get(name),
      { excludeNamespaces: [] },
    ));
  }, 120_000);

  afterAll(async () => {
    await gatekeeperApp?.close();
  });

  async function admissionVerdict(
    object: Record<string, unknown>,
    index: number,
  ): Promise<GatekeeperVerdict> {
    const response = await gatekeeperApp.inject({
      method: 'POST',
      url: '/validate',
      payload: wrap(object, index),
    });
    const answer = (response.json() as { response: { allowed: boolean } }).response;
    const decision = gatekeeperDecisions.at(-1)!;
    const failing = [...(decision.failing as string[])].sort();
    expect(answer.allowed).toBe(failing.length === 0);
    return { failing, unknown: [...(decision.unknown as string[])].sort() };
  }

  it('gives every object placed in its namespace the same failing and undecided constraints', async () => {
    const placedObjects = objects.map(({ object }) => placed(object));
    const fromCheck = await checkVerdicts(policyDir, placedObjects);
    let matched = 0;
    for (const [index, object] of placedObjects.entries()) {
      const fromAdmission = await admissionVerdict(object, index);
      expect(fromAdmission, objects[index]!.file).toEqual(fromCheck[index]);
      matched += fromAdmission.failing.length;
    }
    // Every constraint applies somewhere, and none applies everywhere.
    const constraints = readdirSync(path.join(policyDir, 'constraints')).length;
    const applied = new Set(fromCheck.flatMap((v) => v.failing));
    expect(applied.size).toBe(constraints);
    expect(matched).toBeLessThan(constraints * objects.length);
    // A namespaceSelector whose Namespace neither the run nor the cluster holds is undecided in both.
    expect(fromCheck.some((v) => v.unknown.includes('k8sownerlabel.namespace-selector'))).toBe(true);
  });

  it('judges a manifest without metadata.namespace by Gatekeeper’s rule in check, and in its namespace at admission', async () => {
    const index = objects.findIndex(({ file }) => file === 'deployment-unplaced.yaml');
    const unplaced = objects[index]!.object;
    const [inCheck] = await checkVerdicts(policyDir, [unplaced]);
    const atAdmission = await admissionVerdict(placed(unplaced, 'default'), 99);
    // In check no namespace criterion can rule the manifest out, and it is not Namespaced; at
    // admission the API server has placed it in `default`.
    expect({
      onlyCheck: inCheck!.failing.filter((id) => !atAdmission.failing.includes(id)),
      onlyAdmission: atAdmission.failing.filter((id) => !inCheck!.failing.includes(id)),
    }).toEqual({
      onlyCheck: [
        'k8sownerlabel.admission-payments',
        'k8sownerlabel.namespace-selector',
        'k8sownerlabel.namespaces-prefix',
        'k8sownerlabel.namespaces-suffix',
        'k8sownerlabel.scope-cluster',
      ],
      onlyAdmission: ['k8sownerlabel.scope-namespaced'],
    });
  });
});
