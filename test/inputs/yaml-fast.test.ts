import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments, stringify } from 'yaml';
import { parseYamlFast } from '../../src/inputs/yaml-fast.js';
import { repoPath } from '../helpers.js';

/** What the `yaml` package makes of the same text: the reference the fast path must equal. */
function reference(text: string): unknown[] {
  const docs = parseAllDocuments(text);
  return (Array.isArray(docs) ? docs : []).map((doc) => doc.toJS());
}

function expectSameAsReference(text: string): 'fast' | 'fallback' {
  const fast = parseYamlFast(text);
  if (!fast) return 'fallback';
  expect(fast.map((doc) => doc.value)).toEqual(reference(text));
  return 'fast';
}

function yamlFiles(dir: string, out: string[] = []): string[] {
  for (const entry of readdirSync(dir)) {
    if (entry === 'node_modules' || entry.startsWith('.')) continue;
    const full = path.join(dir, entry);
    if (statSync(full).isDirectory()) yamlFiles(full, out);
    else if (/\.ya?ml$/.test(entry)) out.push(full);
  }
  return out;
}

describe('the fast YAML path', () => {
  it.each([
    ['block mappings and sequences', 'a: 1\nb:\n  c: [x, "y", 3]\n  d:\n    - e: f\n      g: h\n    - i\n'],
    [
      'a sequence at the same indent as its key',
      'spec:\n  containers:\n  - name: web\n    image: nginx\n  - name: side\n',
    ],
    [
      'core-schema scalars',
      'a: ~\nb: null\nc: True\nd: FALSE\ne: 0o17\nf: 0x1F\ng: -12\nh: 1.5e3\ni: .inf\nj: -.Inf\nk: .NaN\nl: yes\nm: "010"\nn: 010\no: 1.\np: +7\nq:\n',
    ],
    [
      'quoted scalars with escapes',
      'a: "tab\\there \\u00e9 \\x41 \\"q\\" \\\\"\nb: \'it\'\'s\'\nc: "# not a comment"\n',
    ],
    ['comments everywhere', '# head\na: 1 # one\n# between\nb: "x" # two\nc: [1, 2] # three\n'],
    [
      'literal block scalars',
      'script: |\n  set -e\n  # a comment inside\n\n  echo "done"   \nnext: |-\n  trimmed\n',
    ],
    ['folded block scalars', 'text: >\n  one\n  two\n\n  three\nnext: 1\n'],
    [
      'multiple documents with comments before the first separator',
      '# rendered\n---\na: 1\n---\n---\nb: 2\n',
    ],
    ['compact nested sequences', 'm:\n- - a\n  - b\n- - c\n'],
    ['empty flow collections and nulls', 'a: {}\nb: []\nc:\nd: {x: [], y: {}}\n'],
    [
      'keys with dots, slashes and quotes',
      'metadata:\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/web: runtime/default\n    "quoted key": v\n',
    ],
    [
      'URLs and colons without a following space',
      'image: registry:5000/app:1.0\nurl: http://example.com/a#frag\n',
    ],
  ])('agrees with the yaml package: %s', (_name, text) => {
    expect(expectSameAsReference(text)).toBe('fast');
  });

  it.each([
    ['anchors and aliases', 'a: &x 1\nb: *x\n'],
    ['tags', 'a: !!str 1\n'],
    ['multi-line plain scalars', 'a: one\n  two\n'],
    ['multi-line quoted scalars', 'a: "one\n  two"\n'],
    ['duplicate keys', 'a: 1\na: 2\n'],
    ['tabs', 'a:\n\tb: 1\n'],
    ['directives', '%YAML 1.2\n---\na: 1\n'],
    ['keep chomping', 'a: |+\n  x\n\n'],
    ['complex keys', '? a\n: b\n'],
    ['non-string keys', '1: a\ntrue: b\n'],
    ['malformed flow', 'a: [1, 2\n'],
    ['nested mapping on one line', 'a: b: c\n'],
  ])('leaves %s to the yaml package', (_name, text) => {
    expect(parseYamlFast(text)).toBeUndefined();
  });

  it('agrees with the yaml package on every YAML file in the repository it accepts', () => {
    const files = [...yamlFiles(repoPath('fixtures')), ...yamlFiles(repoPath('policies'))];
    let fast = 0;
    for (const file of files) if (expectSameAsReference(readFileSync(file, 'utf8')) === 'fast') fast += 1;
    // Nearly all real manifests take the fast path; the rest fall back safely.
    expect(fast / files.length).toBeGreaterThan(0.8);
  });

  it('agrees with the yaml package on generated documents (property)', () => {
    const key = fc.oneof(fc.stringMatching(/^[a-zA-Z][a-zA-Z0-9_./-]{0,12}$/), fc.string({ maxLength: 8 }));
    const scalar = fc.oneof(
      fc.string({ maxLength: 20 }),
      fc.stringMatching(/^[a-z0-9 .:#/-]{0,16}$/),
      fc.integer(),
      fc.double({ noNaN: false }),
      fc.boolean(),
      fc.constant(null),
      fc.constantFrom(
        'yes',
        'no',
        '~',
        '0o7',
        '0x1f',
        '1e3',
        '.inf',
        '- x',
        ': y',
        '#z',
        'a: b',
        "it's",
        'line\nbreak',
        '  pad  ',
      ),
    );
    const value = fc.letrec((tie) => ({
      node: fc.oneof({ depthSize: 'small' }, scalar, tie('list'), tie('map')),
      list: fc.array(tie('node'), { maxLength: 4 }),
      map: fc.dictionary(key, tie('node'), { maxKeys: 5 }),
    })).node;
    let fastCount = 0;
    fc.assert(
      fc.property(fc.array(value, { minLength: 1, maxLength: 3 }), fc.boolean(), (docs, flow) => {
        const text = docs
          .map((doc) => stringify(doc, { collectionStyle: flow ? 'flow' : 'any' }))
          .join('---\n');
        if (expectSameAsReference(text) === 'fast') fastCount += 1;
      }),
      { numRuns: 1500 },
    );
    expect(fastCount).toBeGreaterThan(300);
  });

  it('records the line of every key and item', () => {
    const text =
      '# c\n---\nspec:\n  containers:\n    - name: web\n      securityContext:\n        privileged: true\n';
    const [doc] = parseYamlFast(text)!;
    expect(doc!.line).toBe(3);
    const spec = (doc!.value as { spec: { containers: Array<Record<string, unknown>> } }).spec;
    expect(doc!.lines.get(spec)).toEqual(new Map([['containers', 4]]));
    expect(doc!.lines.get(spec.containers)).toEqual([5]);
    expect(doc!.lines.get(spec.containers[0]!)).toEqual(
      new Map([
        ['name', 5],
        ['securityContext', 6],
      ]),
    );
  });
});
