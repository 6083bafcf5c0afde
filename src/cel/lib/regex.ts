/**
 * Kubernetes' regex library: `find` and `findAll`. Patterns are RE2 (checked with @bufbuild/re2, the
 * engine behind `matches`); the match positions come from the equivalent JavaScript expression,
 * since RE2's syntax is, for what RE2 accepts, read the same way by a Unicode RegExp once the few
 * spellings that differ are translated.
 */
import { RE2JS } from '@bufbuild/re2';
import { celList } from '@bufbuild/cel';
import { CelScalar } from '@bufbuild/cel';
import { asInt, asString, method as anyMethod, type CelLibrary } from './define.js';

const method: typeof anyMethod = (name, count, impl) => anyMethod(name, count, impl, CelScalar.STRING);

const cache = new Map<string, RegExp>();
const MAX_CACHE = 256;

/** The JavaScript form of an RE2 pattern (`(?P<n>` and leading flag groups translated). */
function compile(pattern: string): RegExp {
  let regex = cache.get(pattern);
  if (regex) return regex;
  try {
    RE2JS.compile(pattern);
  } catch (error) {
    throw new Error(`error parsing regexp: ${error instanceof Error ? error.message : String(error)}`);
  }
  let source = pattern.replace(/\(\?P</g, '(?<').replace(/\\z/g, '$');
  let flags = 'gu';
  const leading = /^\(\?([imsU]+)\)/.exec(source);
  if (leading) {
    source = source.slice(leading[0].length);
    if (leading[1]!.includes('i')) flags += 'i';
    if (leading[1]!.includes('m')) flags += 'm';
    if (leading[1]!.includes('s')) flags += 's';
  }
  regex = new RegExp(source, flags);
  if (cache.size >= MAX_CACHE) cache.clear();
  cache.set(pattern, regex);
  return regex;
}

function findAll(text: string, pattern: string, limit: bigint): string[] {
  const regex = compile(pattern);
  const out: string[] = [];
  if (limit === 0n) return out;
  for (const match of text.matchAll(regex)) {
    out.push(match[0]);
    if (limit > 0n && BigInt(out.length) >= limit) break;
  }
  return out;
}

export const regexLibrary: CelLibrary = {
  name: 'regex',
  funcs: [
    method('find', 1, (text, pattern) => {
      const found = findAll(asString('find', text), asString('find', pattern), 1n);
      return found[0] ?? '';
    }),
    method('findAll', 1, (text, pattern) =>
      celList(findAll(asString('findAll', text), asString('findAll', pattern), -1n)),
    ),
    method('findAll', 2, (text, pattern, limit) =>
      celList(findAll(asString('findAll', text), asString('findAll', pattern), asInt('findAll', limit))),
    ),
  ],
};
