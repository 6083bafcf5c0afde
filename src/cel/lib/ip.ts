/**
 * Kubernetes' IP and CIDR libraries (1.30+): `ip`, `isIP`, `ip.isCanonical`, `family`,
 * `isUnspecified`, `isLoopback`, `isLinkLocalMulticast`, `isLinkLocalUnicast`, `isGlobalUnicast`,
 * `cidr`, `isCIDR`, `containsIP`, `containsCIDR`, `ip()`, `prefixLength`, `masked`, `string`.
 * Parsing is Go's netip as the API server restricts it: no zones, no IPv4-mapped IPv6 addresses,
 * no leading zeros in IPv4.
 */
import { CelScalar, celFunc, objectType } from '@bufbuild/cel';
import { OpaqueValue, opaqueDesc } from '../values.js';
import { asString, fn, noOverload, typedMethod, type CelLibrary } from './define.js';

const IP_TYPE = 'net.IP';
const CIDR_TYPE = 'net.CIDR';
const IP_DESC = opaqueDesc(IP_TYPE);
const CIDR_DESC = opaqueDesc(CIDR_TYPE);
const ipMethod = typedMethod(IP_TYPE);
const cidrMethod = typedMethod(CIDR_TYPE);

/** An address: 4 or 16 bytes as one BigInt. */
class IpValue extends OpaqueValue {
  readonly desc = IP_DESC;
  constructor(
    readonly family: 4 | 6,
    readonly bits: bigint,
  ) {
    super();
  }
  get width(): number {
    return this.family === 4 ? 32 : 128;
  }
  equals(other: OpaqueValue): boolean {
    return other instanceof IpValue && other.family === this.family && other.bits === this.bits;
  }
  override toString(): string {
    return formatIp(this.family, this.bits);
  }
}

class CidrValue extends OpaqueValue {
  readonly desc = CIDR_DESC;
  constructor(
    readonly ip: IpValue,
    readonly prefix: number,
  ) {
    super();
  }
  get network(): bigint {
    const width = this.ip.width;
    const mask = this.prefix === 0 ? 0n : ((1n << BigInt(this.prefix)) - 1n) << BigInt(width - this.prefix);
    return this.ip.bits & mask;
  }
  contains(ip: IpValue): boolean {
    if (ip.family !== this.ip.family) return false;
    const shift = BigInt(this.ip.width - this.prefix);
    return ip.bits >> shift === this.ip.bits >> shift;
  }
  equals(other: OpaqueValue): boolean {
    return other instanceof CidrValue && other.ip.equals(this.ip) && other.prefix === this.prefix;
  }
  override toString(): string {
    return `${this.ip.toString()}/${this.prefix}`;
  }
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let bits = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(part) || Number(part) > 255) return undefined;
    bits = (bits << 8n) | BigInt(part);
  }
  return bits;
}

function parseIpv6(text: string): bigint | undefined {
  if (text.includes('%')) return undefined;
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const groups = (part: string): bigint[] | undefined => {
    if (part === '') return [];
    const out: bigint[] = [];
    const pieces = part.split(':');
    for (let i = 0; i < pieces.length; i += 1) {
      const piece = pieces[i]!;
      if (i === pieces.length - 1 && piece.includes('.')) {
        const v4 = parseIpv4(piece);
        if (v4 === undefined) return undefined;
        out.push(v4 >> 16n, v4 & 0xffffn);
      } else {
        if (!/^[0-9A-Fa-f]{1,4}$/.test(piece)) return undefined;
        out.push(BigInt(`0x${piece}`));
      }
    }
    return out;
  };
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  if (!head || !tail) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let bits = 0n;
  for (const group of [...head, ...Array<bigint>(halves.length === 2 ? missing : 0).fill(0n), ...tail])
    bits = (bits << 16n) | group;
  return bits;
}

function formatIp(family: 4 | 6, bits: bigint): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((shift) => String((bits >> shift) & 0xffn)).join('.');
  const groups = Array.from({ length: 8 }, (_, i) => Number((bits >> BigInt(112 - 16 * i)) & 0xffffn));
  let bestStart = -1;
  let bestLength = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i += 1;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j += 1;
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i;
      bestLength = j - i;
    }
    i = j;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart === -1) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

function parseIp(text: string): IpValue {
  if (text.includes('%')) throw new Error(`IP address with zone value is not allowed: ${text}`);
  const v4 = text.includes(':') ? undefined : parseIpv4(text);
  if (v4 !== undefined) return new IpValue(4, v4);
  const v6 = text.includes(':') ? parseIpv6(text) : undefined;
  if (v6 === undefined)
    throw new Error(
      `IP Address "${text}" parse error during conversion from string: ParseAddr("${text}"): unable to parse IP`,
    );
  if (v6 >> 32n === 0xffffn) throw new Error(`IPv4-mapped IPv6 address "${text}" is not allowed`);
  return new IpValue(6, v6);
}

