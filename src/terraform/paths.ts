/**
 * Terraform marks unknown and sensitive values with shadow objects (`after_unknown`,
 * `after_sensitive`): the same shape as the value, `true` at every marked leaf. Policies work with
 * JSON pointers, so the shadows become pointer lists here.
 */

/** Escapes one JSON pointer reference token (RFC 6901). */
export function escapePointerToken(token: string | number): string {
  const text = String(token);
  return text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text;
}

/**
 * JSON pointers of every `true` leaf of a shadow object. A shadow that is `true` itself means the
 * whole value is marked (pointer `''`).
 */
export function markedPointers(shadow: unknown): string[] {
  const pointers: string[] = [];
  collect(shadow, '', pointers);
  return pointers;
}

function collect(shadow: unknown, prefix: string, into: string[]): void {
  if (shadow === true) {
    into.push(prefix);
    return;
  }
  if (Array.isArray(shadow)) {
    for (let i = 0; i < shadow.length; i += 1) collect(shadow[i], `${prefix}/${i}`, into);
    return;
  }
  if (shadow !== null && typeof shadow === 'object') {
    for (const key in shadow as Record<string, unknown>) {
      collect((shadow as Record<string, unknown>)[key], `${prefix}/${escapePointerToken(key)}`, into);
    }
  }
}

/** `replace_paths` (arrays of steps) as JSON pointers. */
export function stepsToPointers(paths: unknown): string[] {
  if (!Array.isArray(paths)) return [];
  const pointers: string[] = [];
  for (const steps of paths) {
    if (!Array.isArray(steps)) continue;
    pointers.push(steps.map((step) => `/${escapePointerToken(step as string | number)}`).join(''));
  }
  return pointers;
}
