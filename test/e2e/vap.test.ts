/**
 * ValidatingAdmissionPolicy parity with the real kube-apiserver: the policies of fixtures/vap/policies
 * are applied to the API server, and every object of fixtures/vap/cases is created (and, for
 * `*.update.*` files, updated) with --dry-run=server. The API server's decision, denial message and
 * warnings are compared with `parapet check` on the same object and with `parapet serve` answering
 * the same AdmissionReview. Every difference is listed; there must be none.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { repoPath } from '../helpers.js';
import { binaries, missingPrerequisite, startCluster, type Cluster } from './cluster.js';

const run = promisify(execFile);
const missing = missingPrerequisite();
if (missing) console.warn(`test/e2e/vap.test.ts: skipped: missing ${missing}`);

const policiesDir = repoPath('fixtures/vap/policies');
const casesDir = repoPath('fixtures/vap/cases');
type Obj = Record<string, unknown>;

interface Verdict {
  denied: boolean;
  /** The denial message (the API server reports the first denying policy only). */
  messages: string[];
  warnings: string[];
  unknown: string[];
}

let cluster: Cluster;
let dir: string;
/** The kinds-table generator's verdict, taken before the test's CustomResourceDefinition exists. */
let kindsTable = '';

function caseFiles(): string[] {
  return readdirSync(casesDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort();
}

function documents(file: string): Obj[] {
  return parseAllDocuments(readFileSync(path.join(casesDir, file), 'utf8')).map((d) => d.toJS() as Obj);
}

const resources: Record<string, [string, string]> = {
  Deployment: ['apps', 'deployments'],
  Pod: ['', 'pods'],
  ConfigMap: ['', 'configmaps'],
  Service: ['', 'services'],
  ServiceAccount: ['', 'serviceaccounts'],
  Secret: ['', 'secrets'],
  Namespace: ['', 'namespaces'],
  Widget: ['example.com', 'widgets'],
};

function review(object: Obj, oldObject?: Obj): Obj {
  const [group, resource] = resources[String(object.kind)]!;
  const version = String(object.apiVersion).split('/').pop()!;
  const metadata = object.metadata as Obj;
  return {
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: {
      uid: `vap-${String(metadata.name)}`,
      kind: { group, version, kind: object.kind },
      resource: { group, version, resource },
      name: metadata.name,
      namespace: metadata.namespace,
      operation: oldObject ? 'UPDATE' : 'CREATE',
      userInfo: { username: 'e2e-admin', groups: ['system:masters', 'system:authenticated'] },
      object,
      oldObject: oldObject ?? null,
      dryRun: true,
    },
  };
}

async function apiServerVerdict(file: string): Promise<Verdict> {
  const docs = documents(file);
  const target = docs[docs.length - 1]!;
  const manifest = path.join(dir, `${file}.json`);
  writeFileSync(manifest, JSON.stringify(target));
  if (docs.length === 2) {
    writeFileSync(path.join(dir, `${file}.old.json`), JSON.stringify(docs[0]));
    const created = await cluster.kubectl(['create', '-f', path.join(dir, `${file}.old.json`)]);
    if (created.code !== 0) throw new Error(`${file}: cannot create the old object: ${created.stderr}`);
  }
  const result = await cluster.kubectl([
    docs.length === 2 ? 'replace' : 'create',
    '--dry-run=server',
    '-f',
    manifest,
  ]);
  if (docs.length === 2)
    await cluster.kubectl(['delete', '--wait=false', '-f', path.join(dir, `${file}.old.json`)]);
  const lines = result.stderr.split('\n');
  const denial = /(ValidatingAdmissionPolicy '[^']+' with binding '[^']+' denied request: .*)$/m.exec(
    result.stderr,
  );
  if (result.code !== 0 && !denial)
    throw new Error(`${file}: kubectl failed without a policy denial: ${result.stderr}`);
  return {
    denied: result.code !== 0,
    messages: denial ? [denial[1]!.trim()] : [],
    warnings: lines.filter((l) => l.startsWith('Warning: ')).map((l) => l.slice('Warning: '.length).trim()),
    unknown: [],
  };
}

/** `parapet check` of every case at once (updates as AdmissionReviews), by case file. */
async function checkVerdicts(files: string[]): Promise<Map<string, Verdict>> {
  const inputs = files.map((file) => {
    const docs = documents(file);
    if (docs.length !== 2) return path.join(casesDir, file);
    const input = path.join(dir, `${file}.review.json`);
    writeFileSync(input, JSON.stringify(review(docs[1]!, docs[0]!)));
    return input;
  });
  let stdout: string;
  try {
    ({ stdout } = await run(
      process.execPath,
      [binaries.parapet, 'check', '--no-builtin', '--policies', policiesDir, '-f', 'json', ...inputs],
      { cwd: repoPath(), maxBuffer: 64 * 1024 * 1024 },
    ));
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    if (failed.code !== 1) throw new Error(`parapet check exited ${failed.code}: ${failed.stderr}`);
    stdout = failed.stdout!;
  }
  const findings = (
    JSON.parse(stdout) as { findings: Array<{ status: string; message: string; resource: { file: string } }> }
  ).findings;
  const verdicts = new Map<string, Verdict>();
  files.forEach((file, i) => {
    const mine = findings.filter((f) => path.resolve(f.resource.file) === path.resolve(inputs[i]!));
    const of = (status: string) => mine.filter((f) => f.status === status).map((f) => f.message);
    verdicts.set(file, {
      denied: of('fail').length > 0,
      messages: of('fail'),
      warnings: of('warn'),
      unknown: of('unknown'),
    });
  });
  return verdicts;
}

function post(body: Obj): Promise<Obj> {
  return new Promise((resolve, reject) => {
    const req = request(
      `https://127.0.0.1:${cluster.webhookPort}/validate`,
      {
        method: 'POST',
        ca: readFileSync(cluster.pki.ca.cert),
        headers: { 'content-type': 'application/json' },
        agent: false,
      },
      (response) => {
        let text = '';
        response.on('data', (chunk) => (text += chunk));
        response.on('end', () => resolve(JSON.parse(text) as Obj));
      },
    );
    req.on('error', reject);
    req.end(JSON.stringify(body));
  });
}

async function serveVerdict(file: string): Promise<Verdict> {
  const docs = documents(file);
  const answer = (await post(review(docs[docs.length - 1]!, docs.length === 2 ? docs[0] : undefined)))
    .response as Obj;
  const status = (answer.status ?? {}) as Obj;
  const warnings = ((answer.warnings ?? []) as string[]).map((w) => w.replace(/^\[[^\]]+\] /, ''));
  // parapet warns about what it cannot decide at admission (authorizer checks); the API server decides those.
  const undecided = (w: string) => w.includes('cannot be decided outside the cluster');
  return {
    denied: answer.allowed !== true,
    messages: answer.allowed === true ? [] : [String(status.message ?? '')],
    warnings: warnings.filter((w) => !undecided(w)),
    unknown: warnings.filter(undecided),
  };
}

