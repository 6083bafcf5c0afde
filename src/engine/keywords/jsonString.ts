import type { AnySchemaObject, KeywordDefinition, SchemaObjCxt, ValidateFunction } from 'ajv';

/**
 * `jsonString: SCHEMA`: the string is a JSON document (an IAM policy from `jsonencode`, ECS container
 * definitions) and the parsed value satisfies SCHEMA. A string that is not JSON never matches, so
 * `not: { jsonString: ... }` lets it pass.
 */
export const jsonStringKeyword: KeywordDefinition = {
  keyword: 'jsonString',
  type: 'string',
  schemaType: ['object', 'boolean'],
  compile(schema: AnySchemaObject | boolean, _parent: AnySchemaObject, it: SchemaObjCxt) {
    const validate: ValidateFunction = it.self.compile(schema);
    // Policies evaluate the same document many times per run (one per policy); parse it once.
    let lastText: string | undefined;
    let lastValue: unknown;
    let lastOk = false;
    return (data: string) => {
      if (data !== lastText) {
        lastText = data;
        try {
          lastValue = JSON.parse(data);
          lastOk = true;
        } catch {
          lastOk = false;
        }
      }
      return lastOk && validate(lastValue);
    };
  },
  errors: false,
};