function parseCidr(text: string): CidrValue {
  const slash = text.indexOf('/');
  if (slash === -1)
    throw new Error(
      `network address parse error during conversion from string: netip.ParsePrefix("${text}"): no '/'`,
    );
  const ip = parseIp(text.slice(0, slash));
  const length = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]*)$/.test(length) || Number(length) > ip.width)
    throw new Error(
      `network address parse error during conversion from string: netip.ParsePrefix("${text}"): bad bits after slash: "${length}"`,
    );
  return new CidrValue(ip, Number(length));
}

function asIp(name: string, value: unknown): IpValue {
  if (value instanceof IpValue) return value;
  if (typeof value === 'string') return parseIp(value);
  throw noOverload(name, value as never);
}

function asCidr(name: string, value: unknown): CidrValue {
  if (value instanceof CidrValue) return value;
  if (typeof value === 'string') return parseCidr(value);
  throw noOverload(name, value as never);
}

function succeeds(parse: () => unknown): boolean {
  try {
    parse();
    return true;
  } catch {
    return false;
  }
}

function self(name: string, value: unknown): IpValue {
  if (!(value instanceof IpValue)) throw noOverload(name, value as never);
  return value;
}

function selfCidr(name: string, value: unknown): CidrValue {
  if (!(value instanceof CidrValue)) throw noOverload(name, value as never);
  return value;
}

function inRange(ip: IpValue, family: 4 | 6, cidr: string): boolean {
  return ip.family === family && parseCidr(cidr).contains(ip);
}

export const ipLibrary: CelLibrary = {
  name: 'ip',
  funcs: [
    fn('ip', 1, (text) => parseIp(asString('ip', text))),
    fn('isIP', 1, (text) => succeeds(() => parseIp(asString('isIP', text)))),
    fn('ip.isCanonical', 1, (text) => {
      const raw = asString('ip.isCanonical', text);
      return parseIp(raw).toString() === raw;
    }),
    ipMethod('family', 0, (value) => BigInt(self('family', value).family)),
    ipMethod('isUnspecified', 0, (value) => self('isUnspecified', value).bits === 0n),
    ipMethod('isLoopback', 0, (value) => {
      const ip = self('isLoopback', value);
      return ip.family === 4 ? ip.bits >> 24n === 127n : ip.bits === 1n;
    }),
    ipMethod('isLinkLocalMulticast', 0, (value) => {
      const ip = self('isLinkLocalMulticast', value);
      return inRange(ip, 4, '224.0.0.0/24') || inRange(ip, 6, 'ff02::/16');
    }),
    ipMethod('isLinkLocalUnicast', 0, (value) => {
      const ip = self('isLinkLocalUnicast', value);
      return inRange(ip, 4, '169.254.0.0/16') || inRange(ip, 6, 'fe80::/10');
    }),
    ipMethod('isGlobalUnicast', 0, (value) => {
      const ip = self('isGlobalUnicast', value);
      if (ip.family === 4 && ip.bits === 0xffffffffn) return false;
      if (ip.bits === 0n) return false;
      if (ip.family === 4)
        return (
          !inRange(ip, 4, '127.0.0.0/8') &&
          !inRange(ip, 4, '224.0.0.0/4') &&
          !inRange(ip, 4, '169.254.0.0/16')
        );
      return ip.bits !== 1n && !inRange(ip, 6, 'ff00::/8') && !inRange(ip, 6, 'fe80::/10');
    }),
    celFunc('string', [objectType(IP_TYPE)], CelScalar.STRING, (value) =>
      (value as unknown as IpValue).toString(),
    ),
    fn('cidr', 1, (text) => parseCidr(asString('cidr', text))),
    fn('isCIDR', 1, (text) => succeeds(() => parseCidr(asString('isCIDR', text)))),
    cidrMethod('containsIP', 1, (value, ip) =>
      selfCidr('containsIP', value).contains(asIp('containsIP', ip)),
    ),
    cidrMethod('containsCIDR', 1, (value, other) => {
      const outer = selfCidr('containsCIDR', value);
      const inner = asCidr('containsCIDR', other);
      return inner.ip.family === outer.ip.family && inner.prefix >= outer.prefix && outer.contains(inner.ip);
    }),
    cidrMethod('ip', 0, (value) => selfCidr('ip', value).ip),
    cidrMethod('prefixLength', 0, (value) => BigInt(selfCidr('prefixLength', value).prefix)),
    cidrMethod('masked', 0, (value) => {
      const cidr = selfCidr('masked', value);
      return new CidrValue(new IpValue(cidr.ip.family, cidr.network), cidr.prefix);
    }),
    celFunc('string', [objectType(CIDR_TYPE)], CelScalar.STRING, (value) =>
      (value as unknown as CidrValue).toString(),
    ),
  ],
};
