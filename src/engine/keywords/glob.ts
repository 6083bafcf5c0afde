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
  /** The first character every plain subject it matches starts with (literal shapes), or -1. */
  first: number;
}

/** Path segments with no glob syntax, none of them `.` or `..`: `registry.example.com/team`. */
const literalPath = /^[A-Za-z0-9][\w.:-]*(?:\/[A-Za-z0-9][\w.:-]*)*$/;

/** Whether `subject` from `from` on is segments other than `.` and `..` (what `*` and `**` match with dot files). */
function noDotSegments(subject: string, from: number): boolean {
  for (let start = from; start < subject.length;) {
    let end = subject.indexOf('/', start);
    if (end === -1) end = subject.length;
    const length = end - start;
    if (
      subject.charCodeAt(start) === 46 &&
      (length === 1 || (length === 2 && subject.charCodeAt(start + 1) === 46))
    )
      return false;
    start = end + 1;
  }
  return true;
}

/**
 * The shapes policies write most, answered for plain paths with string tests alone: a literal path
 * (`k8s.gcr.io`), everything below one (`registry.example.com/**`) and its direct children
 * (`docker.io/library/*`), where `*` and `**` match dot files (the policies' option).
 */
function literalShape(pattern: string, options: GlobOptions): ((subject: string) => boolean) | undefined {
  if (literalPath.test(pattern)) return (subject) => subject === pattern;
  if (!options.dot) return undefined;
  if (pattern.endsWith('/**') && literalPath.test(pattern.slice(0, -3))) {
    const prefix = pattern.slice(0, -2);
    // A plain path never ends with '/', so it is longer than the prefix.
    return (subject) => subject.startsWith(prefix) && noDotSegments(subject, prefix.length);
  }
  if (pattern.endsWith('/*') && literalPath.test(pattern.slice(0, -2))) {
    const prefix = pattern.slice(0, -1);
    return (subject) =>
      subject.startsWith(prefix) &&
      subject.indexOf('/', prefix.length) === -1 &&
      noDotSegments(subject, prefix.length);
  }
  return undefined;
}

/**
 * One glob. minimatch's `match` splits the subject on every call; its regular expression is one
 * `test`. The two agree on plain paths, except that the expression is looser in two places, where
 * a yes is confirmed by `match`: a globstar's (`a/**` also matches `a`, `a/.` and `a/./b`), and
 * `.` or `..` segments after a brace alternative's first segment. Subjects with an empty
 * segment go to `match`. Literal prefixes with `*` or `**` need neither (see {@link literalShape}).
 */
function compileGlob(pattern: string, options: GlobOptions): CompiledGlob {
  const glob = new Minimatch(pattern, options);
  const any = (subject: string) => glob.match(subject);
  const shape = literalShape(pattern, options);
  if (shape) return { plain: shape, any, first: pattern.charCodeAt(0) };
  const re = glob.makeRe();
  if (!re) return { plain: any, any, first: -1 };
  if (!pattern.includes('**'))
    return {
      // The expression's guard against `.` and `..` segments only holds at the start of an
      // alternative: `{a,b}/c/*` lets `a/c/.` through. A yes for a subject with such a segment is
      // confirmed by `match`.
      plain: (subject) => re.test(subject) && (noDotSegments(subject, 0) || glob.match(subject)),
      any,
      first: -1,
    };
  return { plain: (subject) => re.test(subject) && glob.match(subject), any, first: -1 };
}

/**
 * A test for "matches at least one of these globs", exactly as minimatch's `match` answers. Options
 * default to the policies' (dot files match, no comments, no negation).
 */
export function globMatcher(
  patterns: string | string[],
  options: GlobOptions = globOptions,
): (subject: string) => boolean {
  // Compiled on first use: a run compiles every policy, and most globs never meet a subject
  // (a Kubernetes run never reaches the Terraform policies' globs).
  let globs: CompiledGlob[] | undefined;
  return (subject) => {
    globs ??= (Array.isArray(patterns) ? patterns : [patterns]).map((pattern) =>
      compileGlob(pattern, options),
    );
    if (!plainPath(subject)) {
      for (const glob of globs) if (glob.any(subject)) return true;
      return false;
    }
    // Registry lists are mostly literal prefixes: skip those that cannot start the subject.
    const first = subject.charCodeAt(0);
    for (const glob of globs)
      if ((glob.first === -1 || glob.first === first) && glob.plain(subject)) return true;
    return false;
  };
}

export const globMetaSchema = { anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' } }] };
