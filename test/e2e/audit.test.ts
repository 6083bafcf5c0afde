/**
 * `parapet audit` against a real kube-apiserver: the bundled fixtures are applied to the cluster,
 * audited, and the findings compared with `parapet check` of the same objects exported by
 * `kubectl get -o yaml`. PolicyReports written by the audit must appear, follow a fix and vanish
 * with the objects they report on.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import { parseAllDocuments } from 'yaml';
import { startBackgroundAudit } from '../../src/audit/background.js';
import { connect } from '../../src/audit/kube-api.js';
import { missingPrerequisite, startCluster, binaries, type Cluster } from './cluster.js';
import { repoPath } from '../helpers.js';

const run = promisify(execFile);
const missing = missingPrerequisite();
if (missing) console.warn(`skipping the audit end-to-end test: missing ${missing}`);

interface JsonFinding {
  policyId: string;
  status: string;
  path?: string;
  message: string;
  resource: { id: string; source: string };
}

async function parapet(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [binaries.parapet, ...args], {
      cwd: repoPath(),
      maxBuffer: 256 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '' };
  }
}

const key = (f: JsonFinding) => `${f.policyId} ${f.resource.id} ${f.path ?? ''} ${f.status} ${f.message}`;

function findingsOf(json: string): string[] {
  return (JSON.parse(json) as { findings: JsonFinding[] }).findings.map(key).sort();
}

let cluster: Cluster;
let dir: string;

async function kubectlOk(args: string[], stdin?: string): Promise<string> {
  const result = await cluster.kubectl(args, stdin);
  if (result.code !== 0) throw new Error(`kubectl ${args.join(' ')}: ${result.stderr}`);
  return result.stdout;
}

describe.skipIf(missing !== undefined)('parapet audit of a real kube-apiserver', () => {
  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'parapet-audit-'));
    cluster = await startCluster(dir, [
      '--no-builtin',
      `--policies=${repoPath('fixtures/admission/policies')}`,
    ]);
    await kubectlOk(['apply', '-f', 'webhooks/audit/policy-report-crds.yaml']);
    await kubectlOk([
      'wait',
      '--for=condition=Established',
      '--timeout=60s',
      'crd/policyreports.wgpolicyk8s.io',
      'crd/clusterpolicyreports.wgpolicyk8s.io',
    ]);
    await kubectlOk(['apply', '-f', 'fixtures/kubernetes/namespaces.yaml']);
    for (const file of [
      'shop-kustomize.yaml',
      'data-helm-redis.yaml',
      'observability-list.json',
      'batch-jobs.yaml',
    ])
      await kubectlOk(['apply', '-f', `fixtures/kubernetes/${file}`]);
  }, 600_000);

  afterAll(async () => {
    await cluster?.stop();
  }, 60_000);

  it('finds what check finds on the same objects exported with kubectl', async () => {
    const audit = await parapet(['audit', `--kubeconfig=${cluster.kubeconfig}`, '--format', 'json']);
    expect(audit.stderr).toMatch(/^audit: \d+ objects of \d+ kinds/m);
    expect(audit.code).toBe(1);
    const audited = findingsOf(audit.stdout);

    // Export every kind the audit listed, as kubectl prints it.
    const kinds = (audit.stderr.match(/of (\d+) kinds/) ?? [])[1];
    expect(Number(kinds)).toBeGreaterThan(10);
    const resources = (await kubectlOk(['api-resources', '--verbs=list', '-o', 'name']))
      .split('\n')
      .filter((name) => name !== '' && !name.startsWith('events'));
    const exported = path.join(dir, 'exported.yaml');
    const listed = await kubectlOk(['get', resources.join(','), '--all-namespaces', '-o', 'yaml']);
    // The audit leaves controller-owned objects to their owner; so does this export.
    const list = parseAllDocuments(listed)[0]!.toJS() as {
      items: Array<{ metadata?: { ownerReferences?: Array<{ controller?: boolean }> } }>;
    };
    list.items = list.items.filter(
      (item) => !(item.metadata?.ownerReferences ?? []).some((ref) => ref.controller),
    );
    writeFileSync(exported, JSON.stringify(list));
    const check = await parapet(['check', exported, '--format', 'json']);
    expect(check.code).toBe(1);
    const checked = findingsOf(check.stdout);

    expect(audited.length).toBeGreaterThan(20);
    const onlyAudit = audited.filter((f) => !checked.includes(f));
    const onlyCheck = checked.filter((f) => !audited.includes(f));
    expect({ onlyAudit, onlyCheck }).toEqual({ onlyAudit: [], onlyCheck: [] });
    // The fixtures' known violations are among them.
    expect(audited.some((f) => f.startsWith('pss-baseline-privileged DaemonSet/observability/'))).toBe(true);
    expect(audited.some((f) => f.startsWith('k8s-cluster-admin-binding '))).toBe(true);
  }, 300_000);

  it('limits the audit to one namespace and a label selector', async () => {
    const audit = await parapet([
      'audit',
      `--kubeconfig=${cluster.kubeconfig}`,
      '-n',
      'shop',
      '--format',
      'json',
    ]);
    const findings = (JSON.parse(audit.stdout) as { findings: JsonFinding[] }).findings;
    expect(findings.length).toBeGreaterThan(0);
    for (const f of findings.filter((f) => f.resource.source === 'kubernetes'))
      expect(f.resource.id).toMatch(/^(Namespace\/shop|[A-Za-z]+\/shop\/.+)$/);
    const none = await parapet([
      'audit',
      `--kubeconfig=${cluster.kubeconfig}`,
      '-n',
      'shop',
      '-l',
      'no-such-label=x',
    ]);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/no object to audit in namespace shop with labels no-such-label=x/);
  }, 300_000);

  it('writes PolicyReports that follow fixes and deletions', async () => {
    const polr = async (namespace: string) => {
      const out = await cluster.kubectl(['get', 'policyreports', '-n', namespace, '-o', 'json']);
      return (
        JSON.parse(out.stdout) as {
          items: Array<{
            metadata: { name: string };
            results?: Array<{ policy: string; result: string; resources?: Array<{ name: string }> }>;
          }>;
        }
      ).items;
    };
    const write = () =>
      parapet(['audit', `--kubeconfig=${cluster.kubeconfig}`, '--write-policy-reports', '--format', 'json']);

    const first = await write();
    expect(first.stderr).toMatch(/applied \d+ PolicyReports/);
    const shop = await polr('shop');
    expect(shop.map((r) => r.metadata.name)).toEqual(['parapet']);
    const failing = (items: typeof shop) =>
      items
        .flatMap((r) => r.results ?? [])
        .filter((r) => r.result === 'fail')
        .map((r) => `${r.policy} ${r.resources?.[0]?.name}`);
    expect(failing(shop)).toContain('pss-restricted-run-as-non-root checkout');
    const cluster_ = JSON.parse(await kubectlOk(['get', 'clusterpolicyreports', '-o', 'json'])) as {
      items: unknown[];
    };
    expect(cluster_.items.length).toBe(1);

    // Fix the checkout Deployment: its failures go.
    const manifest = readFileSync(repoPath('fixtures/kubernetes/shop-kustomize.yaml'), 'utf8');
    const checkout = parseAllDocuments(manifest)
      .map((d) => d.toJS())
      .find((d) => d?.kind === 'Deployment' && d.metadata.name === 'checkout');
    for (const container of checkout.spec.template.spec.containers)
      container.securityContext = { ...container.securityContext, runAsNonRoot: true, runAsUser: 10001 };
    await kubectlOk(['apply', '-f', '-'], JSON.stringify(checkout));
    await write();
    expect(failing(await polr('shop'))).not.toContain('pss-restricted-run-as-non-root checkout');

    // Every object of a namespace deleted: its report goes too.
    expect((await polr('data')).length).toBe(1);
    await kubectlOk([
      'delete',
      'statefulsets,services,networkpolicies,configmaps,serviceaccounts,secrets',
      '--all',
      '-n',
      'data',
    ]);
    await write();
    expect(await polr('data')).toEqual([]);
  }, 300_000);

  it('runs the background audit on the one replica that holds the Lease, and hands over when it stops', async () => {
    await kubectlOk(['create', 'namespace', 'parapet-system']);
    const api = await connect({ kubeconfig: cluster.kubeconfig });
    const replicas = ['replica-a', 'replica-b'].map((identity) => {
      const registry = new Registry();
      const audit = startBackgroundAudit({
        api,
        intervalMs: 3_600_000,
        namespace: 'parapet-system',
        identity,
        leaseSeconds: 3,
        auditArgs: [`--kubeconfig=${cluster.kubeconfig}`],
        cli: binaries.parapet,
        registry,
        log: () => {},
      });
      return { identity, registry, audit };
    });
    const until = async (what: string, ok: () => Promise<boolean> | boolean) => {
      const deadline = Date.now() + 120_000;
      while (!(await ok())) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
        await new Promise((resolve) => setTimeout(resolve, 250));
      }
    };
    const runs = async (r: (typeof replicas)[number]) =>
      (await r.registry.getSingleMetric('parapet_audit_runs_total')!.get()).values.reduce(
        (n, v) => n + v.value,
        0,
      );
    try {
      await until('a leader', () => replicas.some((r) => r.audit.leading));
      expect(replicas.filter((r) => r.audit.leading)).toHaveLength(1);
      const [leader, follower] = replicas[0]!.audit.leading ? replicas : [replicas[1]!, replicas[0]!];
      await until('the first background audit', async () => (await runs(leader!)) > 0);
      const metrics = await leader!.registry.metrics();
      expect(metrics).toMatch(/parapet_audit_runs_total\{result="findings"\} 1/);
      expect(metrics).toMatch(
        /parapet_audit_violations\{policy="pss-baseline-privileged",severity="critical",namespace="observability",status="fail"\} [1-9]/,
      );
      expect(await runs(follower!)).toBe(0);
      const lease = JSON.parse(
        await kubectlOk(['get', 'lease', 'parapet-audit', '-n', 'parapet-system', '-o', 'json']),
      ) as { spec: { holderIdentity: string } };
      expect(lease.spec.holderIdentity).toBe(leader!.identity);

      await leader!.audit.stop();
      await until('the other replica to take over', () => follower!.audit.leading);
      await until('its own audit', async () => (await runs(follower!)) > 0);
    } finally {
      for (const r of replicas) await r.audit.stop();
    }
  }, 300_000);

  it("audits and writes PolicyReports as the webhook's service account with only the audit component's RBAC", async () => {
    const created = await cluster.kubectl(['create', 'namespace', 'parapet-system']);
    if (created.code !== 0) expect(created.stderr).toContain('AlreadyExists');
    await kubectlOk(['apply', '-f', 'webhooks/audit/rbac.yaml']);
    const account = 'system:serviceaccount:parapet-system:parapet';
    const user = cluster.pki.issue('audit-service-account', { client: true, commonName: account });
    const kubeconfig = path.join(dir, 'service-account.kubeconfig');
    writeFileSync(
      kubeconfig,
      readFileSync(cluster.kubeconfig, 'utf8')
        .replace(/client-certificate: .*/, `client-certificate: ${user.cert}`)
        .replace(/client-key: .*/, `client-key: ${user.key}`),
    );
    expect(
      (await cluster.kubectl(['auth', 'can-i', 'get', 'secrets', `--as=${account}`])).stdout.trim(),
    ).toBe('no');

    const asAdmin = await parapet(['audit', `--kubeconfig=${cluster.kubeconfig}`, '--format', 'json']);
    const asAccount = await parapet([
      'audit',
      `--kubeconfig=${kubeconfig}`,
      '--write-policy-reports',
      '--format',
      'json',
    ]);
    expect(asAccount.stderr).not.toMatch(/forbidden/i);
    expect(asAccount.stderr).toMatch(/applied \d+ PolicyReports/);
    expect(asAccount.code).toBe(1);
    // The component grants every kind the built-in library judges: the same findings as the admin's.
    expect(findingsOf(asAccount.stdout)).toEqual(findingsOf(asAdmin.stdout));
  }, 300_000);
});
