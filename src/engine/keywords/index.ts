import type { KeywordDefinition } from 'ajv';
import { globKeyword } from './glob.js';

/** parapet's domain keywords, added to every ajv instance that compiles policy rules. */
export const keywords: KeywordDefinition[] = [globKeyword];
