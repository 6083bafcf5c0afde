import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { c as createTar } from 'tar';
import { loadPolicies } from '../../src/policies/load.js';
import { readBundle } from '../../src/rego/bundle.js';
import { createEngine } from '../../src/engine/engine.js';
import { defaultSettings } from '../../src/model/settings.js';
import { defaultRegoSettings } from '../../src/rego/settings.js';
import { runCli } from '../helpers.js';
import { evaluateRego, findingLines } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'parapet-rego-engine-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('native policies with a Rego rule', () => {
  it('report the Rego message and path, with parameters as input.params', async () => {
    const result = await evaluateRego({
      policies: ['fixtures/rego/native'],
      inputs: ['fixtures/rego/native/tests/ingress-partial-tls.yaml'],
    });
    expect(findingLines(result)).toEqual([
      'fail k8s-ingress-tls-covers-hosts Ingress/shop/storefront: Ingress Ingress/shop/storefront routes host admin.shop.example.com without TLS for it',
    ]);
    expect(result.findings[0]).toMatchObject({
      path: '/spec/rules/1/host',
      details: { host: 'admin.shop.example.com' },
    });
    // The finding points at the offending line, like native schema rules.
    const text = readFileSync('fixtures/rego/native/tests/ingress-partial-tls.yaml', 'utf8');
    expect(result.findings[0]!.resource.line).toBe(
      text.split('\n').findIndex((line) => line.includes('host: admin.shop.example.com')) + 1,
    );
    const passing = await evaluateRego({
      policies: ['fixtures/rego/native'],
      inputs: ['fixtures/rego/native/tests/ingress-wildcard-tls.yaml'],
    });
    expect(findingLines(passing)).toEqual([]);
  });

  it('pass `parapet test` on their own fail and pass fixtures', async () => {
    const run = await runCli(['test', 'fixtures/rego/native']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
  });
});

describe('bounded evaluation', () => {
  const faults = { policies: ['fixtures/rego/faults'], inputs: ['fixtures/rego/faults/manifests'] };

  it('turns a runaway, a memory hog and an aborting module into error findings for that policy only', async () => {
    const result = await evaluateRego({ ...faults, rego: { timeoutMs: 1500, memoryLimitMiB: 32 } });
    const lines = findingLines(result);
    const conflictLine =
      readFileSync('fixtures/rego/faults/faults.rego', 'utf8')
        .split('\n')
        .indexOf('tier := "bronze" if input.resource.labels.bronze') + 1;
    expect(lines).toEqual([
      'fail faults-conflict ConfigMap/faults/small: ConfigMap/faults/small: tier gold',
      'fail faults-hungry ConfigMap/faults/small: ConfigMap/faults/small: 100 values held',
      'fail faults-slow ConfigMap/faults/small: ConfigMap/faults/small: compared 100 pairs',
      `error faults-conflict ConfigMap/faults/huge: policy faults-conflict could not be evaluated: fixtures/rego/faults/faults.rego: policy aborted: faults.rego:${conflictLine}:1: var assignment conflict`,
      expect.stringMatching(
        /^error faults-hungry ConfigMap\/faults\/huge: policy faults-hungry could not be evaluated: fixtures\/rego\/faults\/faults\.rego: (policy exceeded its memory limit|policy aborted: .*(malloc|memory))/,
      ),
      'error faults-slow ConfigMap/faults/huge: policy faults-slow could not be evaluated: fixtures/rego/faults/faults.rego: evaluation exceeded its time budget of 1500 ms',
      // The ConfigMap after the runaway one in the same batch is answered by the replacement worker.
      'fail faults-conflict ConfigMap/faults/tail: ConfigMap/faults/tail: tier bronze',
      'fail faults-hungry ConfigMap/faults/tail: ConfigMap/faults/tail: 144 values held',
      'fail faults-slow ConfigMap/faults/tail: ConfigMap/faults/tail: compared 144 pairs',
    ]);
  });

  it('keeps answering after a module was stopped (the worker is replaced)', async () => {
    const policies = await loadPolicies({ builtin: false, paths: ['fixtures/rego/faults'] });
    const settings = defaultSettings();
    settings.domains.rego = { ...defaultRegoSettings(), timeoutMs: 1000 };
    const engine = await createEngine(policies, settings);
    const { loadInputs } = await import('../../src/inputs/load.js');
    const { resources } = await loadInputs(['fixtures/rego/faults/manifests']);
    const first = await engine.evaluate(resources);
    const second = await engine.evaluate(resources.filter((resource) => resource.name === 'small'));
    expect(
      first.findings
        .filter((finding) => finding.resource.id === 'ConfigMap/faults/tail')
        .map((finding) => finding.status),
    ).toEqual(['fail', 'fail', 'fail']);
    expect(first.summary.byStatus.error).toBeGreaterThan(0);
    expect(findingLines(second)).toEqual([
      'fail faults-conflict ConfigMap/faults/small: ConfigMap/faults/small: tier gold',
      'fail faults-hungry ConfigMap/faults/small: ConfigMap/faults/small: 100 values held',
      'fail faults-slow ConfigMap/faults/small: ConfigMap/faults/small: compared 100 pairs',
    ]);
  });

  it('inline isolation bounds memory too', async () => {
    // Inline evaluation cannot stop the runaway policy, so only the memory hog runs here.
    const result = await evaluateRego({
      ...faults,
      select: ['faults-hungry'],
      rego: { isolation: 'inline', memoryLimitMiB: 32 },
    });
    expect(findingLines(result).filter((line) => line.startsWith('error faults-hungry'))).toHaveLength(1);
  });
});

