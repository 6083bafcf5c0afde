// `parapet audit` of a real kube-apiserver holding BENCH_AUDIT_OBJECTS generated workloads (default
// 100,000) against `parapet check` of the same objects exported with kubectl: time, peak RSS, list
// pages. The body is TypeScript (it shares the end-to-end suite's cluster helper), run by vite-node.
// Rerun: npm run build && node test/bench/audit.bench.mjs
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const run = spawnSync('node_modules/.bin/vite-node', ['test/bench/audit-cluster.ts'], {
  cwd: root,
  stdio: 'inherit',
});
process.exitCode = run.status ?? 1;
