import { readFileSync, readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  stringify,
  type Document,
  type Node,
} from 'yaml';
import { escapePointerToken } from '../../src/engine/pointer.js';
import { readKubernetesYaml } from '../../src/inputs/kubernetes-yaml.js';
import { parseYamlFast } from '../../src/inputs/yaml-fast.js';
import { repoPath } from '../helpers.js';

/**
 * The line the fast path gives a field, read from the `yaml` AST: a key's line for mapping entries,
 * the line of the `-` for block sequence items (flow items share their collection's line).
 */
function referenceLineAt(doc: Document, lineCounter: LineCounter, tokens: string[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? node.range?.[0] : undefined;
  for (const token of tokens) {
    if (isMap(node)) {
      const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === token);
      if (!pair) break;
      offset = (pair.key as Node).range![0];
      node = pair.value;
    } else if (isSeq(node)) {
      const index = Number(token);
      const item = node.items[index] as Node | null | undefined;
      if (!Number.isInteger(index) || index < 0 || index >= node.items.length) break;
      const cst = node.srcToken;
      const dash =
        cst?.type === 'block-seq'
          ? cst.items[index]?.start.find((t) => t.type === 'seq-item-ind')
          : undefined;
      offset = dash ? dash.offset : item!.range![0];
      node = String(index) === token ? item : undefined;
    } else break;
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

/** Every pointer (as tokens) inside a value, plus a missing key or index below each collection. */
function pathsOf(value: unknown, prefix: string[] = [], out: string[][] = []): string[][] {
  out.push(prefix);
  if (Array.isArray(value)) {
    value.forEach((item, index) => pathsOf(item, [...prefix, String(index)], out));
    out.push([...prefix, String(value.length)], [...prefix, '-1'], [...prefix, '01']);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) pathsOf(item, [...prefix, key], out);
    out.push([...prefix, 'no such key']);
  } else out.push([...prefix, 'below a scalar']);
  return out;
}

/**
 * The fast path either gives up or gives exactly what the `yaml` package gives: the same values,
 * no error there, and the same line for every field.
 */
function expectSameAsReference(text: string): 'fast' | 'fallback' {
  const fast = parseYamlFast(text);
  if (!fast) return 'fallback';
  const lineCounter = new LineCounter();
  const parsed = parseAllDocuments(text, { lineCounter, keepSourceTokens: true });
  const docs = Array.isArray(parsed) ? parsed : [];
  expect(docs.flatMap((doc) => doc.errors.map((error) => error.message))).toEqual([]);
  // Values as kubectl reads them (the exact reader, held to sigs.k8s.io/yaml by the YAML oracle);
  // empty documents, which kubectl skips, aside.
  const present = (value: unknown) => value !== null && value !== undefined;
  const expected = readKubernetesYaml('reference.yaml', text)
    .map((doc) => doc.value)
    .filter(present);
  expect(fast.map((doc) => doc.value).filter(present)).toEqual(expected);
  fast.forEach((doc, index) => {
    const reference = docs[index];
    // An empty document: no node to take a line from (and no resource to ask for one).
    if (!reference?.contents || reference.contents.range[0] === reference.contents.range[1]) return;
    expect(doc.line).toBe(lineCounter.linePos(reference.contents.range[0]).line);
    const paths = pathsOf(doc.value);
    for (const tokens of paths)
      expect([tokens, doc.lineAt(tokens)]).toEqual([tokens, referenceLineAt(reference, lineCounter, tokens)]);
    // lineOf resumes from the last pointer's common prefix: ask in document order and backwards.
    for (const tokens of [...paths, ...paths.slice().reverse()]) {
      const pointer = tokens.map((token) => '/' + escapePointerToken(token)).join('');
      expect([pointer, doc.lineOf(pointer)]).toEqual([
        pointer,
        referenceLineAt(reference, lineCounter, tokens),
      ]);
    }
  });
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
      'scalars as go-yaml reads them (YAML 1.1)',
      'a: ~\nb: null\nc: True\nd: FALSE\ne: 0o17\nf: 0x1F\ng: -12\nh: 1.5e3\ni: on\nj: Off\nk: 0644\nl: yes\nm: "010"\nq2: 010\no: 1.\np: +7\nq:\nr: 1_000\ns: 0b11\nt: 2001-12-14\nu: -0\nv: 08\nw: y\n',
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
    ['empty flow collections and nulls', 'a: {}\nb: []\nc:\nd: {x: [], z: {}}\n'],
    [
      'keys with dots, slashes and quotes',
      'metadata:\n  annotations:\n    container.apparmor.security.beta.kubernetes.io/web: runtime/default\n    "quoted key": v\n',
    ],
    [
      'URLs and colons without a following space',
      'image: registry:5000/app:1.0\nurl: http://example.com/a#frag\n',
    ],
    ['trailing no-break spaces, which YAML does not trim', 'a: b\u00a0\nc\u00a0: d\ne: [f\u00a0]\n'],
    [
      'integer-like quoted keys, which JavaScript enumerates first',
      'b: 1\n"10": {x: 1}\n"2":\n  - y\n  - z\nc: {"7": [q], a: 1}\n',
    ],
    ['a long sequence', 'items:\n' + Array.from({ length: 100 }, (_, i) => `- {num: ${i}}\n`).join('')],
    [
      'a long mapping',
      'data:\n' +
        Array.from({ length: 100 }, (_, i) => `  ${i % 2 ? `"${i}"` : `k${i}`}: {num: [${i}]}\n`).join(''),
    ],
    ['an item whose content starts on the next line', 'a:\n-\n  b: 1\n- # c\n  - d\n-\n'],
    ['blank lines inside a literal block scalar', 'a: |\n  x\n \n  y\n\nb: 1\n'],
    [
      'a workload as the benchmark generates it',
      'spec:\n  template:\n    spec:\n      containers:\n        - name: app-0\n          resources:\n            requests: { cpu: 100m, memory: 128Mi }\n          securityContext:\n            capabilities: { drop: [ALL] }\n',
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
    ['duplicate keys, one quoted', 'b: 0\na: 1\n"a": 2\n'],
    ['duplicate keys, quoted first', '"a": 1\nb: 0\na: 2\n'],
    ['duplicate keys, one with a space before the colon', 'a : 1\nb: 0\na: 2\n'],
    ['duplicate keys in a flow mapping', 'm: {a: 1, b: 2, a: 3}\n'],
    ['duplicate keys in a flow mapping, one with a space before the colon', 'm: {a : 1, a: 2}\n'],
    ['duplicate keys in a flow mapping, one quoted', "m: {a: 1, 'a': 3}\n"],
    ['a __proto__ key', 'a: 1\n__proto__: {}\n'],
    ['tabs', 'a:\n\tb: 1\n'],
    ['directives', '%YAML 1.2\n---\na: 1\n'],
    ['keep chomping', 'a: |+\n  x\n\n'],
    ['complex keys', '? a\n: b\n'],
    ['non-string keys', '1: a\ntrue: b\n'],
    ['malformed flow', 'a: [1, 2\n'],
    ['nested mapping on one line', 'a: b: c\n'],
    ['a line that is neither key nor item inside a mapping', 'a: 1\nfoo\n'],
    ['a quoted key without a space after the colon', 'b: 1\n"a":b\n'],
    ['spaces past the content indent on an empty line of a literal block', 'a: |\n  x\n     \n  y\n'],
    ['escapes beyond Unicode', 'a: "\\UFFFFFFFF"\n'],
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

  it('gives up or agrees with the yaml package on lines made of YAML fragments (property)', () => {
    // Lines assembled from pieces that sit at the edge of the subset: indicators, comments,
    // quotes, flow collections, block scalars, odd spaces, separators.
    const indent = fc.constantFrom('', '', ' ', '  ', '    ', '      ');
    const key = fc.constantFrom(
      'a: ',
      'b:',
      'key: ',
      '"q": ',
      "'s': ",
      'a : ',
      '"3": ',
      'x y: ',
      '- ',
      '- a: ',
      '-',
      '? ',
      ': ',
      '1: ',
    );
    const value = fc.constantFrom(
      '',
      'v',
      'v w',
      '1',
      '-2',
      '0x1F',
      '1e3',
      'true',
      'Null',
      '~',
      '"d\\t"',
      "'it''s'",
      '[a, b]',
      '{c: d, e: [1]}',
      '[]',
      '{}',
      '|',
      '>-',
      '|+',
      '# c',
      'v # c',
      'v#c',
      'a: b',
      'x:',
      '&a v',
      '*a',
      '!t v',
      '\u00a0',
      'v\u00a0',
      '"open',
      '[open',
      '{a: 1,}',
      ':v',
      '-v',
      '@v',
    );
    const line = fc.oneof(
      fc.tuple(indent, key, value).map(([i, k, v]) => i + k + v),
      fc.tuple(indent, value).map(([i, v]) => i + v),
      fc.constantFrom('---', '--- # c', '', '   ', '# c', '...'),
    );
    let fastCount = 0;
    fc.assert(
      fc.property(fc.array(line, { minLength: 1, maxLength: 8 }), (lines) => {
        if (expectSameAsReference(lines.join('\n') + '\n') === 'fast') fastCount += 1;
      }),
      { numRuns: 3000 },
    );
    expect(fastCount).toBeGreaterThan(300);
  });

  it('records the line of every key and item', () => {
    const text =
      '# c\n---\nspec:\n  containers:\n    - name: web\n      securityContext:\n        privileged: true\n';
    const [doc] = parseYamlFast(text)!;
    expect(doc!.line).toBe(3);
    expect(doc!.lineAt([])).toBe(3);
    expect(doc!.lineAt(['spec'])).toBe(3);
    expect(doc!.lineAt(['spec', 'containers'])).toBe(4);
    expect(doc!.lineAt(['spec', 'containers', '0'])).toBe(5);
    expect(doc!.lineAt(['spec', 'containers', '0', 'name'])).toBe(5);
    expect(doc!.lineAt(['spec', 'containers', '0', 'securityContext'])).toBe(6);
    expect(doc!.lineAt(['spec', 'containers', '0', 'securityContext', 'privileged'])).toBe(7);
    // A missing field answers with its nearest existing ancestor.
    expect(doc!.lineAt(['spec', 'volumes'])).toBe(3);
    expect(doc!.lineAt(['spec', 'containers', '1'])).toBe(4);
    expect(doc!.lineAt(['spec', 'containers', '0', 'image'])).toBe(5);
    expect(doc!.lineAt(['spec', 'containers', '0', 'name', 'deeper'])).toBe(5);
  });
});
