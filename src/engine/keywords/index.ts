import type { KeywordDefinition } from 'ajv';
import { cidrKeyword } from './cidr.js';
import { globKeyword } from './glob.js';
import { jsonStringKeyword } from './jsonString.js';
import { portRangeKeyword } from './portRange.js';
import { secretLikeKeyword } from './secretLike.js';

/** parapet's domain keywords, added to every ajv instance that compiles policy rules. */
export const keywords: KeywordDefinition[] = [
  globKeyword,
  cidrKeyword,
  jsonStringKeyword,
  portRangeKeyword,
  secretLikeKeyword,
];
