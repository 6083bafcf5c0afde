import { createHash, createHmac, randomUUID } from 'node:crypto';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import type { BuiltinTable } from './types.js';

function expectString(value: unknown, name: string, operand = 1): string {
  if (typeof value !== 'string') throw new TypeError(`${name}: operand ${operand} must be string`);
  return value;
}

function digest(algorithm: string, name: string) {
  return (value: unknown) => createHash(algorithm).update(expectString(value, name), 'utf8').digest('hex');
}

function hmac(algorithm: string, name: string) {
  return (value: unknown, key: unknown) =>
    createHmac(algorithm, expectString(key, name, 2))
      .update(expectString(value, name), 'utf8')
      .digest('hex');
}

/** Go's url.QueryEscape: spaces become `+`, and `~` stays as it is. */
function queryEscape(text: string): string {
  return encodeURIComponent(text)
    .replace(/%20/g, '+')
    .replace(/[!'()*]/g, (char) => `%${char.charCodeAt(0).toString(16).toUpperCase()}`);
}

export const encodingBuiltins: BuiltinTable = {
  'yaml.marshal': (value) => stringifyYaml(value),
  'yaml.unmarshal': (value) => parseYaml(expectString(value, 'yaml.unmarshal')) as unknown,
  'yaml.is_valid': (value) => {
    if (typeof value !== 'string') return false;
    try {
      parseYaml(value);
      return true;
    } catch {
      return false;
    }
  },

  'hex.encode': (value) => Buffer.from(expectString(value, 'hex.encode'), 'utf8').toString('hex'),
  'hex.decode': (value) => {
    const text = expectString(value, 'hex.decode');
    if (!/^(?:[0-9a-fA-F]{2})*$/.test(text)) throw new Error('hex.decode: invalid hex string');
    return Buffer.from(text, 'hex').toString('utf8');
  },
  'base64url.encode_no_pad': (value) =>
    Buffer.from(expectString(value, 'base64url.encode_no_pad'), 'utf8').toString('base64url'),

  'urlquery.encode': (value) => queryEscape(expectString(value, 'urlquery.encode')),
  'urlquery.decode': (value) =>
    decodeURIComponent(expectString(value, 'urlquery.decode').replace(/\+/g, ' ')),
  'urlquery.encode_object': (value) => {
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      throw new TypeError('urlquery.encode_object: operand 1 must be object');
    const pairs: string[] = [];
    for (const key of Object.keys(value).sort()) {
      const item = (value as Record<string, unknown>)[key];
      for (const entry of Array.isArray(item) ? item : [item])
        pairs.push(`${queryEscape(key)}=${queryEscape(String(entry))}`);
    }
    return pairs.join('&');
  },
  'urlquery.decode_object': (value) => {
    const result: Record<string, string[]> = {};
    for (const [key, item] of new URLSearchParams(expectString(value, 'urlquery.decode_object')))
      (result[key] ??= []).push(item);
    return result;
  },

  'crypto.md5': digest('md5', 'crypto.md5'),
  'crypto.sha1': digest('sha1', 'crypto.sha1'),
  'crypto.sha256': digest('sha256', 'crypto.sha256'),
  'crypto.hmac.md5': hmac('md5', 'crypto.hmac.md5'),
  'crypto.hmac.sha1': hmac('sha1', 'crypto.hmac.sha1'),
  'crypto.hmac.sha256': hmac('sha256', 'crypto.hmac.sha256'),
  'crypto.hmac.sha512': hmac('sha512', 'crypto.hmac.sha512'),

  'uuid.rfc4122': () => randomUUID(),
};