describe('errors name the file', () => {
  it('a missing opa says how to install it or to supply a compiled bundle', async () => {
    const dir = join(scratch, 'uncompiled');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'policy.rego'),
      'package main\n\nimport rego.v1\n\ndeny contains "always" if input.kind == "Pod"\n',
    );
    // The configured opa does not exist, so nothing can compile the source.
    writeFileSync(
      join(scratch, 'parapet.yaml'),
      `rego:\n  opa: ${join(scratch, 'no-such-opa')}\n  cacheDir: ${join(scratch, 'cache')}\n`,
    );
    // Only the pipeline's own configuration may name the opa binary and the cache.
    const missing = await runCli([
      'check',
      '--trusted-config',
      join(scratch, 'parapet.yaml'),
      '--no-builtin',
      '--policies',
      dir,
      'fixtures/rego/gatekeeper/manifests/shop.yaml',
    ]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toBe(
      `error: ${dir}: compiling Rego needs the opa CLI, which is not installed; install it with \`go install github.com/open-policy-agent/opa@v1.22.3\` (or put it on PATH, or set PARAPET_OPA), or supply a compiled bundle (\`parapet rego build\`, or \`opa build -t wasm\`)\n`,
    );
  });

  it('a bundle without policy.wasm', async () => {
    const dir = join(scratch, 'bundle-src');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'data.json'), '{"allowed": ["registry.example.com/"]}');
    writeFileSync(join(dir, '.manifest'), '{"roots": [""]}');
    const bundle = join(scratch, 'bundle.tar.gz');
    await createTar({ gzip: true, file: bundle, cwd: dir, portable: true }, ['data.json', '.manifest']);
    expect(() => readBundle(bundle)).toThrow(
      `${bundle}: bundle has no /policy.wasm; build it with \`opa build -t wasm -e <entrypoint>\` so it carries a compiled module`,
    );
    const policyDir = join(scratch, 'bundle-only');
    mkdirSync(policyDir, { recursive: true });
    cpSync(bundle, join(policyDir, 'bundle.tar.gz'));
    const run = await runCli([
      'check',
      '--no-builtin',
      '--policies',
      policyDir,
      'fixtures/rego/gatekeeper/manifests/shop.yaml',
    ]);
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      `error: ${join(policyDir, 'bundle.tar.gz')}: bundle has no /policy.wasm; build it with \`opa build -t wasm -e <entrypoint>\` so it carries a compiled module\n`,
    );
  });

  it('a file that is not a bundle', () => {
    const file = join(scratch, 'not-a-bundle.tar.gz');
    writeFileSync(file, 'plain text, not gzip');
    expect(() => readBundle(file)).toThrow(
      new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: not a readable OPA bundle`),
    );
  });
});
