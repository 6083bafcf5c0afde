/**
 * Conformance of parapet's Pod Security Standards policies with Pod Security Admission, version by
 * version, on the upstream module's own test data: every fixture under
 * `test/testdata/{baseline,restricted}/v1.N/{pass,fail}/` of k8s.io/pod-security-admission (read from
 * the Go module cache the oracle was built from, never copied here) goes through parapet at
 * `--pss-version v1.N` and through test/pss-oracle at the same version. A pass fixture must pass; a
 * fail fixture must fail on the control its file is named after; and parapet must fail exactly the
 * controls the oracle forbids.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../src/engine/engine.js';
import { parseInput } from '../../src/inputs/load.js';
import { defaultSettings } from '../../src/model/settings.js';
import type { Policy } from '../../src/model/policy.js';
import type { Resource } from '../../src/model/resource.js';
import { loadPolicies } from '../../src/policies/load.js';
import { withPssVersion } from '../../src/pss/settings.js';
import { formatPssVersion, latestPssVersion, parsePssVersion } from '../../src/pss/version.js';
import {
  haveOracle,
  oracleChecks,
  oraclePath,
  PssOracle,
  policyForCheck,
  type OracleAnswer,
} from './pss-oracle-client.js';

const levels = ['baseline', 'restricted'] as const;
type Level = (typeof levels)[number];

/** The module's test data: `PARAPET_PSS_TESTDATA`, else the module cache `.ci/setup-pss-oracle.sh` fills. */
function testdataDir(): { dir?: string; reason?: string } {
  if (process.env.PARAPET_PSS_TESTDATA) return { dir: process.env.PARAPET_PSS_TESTDATA };
  if (!haveOracle) return { reason: `the Pod Security Admission oracle is missing at ${oraclePath}` };
  const { module } = oracleChecks();
  const cache = path.join(process.env.PARAPET_CACHE ?? '/var/cache/parapet', 'go-mod');
  const dir = path.join(cache, `k8s.io/pod-security-admission@${module}`, 'test', 'testdata');
  return existsSync(dir) ? { dir } : { reason: `the module's test data is missing at ${dir}` };
}

const testdata = testdataDir();
if (!testdata.dir || !haveOracle) {
  console.warn(
    `pss-conformance: skipped, ${testdata.reason ?? `the oracle is missing at ${oraclePath}`} (run .ci/setup-pss-oracle.sh, or set PARAPET_PSS_ORACLE / PARAPET_PSS_TESTDATA)`,
  );
}

/** `capabilities_restricted1.yaml` -> the parapet policy of check `capabilities_restricted`. */
const policyByFixturePrefix = new Map(
  Object.entries(policyForCheck).map(([check, policy]) => [check.toLowerCase(), policy]),
);

interface Fixture {
  level: Level;
  version: string;
  expect: 'pass' | 'fail';
  file: string;
  resource: Resource;
}

function readFixtures(dir: string, level: Level, version: string): Fixture[] {
  const out: Fixture[] = [];
  for (const expect of ['pass', 'fail'] as const) {
    const folder = path.join(dir, level, version, expect);
    if (!existsSync(folder)) continue;
    for (const name of readdirSync(folder)
      .filter((n) => n.endsWith('.yaml'))
      .sort()) {
      const file = path.join(folder, name);
      const { resources } = parseInput(file, readFileSync(file, 'utf8'));
      if (resources.length !== 1)
        throw new Error(`${file}: expected one pod, got ${resources.length} resources`);
      out.push({ level, version, expect, file, resource: resources[0]! });
    }
  }
  return out;
}

const sorted = (items: Iterable<string>) => [...new Set(items)].sort();

