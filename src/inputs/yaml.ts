import { isMap, isNode, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml';
import { ParapetError } from '../model/errors.js';
import { readKubernetesYaml } from './kubernetes-yaml.js';
import { parseYamlFast } from './yaml-fast.js';

/** One parsed YAML document: its value, its first line, and a lookup of any field's line. */
export interface YamlDocument {
  value: unknown;
  line: number;
  /** Line of the field at these pointer tokens, or of its nearest existing ancestor. */
  lineAt(tokens: string[]): number | undefined;
  /** The same for a JSON pointer, when the parser can answer without splitting it into tokens. */
  lineOf?(pointer: string): number | undefined;
}

/** The line of a field in a `yaml` AST: the key's line for mapping entries, the item's for sequences. */
export function astLineAt(doc: Document, lineCounter: LineCounter, tokens: string[]): number | undefined {
  let node: unknown = doc.contents;
  let offset = isNode(node) ? node.range?.[0] : undefined;
  for (const token of tokens) {
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => (isScalar(item.key) ? String(item.key.value) : String(item.key)) === token,
      );
      if (!pair) break;
      const key = pair.key as Node | undefined;
      offset = key?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node)) {
      const item = node.items[Number(token)] as Node | undefined;
      if (!item?.range) break;
      offset = item.range[0];
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : lineCounter.linePos(offset).line;
}

/** Run a recursive parse step; nesting deeper than the stack is an input error, not a crash. */
function tooDeep<T>(file: string, step: () => T): T {
  try {
    return step();
  } catch (error) {
    if (error instanceof RangeError) {
      throw new ParapetError(
        'PARAPET_INPUT_TOO_LARGE',
        `${file}: invalid YAML: collections are nested too deeply`,
        { file },
      );
    }
    throw error;
  }
}

/**
 * Read a (multi-document) Kubernetes YAML text as kubectl reads it (sigs.k8s.io/yaml, see
 * src/inputs/kubernetes-yaml.ts): the fast path for the plain YAML manifests are made of, the exact
 * reader for everything else. An error is a ParapetError naming file and line.
 */
export function parseYamlDocuments(file: string, text: string): YamlDocument[] {
  const fast = parseYamlFast(text);
  if (fast) return fast;
  return tooDeep(file, () => readKubernetesYaml(file, text));
}

/**
 * Lines for a JSON text: JSON carries no positions, so the text is parsed again as YAML (a
 * superset) the first time a line is asked for, and never otherwise.
 */
export function jsonLineLocator(text: string): (tokens: string[]) => number | undefined {
  let located: { doc: Document; lineCounter: LineCounter } | undefined;
  return (tokens) => {
    if (!located) {
      const lineCounter = new LineCounter();
      located = { doc: parseDocument(text, { lineCounter }), lineCounter };
    }
    return astLineAt(located.doc, located.lineCounter, tokens);
  };
}
