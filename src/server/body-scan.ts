/**
 * A pass over a request body's bytes before it is parsed: counts its JSON values, the items of its
 * lists and its nesting depth, and reads the AdmissionReview's apiVersion and request.uid on the
 * way. A body past the limits is refused without being parsed, so a small hostile body (a few MB of
 * `{},{},...`) never becomes a large object graph in memory, and the refusal can still be an
 * AdmissionReview answer naming the request.
 */

export interface BodyLimits {
  /** JSON values the whole body may hold. */
  maxValues: number;
  /** Items any one list may hold. */
  maxListItems: number;
  /** Nesting depth of the whole body. */
  maxDepth: number;
}

export interface BodyScan {
  /** The first limit the body breaks, as a one-line reason; undefined when within all of them. */
  violation?: string;
  /** `apiVersion` of the review, when it was read before the scan stopped. */
  apiVersion?: string;
  /** `request.uid` of the review, when it was read before the scan stopped. */
  uid?: string;
  /** `request.kind.group` and `request.kind.kind`, when read before the scan stopped. */
  group?: string;
  kind?: string;
  /** `request.namespace`, when read before the scan stopped. */
  namespace?: string;
  /** `request.userInfo.username`, when read before the scan stopped. */
  username?: string;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;

function isSpace(byte: number): boolean {
  return byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;
}

const decoder = new TextDecoder();

/** The text of the JSON string between `start` and `end` (its quotes excluded), escapes decoded. */
function stringAt(body: Uint8Array, start: number, end: number): string | undefined {
  const raw = decoder.decode(body.subarray(start, end));
  if (!raw.includes('\\')) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return undefined;
  }
}

/**
 * Scans `body` (UTF-8 JSON text). Malformed JSON is not reported here (the parser words that); the
 * counts are exact for well-formed text. With `headerOnly` the scan stops at `request.object` once
 * the apiVersion is read: the API server writes the request's uid, kind, namespace and user before
 * the object, so reading them costs little whatever the object's size.
 */
export function scanBody(
  body: Uint8Array,
  limits: BodyLimits,
  options: { headerOnly?: boolean } = {},
): BodyScan {
  const scan: BodyScan = {};
  // Per open container: is it an array, its items so far, and (objects) the key being read.
  const isArray: boolean[] = [];
  const items: number[] = [];
  const keys: Array<string | undefined> = [];
  let expectingKey = false;
  let values = 0;
  /** Counts a value starting at `depth`; false when it breaks a limit (then `scan.violation` says which). */
  const startValue = (depth: number): boolean => {
    values += 1;
    if (values > limits.maxValues) {
      scan.violation = `the request body holds more than ${limits.maxValues} JSON values (server.maxValues)`;
      return false;
    }
    if (depth > 0 && isArray[depth - 1]) {
      const count = (items[depth - 1] = items[depth - 1]! + 1);
      if (count > limits.maxListItems) {
        scan.violation = `a list in the request body has more than ${limits.maxListItems} items (server.maxListItems)`;
        return false;
      }
    }
    return true;
  };
  const length = body.length;
  for (let i = 0; i < length; i += 1) {
    const byte = body[i]!;
    if (isSpace(byte)) continue;
    const depth = isArray.length;
    if (byte === QUOTE) {
      const start = i + 1;
      i += 1;
      while (i < length && body[i] !== QUOTE) i += body[i] === BACKSLASH ? 2 : 1;
      if (depth > 0 && !isArray[depth - 1] && expectingKey) {
        expectingKey = false;
        // Only the envelope's keys are ever read: apiVersion (depth 1), request.uid (depth 2),
        // request.kind.kind and request.userInfo.username (depth 3).
        const key =
          depth <= 2 ||
          (depth === 3 && keys[0] === 'request' && (keys[1] === 'kind' || keys[1] === 'userInfo'))
            ? stringAt(body, start, i)
            : undefined;
        keys[depth - 1] = key;
        const objectFollows =
          depth === 2 && keys[0] === 'request' && (key === 'object' || key === 'oldObject');
        if (options.headerOnly && objectFollows && scan.apiVersion !== undefined) return scan;
        continue;
      }
      if (!startValue(depth)) return scan;
      if (depth === 1 && keys[0] === 'apiVersion') scan.apiVersion = stringAt(body, start, i);
      else if (depth === 2 && keys[0] === 'request') {
        if (keys[1] === 'uid') scan.uid = stringAt(body, start, i);
        else if (keys[1] === 'namespace') scan.namespace = stringAt(body, start, i);
      } else if (depth === 3 && keys[0] === 'request') {
        if (keys[1] === 'kind' && keys[2] === 'kind') scan.kind = stringAt(body, start, i);
        else if (keys[1] === 'kind' && keys[2] === 'group') scan.group = stringAt(body, start, i);
        else if (keys[1] === 'userInfo' && keys[2] === 'username') scan.username = stringAt(body, start, i);
      }
    } else if (byte === OPEN_OBJECT || byte === OPEN_ARRAY) {
      if (!startValue(depth)) return scan;
      if (depth + 1 > limits.maxDepth) {
        scan.violation = `the request body nests deeper than ${limits.maxDepth} levels (server.maxDepth)`;
        return scan;
      }
      isArray.push(byte === OPEN_ARRAY);
      items.push(0);
      keys.push(undefined);
      expectingKey = byte === OPEN_OBJECT;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      isArray.pop();
      items.pop();
      keys.pop();
      expectingKey = false;
    } else if (byte === COMMA) {
      expectingKey = depth > 0 && !isArray[depth - 1];
    } else if (byte === COLON) {
      expectingKey = false;
    } else {
      // A number, true, false or null: one value, skipped to its end.
      if (!startValue(depth)) return scan;
      while (i + 1 < length) {
        const next = body[i + 1]!;
        if (isSpace(next) || next === COMMA || next === CLOSE_ARRAY || next === CLOSE_OBJECT) break;
        i += 1;
      }
    }
  }
  return scan;
}