/** True when `ours` carries `message` cut short by the webhook's limit on message length (`...…`). */
function truncationOf(ours: string, message: string): boolean {
  const start = ours.indexOf("ValidatingAdmissionPolicy '");
  if (start === -1 || !ours.endsWith('…')) return false;
  const kept = ours.slice(start, -1);
  return kept.length >= 80 && message.startsWith(kept);
}

/** Differences between the API server's verdict and parapet's (empty when they agree). */
function differences(file: string, who: string, api: Verdict, ours: Verdict): string[] {
  const out: string[] = [];
  if (api.denied !== ours.denied)
    out.push(
      `${file}: API server ${api.denied ? 'denied' : 'allowed'}, ${who} ${ours.denied ? 'denied' : 'allowed'} (${ours.messages.join(' | ')})`,
    );
  for (const message of api.messages)
    if (!ours.messages.some((m) => m === message || m.includes(message) || truncationOf(m, message)))
      out.push(`${file}: API server said "${message}", ${who} said "${ours.messages.join(' | ')}"`);
  if (who === 'check' && ours.messages.length > 1)
    out.push(`${file}: check reported ${ours.messages.length} denials where the object breaks one policy`);
  const theirs = [...api.warnings].sort();
  const mine = [...ours.warnings].sort();
  if (JSON.stringify(theirs) !== JSON.stringify(mine))
    out.push(`${file}: API server warned ${JSON.stringify(theirs)}, ${who} warned ${JSON.stringify(mine)}`);
  return out;
}

