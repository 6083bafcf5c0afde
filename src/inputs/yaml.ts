import {
  isMap,
  isNode,
  isScalar,
  isSeq,
  LineCounter,
  parseAllDocuments,
  parseDocument,
  type Document,
  type Node,
} from 'yaml';
import { ParapetError } from '../model/errors.js';
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
 * Parse a (multi-document) YAML text: the fast path for the plain YAML manifests are made of, the
 * `yaml` package for everything else. A syntax error is a ParapetError naming file, line and column.
 */
export function parseYamlDocuments(file: string, text: string): YamlDocument[] {
  const fast = parseYamlFast(text);
  if (fast) return fast;
  const lineCounter = new LineCounter();
  const parsed = tooDeep(file, () => parseAllDocuments(text, { lineCounter }));
  const docs = Array.isArray(parsed) ? parsed : [];
  for (const doc of docs) {
    const error = doc.errors[0];
    if (error) {
      const pos = lineCounter.linePos(error.pos[0]);
      const reason = error.message
        .split('\n')[0]!
        .replace(/ at line \d+, column \d+:?$/, '')
        .replace(/^Maximum call stack size exceeded$/, 'collections are nested too deeply');
      throw new ParapetError(
        'PARAPET_INPUT_PARSE',
        `${file}:${pos.line}:${pos.col}: invalid YAML: ${reason}`,
        { file, line: pos.line },
      );
    }
  }
  return docs.map((doc) => {
    let value: unknown;
    try {
      value = tooDeep(file, () => doc.toJS({ maxAliasCount: 100 }));
    } catch (error) {
      if (error instanceof ParapetError) throw error;
      // Alias bombs ("billion laughs") stop here instead of exhausting memory.
      throw new ParapetError(
        'PARAPET_INPUT_PARSE',
        `${file}: invalid YAML: ${(error as Error).message.split('\n')[0]}`,
        { file },
      );
    }
    const start = doc.contents?.range?.[0] ?? doc.range[0];
    return {
      value,
      line: lineCounter.linePos(start).line,
      lineAt: (tokens: string[]) => astLineAt(doc, lineCounter, tokens),
    };
  });
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
