/**
 * The audit benchmark's body (run by audit.bench.mjs under vite-node, since it reuses the
 * end-to-end suite's TypeScript cluster helper): a real etcd + kube-apiserver on loopback holding
 * BENCH_AUDIT_OBJECTS generated workloads (default 100,000), audited by `parapet audit`, and the
 * same objects exported with `kubectl get -o yaml` and judged by `parapet check`. Each parapet run
 * is its own process under /usr/bin/time, for wall time and peak RSS.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { connect } from '../../src/audit/kube-api.js';
import { binaries, missingPrerequisite, startCluster } from '../e2e/cluster.js';
// @ts-expect-error: a JavaScript module of the benches without types
import { workloadStream } from './kubernetes-workloads.mjs';

const count = Number(process.env.BENCH_AUDIT_OBJECTS ?? 100_000);
const missing = missingPrerequisite();
if (missing) {
  console.log(`audit bench skipped: missing ${missing}`);
  process.exit(0);
}

// Generated manifests are walked freely here; the API server validates them.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type Obj = Record<string, any>;

/** The generated workloads, made valid for the API server (Jobs need a restart policy, init containers no probes). */
function workloads(n: number): Obj[] {
  const docs = parseAllDocuments(workloadStream(n) as string).map((d) => d.toJS() as Obj);
  for (const doc of docs) {
    const spec =
      doc.kind === 'CronJob'
        ? doc.spec.jobTemplate.spec.template.spec
        : doc.kind === 'Job'
          ? doc.spec.template.spec
          : undefined;
    if (spec) spec.restartPolicy = 'Never';
    const pod =
      doc.kind === 'Pod'
        ? doc.spec
        : doc.kind === 'CronJob'
          ? doc.spec.jobTemplate.spec.template.spec
          : doc.spec.template.spec;
    for (const init of pod.initContainers ?? []) {
      delete init.livenessProbe;
      delete init.readinessProbe;
    }
    if (doc.kind === 'StatefulSet') doc.spec.serviceName = doc.metadata.name;
  }
  return docs;
}

const plural: Record<string, string> = {
  Deployment: 'deployments',
  StatefulSet: 'statefulsets',
  DaemonSet: 'daemonsets',
  Job: 'jobs',
  CronJob: 'cronjobs',
  Pod: 'pods',
};

function timed(args: string[]): { seconds: number; rssMiB: number; stderr: string } {
  const out = spawnSync('/usr/bin/time', ['-f', 'TIME %e %M', process.execPath, binaries.parapet, ...args], {
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  const match = /TIME ([\d.]+) (\d+)/.exec(out.stderr);
  if (!match || (out.status !== 0 && out.status !== 1))
    throw new Error(`parapet ${args[0]} failed: ${out.stderr}`);
  return { seconds: Number(match[1]), rssMiB: Number(match[2]) / 1024, stderr: out.stderr };
}

const dir = mkdtempSync(path.join(tmpdir(), 'parapet-audit-bench-'));
const cluster = await startCluster(dir, ['--no-builtin', '--policies=fixtures/admission/policies'], {
  etcdQuotaBytes: 4 * 1024 ** 3,
});
try {
  const api = await connect({ kubeconfig: cluster.kubeconfig });
  const docs = workloads(count);
  const namespaces = [...new Set(docs.map((d) => d.metadata.namespace as string))];
  for (const name of namespaces) {
    await api.request({
      method: 'POST',
      path: '/api/v1/namespaces',
      body: { apiVersion: 'v1', kind: 'Namespace', metadata: { name } },
    });
    // No controller-manager runs here: the pods' service accounts are created by hand.
    const accounts = new Set(
      docs
        .filter((d) => d.metadata.namespace === name && d.kind === 'Pod')
        .map((d) => d.spec.serviceAccountName as string),
    );
    for (const account of accounts)
      await api.request({
        method: 'POST',
        path: `/api/v1/namespaces/${name}/serviceaccounts`,
        body: { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: account } },
      });
  }
  const started = Date.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: 32 }, async () => {
      while (next < docs.length) {
        const doc = docs[next++]!;
        const group = doc.apiVersion === 'v1' ? '/api/v1' : `/apis/${doc.apiVersion}`;
        await api.request({
          method: 'POST',
          path: `${group}/namespaces/${doc.metadata.namespace}/${plural[doc.kind]}`,
          body: doc,
        });
      }
    }),
  );
  const createSeconds = (Date.now() - started) / 1000;

  const audit = timed([
    'audit',
    `--kubeconfig=${cluster.kubeconfig}`,
    '--format',
    'json',
    '--output',
    path.join(dir, 'audit.json'),
  ]);
  console.log(
    `objects created in ${createSeconds.toFixed(1)} s; audit ${audit.seconds.toFixed(1)} s, peak RSS ${audit.rssMiB.toFixed(0)} MiB`,
  );
  const pages = /(\d+) pages/.exec(audit.stderr)?.[1];
  const objects = Number(/audit: (\d+) objects/.exec(audit.stderr)?.[1]);

  const exportDir = path.join(dir, 'export');
  mkdirSync(exportDir);
  for (const ns of namespaces) {
    const out = spawnSync(
      binaries.kubectl,
      [`--kubeconfig=${cluster.kubeconfig}`, 'get', Object.values(plural).join(','), '-n', ns, '-o', 'yaml'],
      { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 },
    );
    if (out.status !== 0) throw new Error(`kubectl get failed: ${out.stderr}`);
    writeFileSync(path.join(exportDir, `${ns}.yaml`), out.stdout);
  }
  const check = timed(['check', exportDir, '--format', 'json', '--output', path.join(dir, 'check.json')]);
  // At 100,000 objects a report is larger than the longest string V8 makes: findings are counted
  // as the file streams by, one `"policyId"` key each.
  const findings = async (file: string): Promise<number> => {
    const key = Buffer.from('"policyId"');
    let count = 0;
    let carry = Buffer.alloc(0);
    for await (const chunk of createReadStream(path.join(dir, file))) {
      const buffer = Buffer.concat([carry, chunk as Buffer]);
      for (let at = buffer.indexOf(key); at >= 0; at = buffer.indexOf(key, at + key.length)) count += 1;
      carry = buffer.subarray(Math.max(0, buffer.length - key.length + 1));
    }
    return count;
  };

  const rows = [
    ['objects created', `${count} in ${createSeconds.toFixed(1)} s`],
    [
      'audit',
      `${audit.seconds.toFixed(1)} s, ${Math.round(objects / audit.seconds)} objects/s, peak RSS ${audit.rssMiB.toFixed(0)} MiB, ${pages} list pages, ${await findings('audit.json')} findings (${objects} objects judged)`,
    ],
    [
      'check of kubectl export',
      `${check.seconds.toFixed(1)} s, ${Math.round(count / check.seconds)} objects/s, peak RSS ${check.rssMiB.toFixed(0)} MiB, ${await findings('check.json')} findings`,
    ],
    ['audit time / check time', (audit.seconds / check.seconds).toFixed(2)],
  ];
  for (const [name, value] of rows) console.log(`${name!.padEnd(26)} ${value}`);
} finally {
  await cluster.stop();
  rmSync(dir, { recursive: true, force: true });
}