describe.skipIf(missing !== undefined)(
  'ValidatingAdmissionPolicy: parapet agrees with kube-apiserver',
  () => {
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'parapet-vap-e2e-'));
      cluster = await startCluster(dir, ['--no-builtin', '--policies', policiesDir]);
      const apply = async (file: string) => {
        const result = await cluster.kubectl(['apply', '-f', path.join(policiesDir, file)]);
        if (result.code !== 0) throw new Error(`kubectl apply ${file}: ${result.stderr}`);
      };
      kindsTable = (
        await run(
          process.execPath,
          [
            'src/vap/generate-kinds.mjs',
            '--check',
            '--kubeconfig',
            cluster.kubeconfig,
            '--kubectl',
            binaries.kubectl,
          ],
          { cwd: repoPath() },
        ).catch((error: { stderr?: string }) => ({ stdout: error.stderr ?? String(error) }))
      ).stdout;
      await apply('00-widget-crd.yaml');
      await cluster.kubectl([
        'wait',
        '--for=condition=Established',
        '--timeout=60s',
        'crd/widgets.example.com',
      ]);
      await apply('00-cluster-state.yaml');
      for (const file of readdirSync(policiesDir)
        .filter((f) => !f.startsWith('00-'))
        .sort())
        await apply(file);
      // Policies take effect once the API server's informers have them: wait for a known denial.
      const deadline = Date.now() + 60_000;
      for (;;) {
        const verdict = await apiServerVerdict('widget-size.fail.yaml');
        const all = await Promise.all(
          ['deployment-replicas.fail.yaml', 'serviceaccount-team-rules.fail.yaml'].map(apiServerVerdict),
        );
        if (verdict.denied && all.every((v) => v.denied)) break;
        if (Date.now() > deadline) throw new Error('the policies did not take effect within 60 s');
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }, 600_000);

    afterAll(async () => {
      await cluster?.stop();
    });

    it('has the kinds table of this API server', () => {
      expect(kindsTable).toContain('matches kube-apiserver');
    });

    it('gives the API server verdict, message and warnings on every case, in check and in serve', async () => {
      const files = caseFiles();
      expect(files.length).toBeGreaterThanOrEqual(40);
      const diffs: string[] = [];
      const unknowns: string[] = [];
      let denials = 0;
      const checks = await checkVerdicts(files);
      for (const file of files) {
        const api = await apiServerVerdict(file);
        const check = checks.get(file)!;
        const serve = await serveVerdict(file);
        if (api.denied) denials += 1;
        diffs.push(...differences(file, 'check', api, check), ...differences(file, 'serve', api, serve));
        unknowns.push(
          ...check.unknown.map((u) => `${file} (check): ${u}`),
          ...serve.unknown.map((u) => `${file} (serve): ${u}`),
        );
        // The file name says what the case is for; the API server must agree with it too.
        const expected = /\.fail\.yaml$/.test(file) ? true : false;
        if (api.denied !== expected)
          diffs.push(
            `${file}: the API server ${api.denied ? 'denied' : 'allowed'} it, against the case's name`,
          );
      }
      console.log(
        `vap parity: ${files.length} cases, ${denials} denied by kube-apiserver, ${diffs.length} differences; unknown in CI: ${unknowns.length}\n${unknowns.join('\n')}`,
      );
      expect(diffs).toEqual([]);
    }, 600_000);
  },
);
