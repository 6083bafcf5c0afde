import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compileRego, findOpa, type CompileRequest } from '../../src/rego/compiler.js';
import type { Result } from '../../src/model/result.js';
import { evaluateRego } from './helpers.js';

const opa = findOpa();
if (!opa)
  console.warn(
    'opa is not installed: Rego compilation tests are skipped (run .ci/setup-opa.sh or `go install github.com/open-policy-agent/opa@v1.22.3`)',
  );

const scratch = mkdtempSync(join(tmpdir(), 'parapet-rego-compile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const fixtures: Array<{ policies: string; inputs: string[]; namespaces?: string[] }> = [
  {
    policies: 'fixtures/rego/conftest-kubernetes/policy',
    inputs: ['fixtures/rego/conftest-kubernetes/manifests', 'fixtures/rego/gatekeeper/manifests'],
  },
  { policies: 'fixtures/rego/conftest-terraform/policy', inputs: ['fixtures/rego/conftest-terraform/plans'] },
  {
    policies: 'fixtures/rego/conftest-terraform/policy',
    inputs: ['fixtures/rego/conftest-terraform/plans'],
    namespaces: ['cost'],
  },
  {
    policies: 'fixtures/rego/gatekeeper',
    inputs: ['fixtures/rego/gatekeeper/manifests', 'fixtures/rego/conftest-kubernetes/manifests'],
  },
  { policies: 'fixtures/rego/native', inputs: ['fixtures/rego/native/tests'] },
];

/** What a run decided, without the policy files' locations (the recompiled copy lives elsewhere). */
function verdicts(result: Result): string[] {
  return result.findings.map(
    (finding) =>
      `${finding.status} ${finding.policyId} ${finding.resource.id} ${finding.path}: ${finding.message} ${JSON.stringify(finding.details ?? {})}`,
  );
}

describe('committed compiled Wasm', () => {
  it.each(
    fixtures.map((fixture) => [fixture.policies, fixture.namespaces?.join(',') ?? 'main', fixture] as const),
  )('%s (%s) loads without opa: the compiled bundles match the sources', async (_dir, _ns, fixture) => {
    const result = await evaluateRego({
      ...fixture,
      policies: [fixture.policies],
      rego: { opa: join(scratch, 'no-opa'), cacheDir: join(scratch, 'empty-cache') },
    });
    expect(result.findings.length).toBeGreaterThan(0);
    expect(result.findings.filter((finding) => finding.status === 'error')).toEqual([]);
  });

  it
    .skipIf(!opa)
    .each(
      fixtures.map(
        (fixture) => [fixture.policies, fixture.namespaces?.join(',') ?? 'main', fixture] as const,
      ),
    )('%s (%s) recompiled by opa behaves exactly like the committed Wasm', async (dir, _ns, fixture) => {
    const copy = join(
      scratch,
      'copies',
      `${basename(dir)}-${fixture.namespaces?.join('-') ?? 'main'}-${Math.random().toString(36).slice(2)}`,
    );
    // Without the compiled/ folders only a fresh `opa build` can produce the modules.
    cpSync(dir, copy, { recursive: true, filter: (source) => basename(source) !== 'compiled' });
    const committed = await evaluateRego({
      ...fixture,
      policies: [fixture.policies],
      rego: { opa: join(scratch, 'no-opa'), cacheDir: join(scratch, 'empty-cache') },
    });
    const fresh = await evaluateRego({
      ...fixture,
      policies: [copy],
      rego: { cacheDir: join(scratch, 'fresh-cache') },
    });
    expect(verdicts(fresh)).toEqual(verdicts(committed));
  });
});

describe.skipIf(!opa)('compiling Rego with opa', () => {
  function request(dir: string, text: string, version: CompileRequest['version'] = 'auto'): CompileRequest {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'policy.rego'), text);
    return {
      label: dir,
      name: 'test',
      sources: [{ path: 'policy.rego', displayPath: join(dir, 'policy.rego'), text }],
      entrypoints: ['main/deny'],
      version,
      prebuiltDirs: [],
    };
  }
  const options = () => ({ cacheDir: join(scratch, 'cache'), buildTimeoutMs: 120_000 });

  it('reports a syntax error with the file and line', () => {
    const dir = join(scratch, 'syntax');
    const req = request(
      dir,
      'package main\n\nimport rego.v1\n\ndeny contains msg if {\n  msg := sprintf("%s", [input.kind]\n}\n',
    );
    expect(() => compileRego(req, options())).toThrow(
      new RegExp(
        `^${dir.replace(/[/.-]/g, '\\$&')}: Rego does not compile: ${join(dir, 'policy.rego').replace(/[/.-]/g, '\\$&')}:\\d+: rego_parse_error: `,
      ),
    );
  });

  it('accepts Rego v1 without the import and the pre-1.0 syntax, and caches by content', () => {
    const v1 = compileRego(
      request(
        join(scratch, 'v1'),
        'package main\n\ndeny contains msg if {\n  input.kind == "Pod"\n  msg := "pod"\n}\n',
      ),
      options(),
    );
    expect(v1).toMatchObject({ origin: 'opa', version: 'v1' });
    const v0 = compileRego(
      request(join(scratch, 'v0'), 'package main\n\ndeny[msg] {\n  input.kind == "Pod"\n  msg := "pod"\n}\n'),
      options(),
    );
    expect(v0).toMatchObject({ origin: 'opa', version: 'v0' });
    const again = compileRego(
      request(
        join(scratch, 'v0-again'),
        'package main\n\ndeny[msg] {\n  input.kind == "Pod"\n  msg := "pod"\n}\n',
      ),
      options(),
    );
    expect(again).toMatchObject({ origin: 'cache', version: 'v0', key: v0.key });
  });

  it('honours an explicit version: v1 sources do not compile as v0', () => {
    const dir = join(scratch, 'explicit');
    expect(() =>
      compileRego(
        request(dir, 'package main\n\ndeny contains "x" if input.kind == "Pod"\n', 'v0'),
        options(),
      ),
    ).toThrow(/Rego does not compile: .*rego_parse_error/);
  });
});
