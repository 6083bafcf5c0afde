import { _, Name, type AnySchemaObject, type CodeKeywordDefinition, type KeywordCxt } from 'ajv';

/** The root data every generated validator takes (ajv's own name for it). */
const rootData = new Name('rootData');

/**
 * `containerAnnotation: { prefix, value: SCHEMA }`, on a pod's annotations in the `containers`
 * target (`podMetadata.annotations`): the annotation named `prefix` + the name of the container
 * being judged (`container.seccomp.security.alpha.kubernetes.io/web`), when set, satisfies SCHEMA.
 * Kubernetes keys per-container settings this way, and a JSON Schema cannot build a property name
 * from a value. A failure points at the annotation.
 */
export const containerAnnotationKeyword: CodeKeywordDefinition = {
  keyword: 'containerAnnotation',
  type: 'object',
  schemaType: 'object',
  metaSchema: {
    type: 'object',
    required: ['prefix', 'value'],
    additionalProperties: false,
    properties: { prefix: { type: 'string', minLength: 1 }, value: { type: ['object', 'boolean'] } },
  },
  code(cxt: KeywordCxt) {
    const { gen, it, data } = cxt;
    const schema = cxt.schema as { prefix: string; value: AnySchemaObject | boolean };
    // A separate validator: standalone code writes out the functions a 'validate' value refers to.
    const validate = gen.scopeValue('validate', { ref: it.self.compile(schema.value as AnySchemaObject) });
    const container = gen.const(
      'container',
      _`${rootData} !== null && typeof ${rootData} === "object" ? ${rootData}.container : undefined`,
    );
    const name = gen.const(
      'name',
      _`${container} !== null && typeof ${container} === "object" ? ${container}.name : undefined`,
    );
    const key = gen.const('key', _`${schema.prefix} + ${name}`);
    cxt.pass(
      _`typeof ${name} !== "string" || !Object.prototype.hasOwnProperty.call(${data}, ${key}) || ${validate}(${data}[${key}])`,
      () => cxt.error(false, { annotation: key }, { instancePath: key }),
    );
  },
};
