/** An inclusive port range; `all` for protocol-wide rules. */
interface Range {
  from: number;
  to: number;
}

/**
 * Reads the port notations clouds use: `22`, `"22"`, `"1000-2000"`, `"*"` (every port) — or an
 * array of them (GCP firewall `ports`, Azure `destination_port_ranges`).
 */
export function parsePortRanges(value: unknown): Range[] | undefined {
  if (Array.isArray(value)) {
    const ranges: Range[] = [];
    for (const item of value) {
      const parsed = parsePortRanges(item);
      if (!parsed) return undefined;
      ranges.push(...parsed);
    }
    return ranges;
  }
  if (typeof value === 'number' && Number.isInteger(value)) return [{ from: value, to: value }];
  if (typeof value !== 'string') return undefined;
  const text = value.trim();
  if (text === '*' || text.toLowerCase() === 'any') return [{ from: 0, to: 65535 }];
  const match = /^(\d{1,5})(?:\s*-\s*(\d{1,5}))?$/.exec(text);
  if (!match) return undefined;
  const from = Number(match[1]);
  return [{ from, to: match[2] === undefined ? from : Number(match[2]) }];
}

export interface PortRangeSchema {
  /** For objects: the properties holding the first and last port (`from_port`/`to_port`). */
  from?: string;
  to?: string;
  /** The range includes at least one of these ports. */
  includesAny?: number[];
  /** The range spans every port (0 or 1 through 65535); AWS writes 0-0 with protocol -1. */
  all?: boolean;
}

/**
 * `portRange: { includesAny: [22, 3389] }` or `portRange: { all: true }` over a port notation (`22`,
 * `"1000-2000"`, `"*"`, arrays of them), or over an object when `from`/`to` name its port
 * properties (`{ from: from_port, to: to_port }`). Values that are not ports never match.
 */
export function portRangePredicate(schema: PortRangeSchema): (data: unknown) => boolean {
  const wanted = schema.includesAny ?? [];
  return (data: unknown) => {
    let ranges: Range[] | undefined;
    if (schema.from !== undefined && schema.to !== undefined) {
      if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
      const record = data as Record<string, unknown>;
      const from = parsePortRanges(record[schema.from]);
      const to = parsePortRanges(record[schema.to]);
      if (!from?.[0] || !to?.[0]) return false;
      ranges = [{ from: from[0].from, to: to[0].to }];
    } else {
      ranges = parsePortRanges(data);
    }
    if (!ranges || ranges.length === 0) return false;
    if (schema.all === true && !ranges.some((range) => range.from <= 1 && range.to >= 65535)) return false;
    if (
      wanted.length &&
      !ranges.some((range) => wanted.some((port) => range.from <= port && port <= range.to))
    ) {
      return false;
    }
    return true;
  };
}

export const portRangeMetaSchema = {
  type: 'object',
  properties: {
    from: { type: 'string' },
    to: { type: 'string' },
    includesAny: { type: 'array', items: { type: 'integer' } },
    all: { type: 'boolean' },
  },
  additionalProperties: false,
};
