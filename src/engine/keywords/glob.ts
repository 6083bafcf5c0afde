import type { KeywordDefinition } from 'ajv';
import { Minimatch } from 'minimatch';

export interface GlobOptions {
  dot?: boolean;
  nocomment?: boolean;
  nonegate?: boolean;
}

const globOptions: GlobOptions = { dot: true, nocomment: true, nonegate: true };

/** No empty path segment (leading, trailing or doubled slash), where minimatch's two matchers differ. */
function plainPath(subject: string): boolean {
  return (
    subject.length > 0 &&
    subject.charCodeAt(0) !== 47 &&
    subject.charCodeAt(subject.length - 1) !== 47 &&
    !subject.includes('//')
  );
}

interface CompiledGlob {
  /** The answer for a subject without empty segments. */
  plain: (subject: string) => boolean;
  /** The answer for any subject. */
  any: (subject: string) => boolean;
}

/**
 * One glob. minimatch's `match` splits the subject on every call; its regular expression is one
 * `test`. The two agree on plain paths, except that a globstar's expression is looser (`a/**` also
 * matches `a`), so there a yes is confirmed by `match`. Subjects with an empty segment go to `match`.
 */
function compileGlob(pattern: string, options: GlobOptions): CompiledGlob {
  const glob = new Minimatch(pattern, options);
  const any = (subject: string) => glob.match(subject);
  const re = glob.makeRe();
  if (!re) return { plain: any, any };
  if (!pattern.includes('**')) return { plain: (subject) => re.test(subject), any };
  return { plain: (subject) => re.test(subject) && glob.match(subject), any };
}

/**
 * A test for "matches at least one of these globs", exactly as minimatch's `match` answers. Options
 * default to the policies' (dot files match, no comments, no negation).
 */
export function globMatcher(
  patterns: string | string[],
  options: GlobOptions = globOptions,
): (subject: string) => boolean {
  const globs = (Array.isArray(patterns) ? patterns : [patterns]).map((pattern) =>
    compileGlob(pattern, options),
  );
  return (subject) => {
    const plain = plainPath(subject);
    for (const glob of globs) if (plain ? glob.plain(subject) : glob.any(subject)) return true;
    return false;
  };
}

/** `glob: PATTERN | [PATTERN...]`: the string matches at least one minimatch glob. */
export const globKeyword: KeywordDefinition = {
  keyword: 'glob',
  type: 'string',
  schemaType: ['string', 'array'],
  compile: (schema: string | string[]) => globMatcher(schema),
  errors: false,
  metaSchema: { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] },
};
