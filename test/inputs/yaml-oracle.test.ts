/**
 * Differential test: parapet reads Kubernetes YAML exactly as kubectl does. The YAML oracle
 * (test/yaml-oracle, built by .ci/setup-yaml-oracle.sh) reads each stream with k8s.io/apimachinery's
 * multi-document reader and sigs.k8s.io/yaml v1.6; parapet's reader (fast path and exact path) must
 * give the same documents, and reject every stream the oracle rejects. Two things parapet rejects
 * on purpose where kubectl's answer is arbitrary: a key stated twice in one mapping (the oracle's
 * strict reading, YAMLToJSONStrict, fails on it too) and two keys making one JSON key.
 *
 * The inputs: every .yaml/.yml file under fixtures/, policies/ and test/ (the manifests `check`
 * reads there and every other YAML file, a superset), and generated streams
 * (test/inputs/yaml-generator.ts).
 */
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseYamlDocuments } from '../../src/inputs/yaml.js';
import { repoPath } from '../helpers.js';
import { yamlStreams } from './yaml-generator.js';

const oraclePath = process.env.PARAPET_YAML_ORACLE ?? '/var/cache/parapet/bin/yaml-oracle';
const haveOracle = existsSync(oraclePath);
/** Generated streams (PARAPET_YAML_STREAMS): three documents each on average. */
const GENERATED_STREAMS = Number(process.env.PARAPET_YAML_STREAMS ?? 36_000);

if (!haveOracle) {
  console.warn(
    `yaml-oracle: skipped, the YAML oracle is missing at ${oraclePath} (build it with .ci/setup-yaml-oracle.sh, or set PARAPET_YAML_ORACLE)`,
  );
}

interface OracleAnswer {
  docs?: unknown[];
  error?: string;
  duplicate?: boolean;
  collision?: boolean;
  strict?: string;
}

/**
 * One oracle process answers every stream (one JSON line in, one out). Asynchronous, like the
 * comparison below: a test worker blocked for minutes misses vitest's own calls.
 */
async function askOracle(texts: string[]): Promise<OracleAnswer[]> {
  const child = spawn(oraclePath, { stdio: ['pipe', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr.on('data', (chunk: Buffer) => err.push(chunk));
  const exited = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', resolve);
  });
  child.stdin.end(texts.map((t) => JSON.stringify(t)).join('\n') + '\n');
  const status = await exited;
  if (status !== 0) throw new Error(`yaml-oracle failed: ${Buffer.concat(err).toString()}`);
  const lines = Buffer.concat(out).toString('utf8').trim().split('\n');
  expect(lines).toHaveLength(texts.length);
  return lines.map((line) => JSON.parse(line) as OracleAnswer);
}

interface Difference {
  name: string;
  text: string;
  oracle: string;
  parapet: string;
}

interface Comparison {
  documents: number;
  rejected: number;
  differences: Difference[];
}

/** Compare parapet's reading of each stream with the oracle's; documents that are null are skipped by both. */
async function compare(names: string[], texts: string[]): Promise<Comparison> {
  const answers = await askOracle(texts);
  const result: Comparison = { documents: 0, rejected: 0, differences: [] };
  for (let i = 0; i < texts.length; i += 1) {
    if (i % 500 === 499) await new Promise((resolve) => setImmediate(resolve));
    const text = texts[i]!;
    const answer = answers[i]!;
    let values: unknown[] | undefined;
    let error: string | undefined;
    try {
      values = parseYamlDocuments(names[i]!, text)
        .map((doc) => doc.value)
        .filter((value) => value !== null && value !== undefined);
    } catch (caught) {
      error = (caught as Error).message;
    }
    const wanted =
      answer.error !== undefined || answer.duplicate || answer.collision
        ? undefined
        : (answer.docs ?? []).filter((doc) => doc !== null);
    if (wanted) result.documents += wanted.length;
    else result.rejected += 1;
    // Parapet's duplicate-key error stands where strict decoding also fails on a repeated key.
    const duplicateAgreed =
      error !== undefined && /duplicate key/.test(error) && /already set in map/.test(answer.strict ?? '');
    const same =
      duplicateAgreed ||
      (wanted === undefined ? error !== undefined : error === undefined && isDeepStrictEqual(values, wanted));
    if (!same)
      result.differences.push({
        name: names[i]!,
        text,
        oracle: JSON.stringify(answer).slice(0, 600),
        parapet: error ?? JSON.stringify(values).slice(0, 600),
      });
  }
  return result;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // test/artifacts is written by other tests while they run.
    if (entry.name === 'node_modules' || entry.name === 'artifacts' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...yamlFiles(full));
    else if (/\.ya?ml$/i.test(entry.name)) out.push(full);
  }
  return out.sort();
}

function report(what: string, result: Comparison): string {
  const shown = result.differences
    .slice(0, 5)
    .map((d) => `--- ${d.name}\n${d.text}\noracle:  ${d.oracle}\nparapet: ${d.parapet}`)
    .join('\n');
  return `${what}: ${result.differences.length} differences\n${shown}`;
}

describe.skipIf(!haveOracle)('Kubernetes YAML against sigs.k8s.io/yaml (the YAML oracle)', () => {
  it('reads every YAML file under fixtures/, policies/ and test/ as kubectl does', async () => {
    const files = ['fixtures', 'policies', 'test'].flatMap((dir) => yamlFiles(repoPath(dir)));
    const texts = files.map((file) => readFileSync(file, 'utf8'));
    const result = await compare(
      files.map((file) => path.relative(repoPath('.'), file)),
      texts,
    );
    console.log(
      `yaml-oracle: ${files.length} files, ${result.documents} documents, ${result.rejected} rejected by both, ${result.differences.length} differences`,
    );
    expect(files.length).toBeGreaterThan(200);
    expect(result.differences, report('files', result)).toEqual([]);
  });

  it(`reads ${GENERATED_STREAMS} generated streams as kubectl does`, { timeout: 900_000 }, async () => {
    const streams = yamlStreams(GENERATED_STREAMS);
    const texts = streams.map((stream) => stream.text);
    const generated = streams.reduce((sum, stream) => sum + stream.documents, 0);
    const result = await compare(
      texts.map((_, i) => `generated-${i}.yaml`),
      texts,
    );
    console.log(
      `yaml-oracle: ${texts.length} generated streams of ${generated} documents: ${result.documents} documents read alike, ${result.rejected} streams rejected by both, ${result.differences.length} differences`,
    );
    // The generator must exercise both outcomes in earnest.
    if (GENERATED_STREAMS >= 36_000) expect(generated).toBeGreaterThanOrEqual(100_000);
    expect(result.documents).toBeGreaterThan(generated / 2);
    expect(result.rejected).toBeGreaterThan(GENERATED_STREAMS / 20);
    expect(result.differences, report('generated', result)).toEqual([]);
  });
});
