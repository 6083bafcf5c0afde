/** An IPv4 or IPv6 network as a 128-bit range (IPv4 is mapped into ::ffff:0:0/96). */
interface Network {
  v6: boolean;
  /** A word for "anywhere": every address of both families. */
  any?: boolean;
  first: bigint;
  last: bigint;
}

/** Spellings of "anywhere" that clouds accept in place of a CIDR (Azure NSGs: `*`, `Internet`, `Any`). */
const worldWords = new Set(['*', 'any', 'internet', '0/0']);

function parseIPv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(part);
  }
  return value;
}

function parseIPv6(text: string): bigint | undefined {
  let address = text;
  // An embedded IPv4 tail (::ffff:10.0.0.1) stands for the last two groups.
  const lastColon = address.lastIndexOf(':');
  if (address.indexOf('.', lastColon) >= 0) {
    const v4 = parseIPv4(address.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    address = `${address.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = address.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  const fill = 8 - head.length - rest.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 2 ? fill : 0).fill('0'), ...rest];
  let value = 0n;
  for (const group of groups) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  return value;
}

/** Parses `10.0.0.0/8`, `2001:db8::/32`, a bare address (a /32 or /128), or a word for "anywhere". */
export function parseNetwork(text: string): Network | undefined {
  const trimmed = text.trim();
  if (worldWords.has(trimmed.toLowerCase()))
    return { v6: false, any: true, first: 0n, last: (1n << 32n) - 1n };
  const slash = trimmed.indexOf('/');
  const address = slash < 0 ? trimmed : trimmed.slice(0, slash);
  const v6 = address.includes(':');
  const bits = v6 ? 128 : 32;
  const prefixText = slash < 0 ? String(bits) : trimmed.slice(slash + 1);
  if (!/^\d{1,3}$/.test(prefixText) || Number(prefixText) > bits) return undefined;
  const value = v6 ? parseIPv6(address) : parseIPv4(address);
  if (value === undefined) return undefined;
  const hostBits = BigInt(bits - Number(prefixText));
  const mask = (1n << hostBits) - 1n;
  return { v6, first: value & ~mask, last: (value & ~mask) | mask };
}

function spansFamily(network: Network): boolean {
  return (
    network.any === true ||
    (network.first === 0n && network.last === (network.v6 ? (1n << 128n) - 1n : (1n << 32n) - 1n))
  );
}

function covers(outer: Network, inner: Network): boolean {
  if (outer.any) return true;
  if (inner.any) return false;
  return outer.v6 === inner.v6 && outer.first <= inner.first && inner.last <= outer.last;
}

/** True when the network spans a whole address family: 0.0.0.0/0, ::/0 or an "anywhere" word. */
export function isWorld(text: string): boolean {
  const network = parseNetwork(text);
  return network !== undefined && spansFamily(network);
}

export interface CidrSchema {
  /** The value is the whole IPv4 or IPv6 internet (or a word for it). */
  world?: boolean;
  /** The value's network contains one of these addresses or networks. */
  contains?: string[];
  /** The value's network lies inside one of these networks. */
  within?: string[];
}

/**
 * `cidr: { world: true }`, `cidr: { contains: [...] }`, `cidr: { within: [...] }`: the string is a
 * CIDR (or address) with that property; every given condition must hold. A string that is not a
 * CIDR never matches.
 */
export function cidrPredicate(schema: CidrSchema): (data: string) => boolean {
  const contains = (schema.contains ?? []).map((text) => {
    const network = parseNetwork(text);
    if (!network) throw new Error(`cidr.contains: "${text}" is not a CIDR`);
    return network;
  });
  const within = (schema.within ?? []).map((text) => {
    const network = parseNetwork(text);
    if (!network) throw new Error(`cidr.within: "${text}" is not a CIDR`);
    return network;
  });
  return (data: string) => {
    const network = parseNetwork(data);
    if (!network) return false;
    if (schema.world !== undefined && spansFamily(network) !== schema.world) return false;
    if (contains.length && !contains.some((inner) => covers(network, inner))) return false;
    if (within.length && !within.some((outer) => covers(outer, network))) return false;
    return true;
  };
}

export const cidrMetaSchema = {
  type: 'object',
  properties: {
    world: { type: 'boolean' },
    contains: { type: 'array', items: { type: 'string' } },
    within: { type: 'array', items: { type: 'string' } },
  },
  additionalProperties: false,
};
