/**
 * `hasTag: { NAME: VALUE | [VALUE...] }`: the object (a resource's tags or labels) holds at least one
 * of the named tags with one of its accepted values; `'*'` accepts any value. Names and values are
 * compared exactly, as AWS, Azure and GCP compare them.
 */
export type HasTagSchema = Record<string, string | string[]>;

export const hasTagMetaSchema = {
  type: 'object',
  minProperties: 1,
  additionalProperties: {
    anyOf: [{ type: 'string' }, { type: 'array', items: { type: 'string' }, minItems: 1 }],
  },
};

/** The predicate for one `hasTag` value. */
export function hasTagPredicate(schema: HasTagSchema): (data: unknown) => boolean {
  const wanted = Object.entries(schema).map(([name, values]) => {
    const list = Array.isArray(values) ? values : [values];
    return { name, any: list.includes('*'), values: new Set(list) };
  });
  return (data) => {
    if (data === null || typeof data !== 'object' || Array.isArray(data)) return false;
    const tags = data as Record<string, unknown>;
    return wanted.some(({ name, any, values }) => {
      const value = tags[name];
      return typeof value === 'string' && (any || values.has(value));
    });
  };
}