describe.skipIf(!testdata.dir || !haveOracle)(
  'PSS conformance with the Pod Security Admission test data, every version (k8s.io/pod-security-admission)',
  () => {
    let policies: Policy[];
    let versions: string[];
    const counts: Record<Level, { pass: number; fail: number }> = {
      baseline: { pass: 0, fail: 0 },
      restricted: { pass: 0, fail: 0 },
    };
    const disagreements: string[] = [];
    let checked = 0;

    beforeAll(async () => {
      policies = await loadPolicies({ builtin: true });
      versions = readdirSync(path.join(testdata.dir!, 'baseline'))
        .filter((name) => /^v1\.\d+$/.test(name))
        .sort((a, b) => parsePssVersion(a, a).minor - parsePssVersion(b, b).minor);
    });

    afterAll(() => {
      if (checked)
        console.log(
          `pss-conformance: ${versions.length} versions (${versions[0]} to ${versions.at(-1)}); baseline ${counts.baseline.pass} pass + ${counts.baseline.fail} fail fixtures, restricted ${counts.restricted.pass} pass + ${counts.restricted.fail} fail fixtures; ${disagreements.length} disagreements`,
        );
    });

    it("the test data covers v1.0 to the newest version, which is parapet's latest", () => {
      const { newest } = oracleChecks();
      expect(newest).toBe(formatPssVersion(latestPssVersion));
      expect(versions).toEqual(Array.from({ length: latestPssVersion.minor + 1 }, (_, i) => `v1.${i}`));
    });

    it('every fixture of every version agrees with Pod Security Admission at that version', async () => {
      for (const version of versions) {
        const settings = withPssVersion(defaultSettings(), parsePssVersion(version, version));
        const engines: Record<Level, Engine> = {
          baseline: await createEngine(policies, { ...settings, select: ['pss-baseline-*'] }),
          restricted: await createEngine(policies, { ...settings, select: ['pss-*'] }),
        };
        const replacedBy = {} as Record<Level, Map<string, string[]>>;
        for (const level of levels) {
          replacedBy[level] = new Map();
          for (const { policy } of engines[level].policies)
            for (const id of policy.overrides ?? [])
              replacedBy[level].set(id, [...(replacedBy[level].get(id) ?? []), policy.id]);
        }
        const oracle = new PssOracle(oraclePath, version);
        try {
          // The selected policies are the oracle's checks at this version, one for one.
          const checks = oracleChecks(version);
          for (const level of levels) {
            const want = sorted(checks[level].map((check) => policyForCheck[check] ?? `unmapped:${check}`));
            const got = engines[level].policies.map((p) => p.policy.id);
            if (got.join() !== want.join())
              disagreements.push(
                `${version} ${level}: parapet runs ${got.join(', ')}; PSA runs ${want.join(', ')}`,
              );
          }
          for (const level of levels) {
            const fixtures = readFixtures(testdata.dir!, level, version);
            // One batch through the oracle: answers come back in order.
            const answers = await Promise.all(fixtures.map((f) => oracle.ask(f.resource.body)));
            for (const [i, fixture] of fixtures.entries()) {
              const answer: OracleAnswer = answers[i]!;
              const where = `${level}/${version}/${fixture.expect}/${path.basename(fixture.file)}`;
              const verdict = answer[level];
              if (answer.error || !verdict) {
                disagreements.push(`${where}: the oracle could not judge it: ${answer.error}`);
                continue;
              }
              const result = await engines[level].evaluate([fixture.resource]);
              const errors = result.findings.filter((f) => f.status === 'error');
              if (errors.length)
                disagreements.push(`${where}: policy error ${errors[0]!.policyId}: ${errors[0]!.message}`);
              const parapet = sorted(
                result.findings.filter((f) => f.status === 'fail').map((f) => f.policyId),
              );
              const upstream = sorted(
                verdict.forbidden.map((f) => policyForCheck[f.check] ?? `unmapped:${f.check}`),
              );
              counts[level][fixture.expect] += 1;
              checked += 1;
              if (parapet.join() !== upstream.join())
                disagreements.push(
                  `${where}: parapet fails [${parapet.join(', ')}], PSA forbids [${upstream.join(', ')}]`,
                );
              if (fixture.expect === 'pass') {
                if (parapet.length)
                  disagreements.push(`${where}: a pass fixture fails ${parapet.join(', ')}`);
                if (!verdict.allowed) disagreements.push(`${where}: a pass fixture is forbidden by PSA`);
              } else {
                const prefix = /^(.*?)\d+\.yaml$/.exec(path.basename(fixture.file))?.[1] ?? '';
                const named = policyByFixturePrefix.get(prefix);
                // At restricted, a baseline check's fixtures fail on the restricted check that replaces it.
                const controls = named ? [named, ...(replacedBy[level].get(named) ?? [])] : [];
                if (!named) disagreements.push(`${where}: no parapet policy for the check "${prefix}"`);
                else if (!controls.some((control) => parapet.includes(control)))
                  disagreements.push(
                    `${where}: a fail fixture for ${controls.join(' or ')} fails [${parapet.join(', ')}]`,
                  );
                if (verdict.allowed) disagreements.push(`${where}: a fail fixture is allowed by PSA`);
              }
            }
          }
        } finally {
          await oracle.close();
        }
      }
      expect(disagreements).toEqual([]);
      // Every level and version held fixtures of both kinds.
      expect(
        Math.min(counts.baseline.pass, counts.baseline.fail, counts.restricted.pass, counts.restricted.fail),
      ).toBeGreaterThan(versions.length);
    }, 300_000);
  },
);
