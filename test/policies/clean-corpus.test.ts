import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers.js';

// fixtures/clean: manifests as a careful platform team ships them. The whole default library must
// find only what a reviewer would act on there; a new policy (or a default) that fires on them is noise.
describe('the default library on a clean corpus', () => {
  it('finds only the expected findings', async () => {
    const { code, stdout, stderr } = await runCli(['check', 'fixtures/clean', '--format', 'json']);
    expect(stderr).toBe('');
    const result = JSON.parse(stdout) as {
      summary: { resources: number; byStatus: Record<string, number> };
      findings: Array<{ policyId: string; status: string; resource: { id: string } }>;
      notices: Array<{ code: string; message: string }>;
    };
    expect(result.summary.resources).toBe(11);
    // Digest pinning is a warning by default: the one image named by version tag.
    expect(result.findings.map((f) => [f.policyId, f.status, f.resource.id])).toEqual([
      ['image-digest-pinned', 'warn', 'ghcr.io/acme/shop-web:2.14.1'],
    ]);
    expect(code).toBe(0);
    // Site-specific policies wait for configuration, each with one notice.
    const inactive = result.notices.filter((n) => n.code === 'policy-inactive').map((n) => n.message);
    expect(inactive.map((message) => message.split(':')[0]).sort()).toEqual([
      'image-allowed-registries',
      'image-required-labels',
      'k8s-cost-workload-max',
      'k8s-required-labels',
    ]);
  });
});
