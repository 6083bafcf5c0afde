/**
 * CEL's strings extension at the version Kubernetes 1.29+ uses (cel-go `ext.Strings` version 2):
 * @bufbuild/cel's implementation, plus `strings.quote`, which it lacks.
 */
import { strings as bufStrings } from '@bufbuild/cel/ext';
import { asString, fn, type CelLibrary } from './define.js';

function quote(text: string): string {
  let out = '"';
  for (const char of text) {
    switch (char) {
      case '\\':
        out += '\\\\';
        break;
      case '"':
        out += '\\"';
        break;
      case '\n':
        out += '\\n';
        break;
      case '\r':
        out += '\\r';
        break;
      case '\t':
        out += '\\t';
        break;
      case '\b':
        out += '\\b';
        break;
      case '\f':
        out += '\\f';
        break;
      case '\v':
        out += '\\v';
        break;
      case '\x07':
        out += '\\a';
        break;
      default:
        out += char;
    }
  }
  return `${out}"`;
}

export const stringsLibrary: CelLibrary = {
  name: 'strings',
  funcs: [...bufStrings, fn('strings.quote', 1, (text) => quote(asString('strings.quote', text)))],
};
