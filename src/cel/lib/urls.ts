/**
 * Kubernetes' URL library (`url`, `isURL`, `getScheme`, `getHost`, `getHostname`, `getPort`,
 * `getEscapedPath`, `getQuery`). Parsing follows Go's `url.ParseRequestURI`, which the API server
 * uses: an absolute URI or an absolute path, no fragment.
 */
import { celList, celMap } from '@bufbuild/cel';
import { OpaqueValue, opaqueDesc } from '../values.js';
import { asString, fn, noOverload, typedMethod, type CelLibrary } from './define.js';

const URL_DESC = opaqueDesc('kubernetes.URL');
const method = typedMethod('kubernetes.URL');

interface ParsedUrl {
  scheme: string;
  opaque: string;
  host: string;
  path: string;
  rawQuery: string;
}

class UrlValue extends OpaqueValue {
  readonly desc = URL_DESC;
  constructor(
    readonly text: string,
    readonly url: ParsedUrl,
  ) {
    super();
  }
  equals(other: OpaqueValue): boolean {
    return other instanceof UrlValue && other.text === this.text;
  }
  override toString(): string {
    return this.text;
  }
}

function unescape(text: string, what: string): string {
  if (/%(?![0-9A-Fa-f]{2})/.test(text)) {
    const bad = /%.{0,2}/.exec(text.slice(text.search(/%(?![0-9A-Fa-f]{2})/)))![0];
    throw new Error(`invalid URL escape "${bad}"`);
  }
  try {
    return decodeURIComponent(text);
  } catch {
    throw new Error(`invalid ${what}`);
  }
}

/** Go's url.ParseRequestURI, to the extent the library's functions expose it. */
export function parseRequestUri(raw: string): ParsedUrl {
  const fail = (reason: string): never => {
    throw new Error(`parse "${raw}": ${reason}`);
  };
  // eslint-disable-next-line no-control-regex -- Go rejects control characters in URLs
  if (/[\x00-\x1f\x7f]/.test(raw)) fail('net/url: invalid control character in URL');
  let rest = raw;
  let scheme = '';
  const schemeMatch = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(rest);
  if (schemeMatch) {
    scheme = schemeMatch[1]!.toLowerCase();
    rest = rest.slice(schemeMatch[0].length);
  } else if (/^[0-9+.-]/.test(rest) && rest.includes(':') && !rest.startsWith('/')) {
    fail('first path segment in URL cannot contain colon');
  } else if (rest.startsWith(':')) {
    fail('missing protocol scheme');
  }
  let rawQuery = '';
  const q = rest.indexOf('?');
  if (q !== -1) {
    rawQuery = rest.slice(q + 1);
    rest = rest.slice(0, q);
  }
  if (!rest.startsWith('/')) {
    if (scheme !== '') return { scheme, opaque: rest, host: '', path: '', rawQuery };
    fail('invalid URI for request');
  }
  let host = '';
  if (rest.startsWith('//') && (scheme !== '' || !rest.startsWith('///'))) {
    const authorityEnd = rest.indexOf('/', 2);
    const authority = authorityEnd === -1 ? rest.slice(2) : rest.slice(2, authorityEnd);
    rest = authorityEnd === -1 ? '' : rest.slice(authorityEnd);
    const at = authority.lastIndexOf('@');
    host = at === -1 ? authority : authority.slice(at + 1);
    if (/[^A-Za-z0-9\-._~!$&'()*+,;=:[\]%]/.test(host))
      fail(`invalid character "${/[^A-Za-z0-9\-._~!$&'()*+,;=:[\]%]/.exec(host)![0]}" in host name`);
    const port = host.startsWith('[')
      ? host.slice(host.indexOf(']') + 1)
      : host.slice(host.lastIndexOf(':') === -1 ? host.length : host.lastIndexOf(':'));
    if (port !== '' && !/^:[0-9]*$/.test(port)) fail(`invalid port "${port}" after host`);
    host = unescape(host, 'host');
  }
  return { scheme, opaque: '', host, path: unescape(rest, 'path'), rawQuery };
}

function hostname(host: string): string {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    return end === -1 ? host.slice(1) : host.slice(1, end);
  }
  const colon = host.lastIndexOf(':');
  return colon === -1 ? host : host.slice(0, colon);
}

function port(host: string): string {
  const start = host.startsWith('[') ? host.indexOf(']') + 1 : 0;
  const colon = host.indexOf(':', start);
  if (colon === -1 || (host.startsWith('[') && colon !== start)) return '';
  return host.slice(colon + 1);
}

function asUrl(name: string, value: unknown): UrlValue {
  if (!(value instanceof UrlValue)) throw noOverload(name, value as never);
  return value;
}

function escapedPath(path: string): string {
  return path
    .split('/')
    .map((segment) =>
      encodeURIComponent(segment)
        .replace(/%40/g, '@')
        .replace(/%3A/g, ':')
        .replace(/%2B/g, '+')
        .replace(/%24/g, '$')
        .replace(/%26/g, '&')
        .replace(/%3D/g, '=')
        .replace(/%2C/g, ',')
        .replace(/%3B/g, ';'),
    )
    .join('/');
}

function query(raw: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const part of raw.split(/[&]/)) {
    if (part === '' || part.includes(';')) continue;
    const eq = part.indexOf('=');
    const decode = (text: string) => {
      try {
        return decodeURIComponent(text.replace(/\+/g, ' '));
      } catch {
        return undefined;
      }
    };
    const key = decode(eq === -1 ? part : part.slice(0, eq));
    const value = decode(eq === -1 ? '' : part.slice(eq + 1));
    if (key === undefined || value === undefined) continue;
    out.set(key, [...(out.get(key) ?? []), value]);
  }
  return out;
}

export const urlsLibrary: CelLibrary = {
  name: 'urls',
  funcs: [
    fn('url', 1, (text) => {
      const raw = asString('url', text);
      return new UrlValue(raw, parseRequestUri(raw));
    }),
    fn('isURL', 1, (text) => {
      try {
        parseRequestUri(asString('isURL', text));
        return true;
      } catch {
        return false;
      }
    }),
    method('getScheme', 0, (self) => asUrl('getScheme', self).url.scheme),
    method('getHost', 0, (self) => asUrl('getHost', self).url.host),
    method('getHostname', 0, (self) => hostname(asUrl('getHostname', self).url.host)),
    method('getPort', 0, (self) => port(asUrl('getPort', self).url.host)),
    method('getEscapedPath', 0, (self) => escapedPath(asUrl('getEscapedPath', self).url.path)),
    method('getQuery', 0, (self) => {
      const entries = query(asUrl('getQuery', self).url.rawQuery);
      return celMap(
        new Map([...entries].map(([key, values]) => [key, celList(values)])) as Map<string, never>,
      );
    }),
  ],
};
