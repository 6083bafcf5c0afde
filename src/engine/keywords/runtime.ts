import { certificatesIn } from '../../certificates/x509.js';
import { cidrPredicate } from './cidr.js';
import { globMatcher } from './glob.js';
import { hasTagPredicate } from './hasTag.js';
import { parseJsonText } from './jsonString.js';
import { portRangePredicate } from './portRange.js';
import { secretLikePredicate } from './secretLike.js';

/**
 * What validators need of the domain keywords when they run: a predicate made from the keyword's
 * schema value (and the JSON parser of `jsonString`). Precompiled validators call these by name, so
 * this module must not load ajv.
 */
export const keywordRuntime = {
  glob: globMatcher,
  cidr: cidrPredicate,
  portRange: portRangePredicate,
  secretLike: secretLikePredicate,
  hasTag: hasTagPredicate,
  jsonText: parseJsonText,
  /** The certificates a string holds, judged now. */
  certificates: (value: string) => certificatesIn(value),
} as const;
