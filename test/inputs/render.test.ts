import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadInputs } from '../../src/inputs/load.js';
import { renderTarget } from '../../src/inputs/render.js';
import { repoPath } from '../helpers.js';

// helm and kustomize come from .ci/setup-render-tools.sh (kubectl from .ci/setup-k8s.sh).
const cacheBin = path.join(process.env.PARAPET_CACHE ?? '/var/cache/parapet', 'bin');
const searchPath = [cacheBin, process.env.PATH ?? ''].join(path.delimiter);
const tool = (name: string) =>
  [cacheBin, ...(process.env.PATH ?? '').split(path.delimiter)]
    .map((dir) => path.join(dir, name))
    .find((file) => existsSync(file));
const helm = tool('helm');
const kustomize = tool('kustomize');
const kubectl = tool('kubectl');
if (!helm)
  console.warn('render tests: helm not found (run .ci/setup-render-tools.sh); its tests are skipped');
if (!kustomize)
  console.warn('render tests: kustomize not found (run .ci/setup-render-tools.sh); its tests are skipped');
if (!kubectl)
  console.warn(
    'render tests: kubectl not found (run .ci/setup-k8s.sh); the kubectl kustomize test is skipped',
  );

const chart = 'fixtures/render/helm/web';
const overlay = 'fixtures/render/kustomize/overlays/prod';
const cli = repoPath('dist', 'cli', 'main.js');

interface Finding {
  policyId: string;
  resource: { id: string; file: string; line: number };
  status: string;
}

