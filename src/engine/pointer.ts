/** RFC 6901 JSON pointers: the one vocabulary for paths in findings, unknowns and fixes. */

export function escapePointerToken(token: string | number): string {
  const text = String(token);
  return text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text;
}

export function unescapePointerToken(token: string): string {
  return token.includes('~') ? token.replace(/~1/g, '/').replace(/~0/g, '~') : token;
}

export function pointerTokens(pointer: string): string[] {
  if (pointer === '') return [];
  const tokens = pointer.slice(1).split('/');
  // Most pointers have no escapes; skip the per-token pass (a hot path: one call per finding).
  if (pointer.includes('~'))
    for (let i = 0; i < tokens.length; i += 1) tokens[i] = unescapePointerToken(tokens[i]!);
  return tokens;
}

export function joinPointer(base: string, ...tokens: Array<string | number>): string {
  let out = base;
  for (const token of tokens) out += '/' + escapePointerToken(token);
  return out;
}

/** The value at `pointer` inside `root`, or undefined. */
export function getAtPointer(root: unknown, pointer: string): unknown {
  if (pointer === '') return root;
  // One plain token (`/name`): no split (a hot path, once per schema violation).
  if (pointer.indexOf('/', 1) === -1 && !pointer.includes('~')) {
    return root !== null && typeof root === 'object'
      ? (root as Record<string, unknown>)[pointer.slice(1)]
      : undefined;
  }
  let current: unknown = root;
  for (const token of pointerTokens(pointer)) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<string, unknown>)[token];
  }
  return current;
}

/** True when one pointer is the other or lies inside it. */
export function pointersOverlap(a: string, b: string): boolean {
  if (a === b) return true;
  const [shorter, longer] = a.length < b.length ? [a, b] : [b, a];
  return longer.startsWith(shorter) && longer.charAt(shorter.length) === '/';
}
