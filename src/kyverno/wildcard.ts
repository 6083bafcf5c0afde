/** Kyverno's wildcards: `*` matches any run of characters, `?` exactly one; the whole string must match. */

const cache = new Map<string, RegExp>();

export function wildcardMatch(pattern: string, text: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === text;
  let re = cache.get(pattern);
  if (!re) {
    const source = pattern
      .split('')
      .map((ch) =>
        ch === '*' ? '[\\s\\S]*' : ch === '?' ? '[\\s\\S]' : ch.replace(/[.+^${}()|[\]\\/]/g, '\\$&'),
      )
      .join('');
    re = new RegExp(`^${source}$`);
    if (cache.size > 10_000) cache.clear();
    cache.set(pattern, re);
  }
  return re.test(text);
}

/** True when `text` holds a wildcard character. */
export function hasWildcard(text: string): boolean {
  return text.includes('*') || text.includes('?');
}