function check(args: string[], env: NodeJS.ProcessEnv = { PATH: searchPath }) {
  const result = spawnSync(process.execPath, [cli, 'check', ...args], {
    cwd: repoPath(),
    env: { NO_COLOR: '1', PARAPET_NO_PROGRESS: '1', HOME: process.env.HOME, ...env },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function failing(stdout: string): string[] {
  const report = JSON.parse(stdout) as { findings: Finding[] };
  return report.findings
    .filter((finding) => finding.status === 'fail')
    .map(
      (finding) =>
        `${finding.policyId} ${finding.resource.id} ${finding.resource.file}:${finding.resource.line}`,
    )
    .sort();
}

describe('what is a chart or a kustomization', () => {
  it('knows them by their directory or their marker file', () => {
    expect(renderTarget(chart, true)).toEqual({ tool: 'helm', dir: chart, marker: `${chart}/Chart.yaml` });
    expect(renderTarget(`${chart}/Chart.yaml`, false)?.tool).toBe('helm');
    expect(renderTarget(overlay, true)).toEqual({
      tool: 'kustomize',
      dir: overlay,
      marker: `${overlay}/kustomization.yaml`,
    });
    expect(renderTarget(`${overlay}/kustomization.yaml`, false)?.dir).toBe(overlay);
    expect(renderTarget('fixtures/clean', true)).toBeUndefined();
    expect(renderTarget(`${chart}/values.yaml`, false)).toBeUndefined();
  });
});

describe.skipIf(!helm)('parapet check CHART_DIR renders it with helm template', () => {
  it('finds the same resources and findings as helm template piped in, located at the templates', () => {
    const direct = check([chart, '--format', 'json']);
    expect(direct.stderr).toBe('');
    const rendered = execFileSync(helm!, ['template', chart], { encoding: 'utf8' });
    const piped = spawnSync(process.execPath, [cli, 'check', '-', '--format', 'json'], {
      cwd: repoPath(),
      input: rendered,
      encoding: 'utf8',
      env: { NO_COLOR: '1', PARAPET_NO_PROGRESS: '1' },
    });
    const ids = (stdout: string) =>
      (JSON.parse(stdout) as { resources?: unknown; findings: Finding[] }).findings
        .map((finding) => `${finding.policyId} ${finding.resource.id} ${finding.status}`)
        .sort();
    expect(ids(direct.stdout)).toEqual(ids(piped.stdout));
    expect(direct.code).toBe(piped.status);
    const report = JSON.parse(direct.stdout) as { findings: Finding[] };
    expect(report.findings.length).toBeGreaterThan(0);
    for (const finding of report.findings) {
      const template = finding.resource.id.startsWith('Deployment/')
        ? 'deployment'
        : finding.resource.id.split('/')[0]!.toLowerCase();
      expect(finding.resource.file).toBe(`${chart}/templates/${template}.yaml`);
      expect(finding.resource.line).toBe(1);
    }
  });

  it('passes values files, --set, the release name and the namespace through', () => {
    const debug = check([
      chart,
      '--helm-values',
      'fixtures/render/helm/values-debug.yaml',
      '--helm-set',
      'replicaCount=1',
      '--helm-release',
      'storefront',
      '--helm-namespace',
      'shop',
      '--format',
      'json',
    ]);
    expect(debug.stderr).toBe('');
    expect(debug.code).toBe(1);
    const deployment = `${chart}/templates/deployment.yaml:1`;
    expect(failing(debug.stdout)).toEqual(
      expect.arrayContaining([
        `pss-baseline-privileged Deployment/shop/storefront-web ${deployment}`,
        `pss-restricted-privilege-escalation Deployment/shop/storefront-web ${deployment}`,
      ]),
    );
    // replicaCount=1 under a PodDisruptionBudget of minAvailable 2 blocks every eviction.
    const report = JSON.parse(debug.stdout) as { findings: Finding[] };
    expect(report.findings.every((finding) => finding.resource.id.includes('/shop/storefront-web'))).toBe(
      true,
    );
  });

  it('a template error is a one-line error naming the chart, exit 2', () => {
    const result = check([
      chart,
      '--helm-set',
      'service.targetPort=http',
      '--helm-values',
      'fixtures/render/helm/missing.yaml',
    ]);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      new RegExp(
        `^error: ${chart}: helm template ${chart} --values fixtures/render/helm/missing\\.yaml --set service\\.targetPort=http failed: .*missing\\.yaml.*\\n$`,
      ),
    );
    expect(result.stderr.split('\n')).toHaveLength(2);
  });
});

describe('without the tool', () => {
  it('a chart is an error saying how to render it, never skipped', () => {
    const result = check([chart], { PATH: '/nonexistent' });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      `error: ${chart}: a Helm chart, and helm is not on PATH: install helm, or render it yourself: helm template RELEASE ${chart} | parapet check -\n`,
    );
  });

  it('a kustomization too', async () => {
    await expect(loadInputs([overlay], { render: { searchPath: '/nonexistent' } })).rejects.toThrow(
      `${overlay}: a kustomization, and neither kustomize nor kubectl is on PATH: install one, or render it yourself: kustomize build ${overlay} | parapet check -`,
    );
  });

  it('a chart met while walking a directory is skipped with a warning that says how to check it', () => {
    const result = check(['fixtures/render/helm', '--allow-empty'], { PATH: '/nonexistent' });
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(
      `${chart}: skipped: a Helm chart source, not manifests: give the chart directory to parapet check to render it with helm template, or render it yourself: helm template RELEASE ${chart} | parapet check -`,
    );
  });
});

describe.skipIf(!kustomize)('parapet check KUSTOMIZATION renders it with kustomize build', () => {
  it('checks the overlay as built, located at its kustomization file', () => {
    const result = check([overlay, '--format', 'json']);
    expect(result.stderr).toBe('');
    expect(result.code).toBe(1);
    const at = `${overlay}/kustomization.yaml:1`;
    const fails = failing(result.stdout);
    expect(fails).toContain(`pss-baseline-privileged Deployment/shop-prod/prod-orders-api ${at}`);
    const report = JSON.parse(result.stdout) as { summary: { resources: number }; findings: Finding[] };
    // The Deployment, the Service, and the two images the Deployment's containers run.
    expect(report.summary.resources).toBe(4);
    for (const finding of report.findings)
      expect(finding.resource.file).toBe(`${overlay}/kustomization.yaml`);
  });

  it.skipIf(!kubectl)('falls back to kubectl kustomize, with the same resources', async () => {
    const kubectlOnly = await loadInputs([overlay], { render: { searchPath: path.dirname(kubectl!) } });
    const withKustomize = await loadInputs([overlay], { render: { searchPath } });
    const ids = (loaded: typeof kubectlOnly) => loaded.resources.map((resource) => resource.id).sort();
    expect(ids(kubectlOnly)).toEqual(ids(withKustomize));
    expect(ids(kubectlOnly)).toEqual([
      'Deployment/shop-prod/prod-orders-api',
      'Service/shop-prod/prod-orders-api',
    ]);
  });
});
