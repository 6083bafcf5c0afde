import { PIECE_CHARS } from '../model/atomic-write.js';

/**
 * JSON written in pieces, byte for byte as `JSON.stringify(value, null, 2)` would write it, with
 * the large arrays (findings, results) wrapped in `JsonStream` and serialised one item at a time,
 * as are plain arrays of more than `LONG_ARRAY` items (a run's cost lines, its notices).
 */

/** An array whose items are produced lazily while the JSON is written. */
export class JsonStream {
  constructor(readonly items: Iterable<unknown>) {}
}

const LONG_ARRAY = 64;

/** Whether `value` holds something written item by item: a `JsonStream` or a long array. */
function holdsStream(value: unknown): boolean {
  if (value instanceof JsonStream) return true;
  if (value === null || typeof value !== 'object' || 'toJSON' in value) return false;
  if (Array.isArray(value)) return value.length > LONG_ARRAY || value.some(holdsStream);
  return Object.values(value).some(holdsStream);
}

/** `JSON.stringify(value, null, 2)` at nesting depth `depth`: newlines continue its indentation. */
function stringifyAt(value: unknown, pad: string): string | undefined {
  const text = JSON.stringify(value, null, 2) as string | undefined;
  // JSON strings never hold a raw newline, so every newline is the pretty-printer's.
  return text === undefined || pad === '' ? text : text.replace(/\n/g, `\n${pad}`);
}

/** The pieces of `JSON.stringify(value, null, 2)`, streaming every `JsonStream` inside it. */
export function* jsonChunks(value: unknown, pad = ''): Generator<string> {
  if (!holdsStream(value)) {
    yield stringifyAt(value, pad) ?? 'null';
    return;
  }
  const inner = `${pad}  `;
  if (value instanceof JsonStream || Array.isArray(value)) {
    const items = value instanceof JsonStream ? value.items : (value as unknown[]);
    let first = true;
    // Items are gathered into pieces: one write per item costs more than the item.
    let piece = '[';
    for (const item of items) {
      piece += `${first ? '' : ','}\n${inner}`;
      first = false;
      if (holdsStream(item)) {
        yield piece;
        piece = '';
        yield* jsonChunks(item, inner);
      } else {
        piece += stringifyAt(item, inner) ?? 'null';
        if (piece.length >= PIECE_CHARS) {
          yield piece;
          piece = '';
        }
      }
    }
    yield `${piece}${first ? ']' : `\n${pad}]`}`;
    return;
  }
  let first = true;
  yield '{';
  for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
    if (item === undefined || typeof item === 'function' || typeof item === 'symbol') continue;
    yield `${first ? '' : ','}\n${inner}${JSON.stringify(key)}: `;
    first = false;
    yield* jsonChunks(item, inner);
  }
  yield first ? '}' : `\n${pad}}`;
}
