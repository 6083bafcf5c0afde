import { describe, expect, it } from 'vitest';
import { loadServeEngine } from '../../src/cli/serve-engine.js';
import { kubernetesResource } from '../../src/inputs/kubernetes.js';
import { repoPath } from '../helpers.js';

/** The policy options commander gives `serve` for the fault-injection Rego policies, and the thread heap. */
function serveOptions(evaluationHeapMiB: number): Parameters<typeof loadServeEngine>[0] {
  return {
    select: ['faults-hungry'],
    skip: [],
    policies: [repoPath('fixtures/rego/faults')],
    builtin: false,
    evaluationHeapMiB,
  } as unknown as Parameters<typeof loadServeEngine>[0];
}

/** A ConfigMap whose Rego evaluation holds 160,000 numbers at once: over 16 MiB of linear memory, under 64. */
const hungry = kubernetesResource(
  {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'big', namespace: 'shop', annotations: { 'faults.example.com/size': '400' } },
    data: { mode: 'hungry' },
  },
  { file: 'configmap.yaml', line: 1 },
);

describe('loadServeEngine', () => {
  it('caps a Rego module at the evaluation thread heap (--evaluation-heap-mib)', async () => {
    const capped = await loadServeEngine(serveOptions(16));
    const [finding] = (await capped.evaluate([hungry])).findings;
    expect(finding).toMatchObject({ policyId: 'faults-hungry', status: 'error' });
    expect(finding!.message).toMatch(/opa_malloc: failed/);

    const roomy = await loadServeEngine(serveOptions(64));
    const [held] = (await roomy.evaluate([hungry])).findings;
    expect(held).toMatchObject({ policyId: 'faults-hungry', status: 'fail' });
    expect(held!.message).toMatch(/160000 values held/);
  }, 60_000);
});
