/**
 * The JSON Schema of a policy file. `policies/policy.schema.json` is generated from this object
 * (`npm run schemas`) so editors can complete policy files; a test keeps the two equal.
 */
import { equivalentSchemes } from '../model/policy.js';

const stringList = { type: 'array', items: { type: 'string', minLength: 1 } } as const;
const jsonSchema = { type: ['object', 'boolean'] } as const;
/** A Terraform attribute, dotted through nested blocks, or a list of them (any one refers). */
const referenceAttribute = {
  anyOf: [
    { type: 'string', minLength: 1 },
    { type: 'array', minItems: 1, items: { type: 'string', minLength: 1 } },
  ],
} as const;
const paramRef = {
  type: 'object',
  required: ['$param'],
  properties: { $param: { type: 'string' } },
  additionalProperties: false,
} as const;
const sourceName = { enum: ['kubernetes', 'terraform', 'image'] } as const;
const schemeName = { enum: [...equivalentSchemes] } as const;
const minorVersion = { type: 'string', pattern: '^v1\\.(0|[1-9][0-9]{0,3})$' } as const;

export const policySchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'https://parapet.dev/schemas/policy.schema.json',
  title: 'parapet policy',
  type: 'object',
  required: ['id', 'title', 'severity', 'category', 'match', 'rule', 'message'],
  additionalProperties: false,
  properties: {
    $schema: { type: 'string' },
    id: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9.-]*[a-z0-9]$',
      maxLength: 100,
      description: 'Stable identifier: lowercase letters, digits, dots and dashes.',
    },
    title: { type: 'string', minLength: 1, maxLength: 200 },
    description: { type: 'string' },
    severity: { enum: ['critical', 'high', 'medium', 'low', 'info'] },
    category: { type: 'string', minLength: 1, description: 'security, cost, reliability, best-practice ...' },
    tags: stringList,
    match: {
      type: 'object',
      additionalProperties: false,
      properties: {
        source: { anyOf: [sourceName, { type: 'array', items: sourceName, minItems: 1 }] },
        kinds: stringList,
        excludeKinds: stringList,
        namespaces: stringList,
        excludeNamespaces: stringList,
        labels: { type: 'object', additionalProperties: { type: 'string' } },
        actions: {
          type: 'array',
          items: { enum: ['create', 'update', 'delete', 'replace', 'read', 'no-op', 'forget'] },
        },
      },
    },
    rule: {
      type: 'object',
      minProperties: 1,
      maxProperties: 1,
      description: 'Exactly one rule: schema, relation, aggregate, check or rego.',
      properties: {
        schema: {
          type: 'object',
          required: ['assert'],
          additionalProperties: false,
          properties: {
            target: { enum: ['body', 'podSpec', 'containers', 'resource'] },
            assert: jsonSchema,
            when: jsonSchema,
            path: {
              type: 'string',
              description: 'JSON pointer (relative to the target) to report instead of the error path.',
            },
          },
        },
        relation: {
          type: 'object',
          required: ['related', 'join', 'expect'],
          additionalProperties: false,
          properties: {
            related: {
              type: 'object',
              required: ['kinds'],
              additionalProperties: false,
              properties: { source: sourceName, kinds: stringList, assert: jsonSchema },
            },
            join: {
              type: 'array',
              minItems: 1,
              items: {
                type: 'object',
                minProperties: 1,
                maxProperties: 1,
                additionalProperties: false,
                properties: {
                  sameNamespace: { const: true },
                  selects: {
                    type: 'object',
                    required: ['selector'],
                    additionalProperties: false,
                    properties: { selector: { type: 'string' } },
                  },
                  references: {
                    type: 'object',
                    required: ['attribute'],
                    additionalProperties: false,
                    properties: { attribute: referenceAttribute },
                  },
                  referencedBy: {
                    type: 'object',
                    required: ['attribute'],
                    additionalProperties: false,
                    properties: { attribute: referenceAttribute },
                  },
                  equal: {
                    type: 'object',
                    required: ['self', 'related'],
                    additionalProperties: false,
                    properties: { self: { type: 'string' }, related: { type: 'string' } },
                  },
                },
              },
            },
            expect: { enum: ['present', 'absent'] },
            unless: jsonSchema,
            path: { type: 'string' },
          },
        },
        aggregate: {
          type: 'object',
          additionalProperties: false,
          anyOf: [{ required: ['max'] }, { required: ['min'] }],
          properties: {
            where: jsonSchema,
            sum: { type: 'string' },
            groupBy: { enum: ['all', 'file', 'namespace'] },
            max: { anyOf: [{ type: 'number' }, paramRef] },
            min: { anyOf: [{ type: 'number' }, paramRef] },
          },
        },
        check: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string' },
            with: { type: 'object' },
            target: {
              enum: ['body', 'podSpec'],
              description: "What the policy's fix pointers are relative to (default body).",
            },
          },
        },
        rego: {
          type: 'object',
          required: ['module', 'entrypoint'],
          additionalProperties: false,
          properties: {
            module: { type: 'string' },
            entrypoint: { type: 'string' },
            data: { type: 'string' },
          },
        },
      },
      additionalProperties: false,
    },
    message: { type: 'string', minLength: 1 },
    remediation: { type: 'string' },
    references: stringList,
    equivalents: {
      type: 'object',
      description:
        "The same check in peers' catalogues and benchmarks: scheme -> ids. Selectable as --select SCHEME:ID.",
      propertyNames: schemeName,
      additionalProperties: { ...stringList, minItems: 1 },
    },
    differences: {
      type: 'array',
      description: "Fixtures on which a peer's verdict deliberately differs, with the reason.",
      items: {
        type: 'object',
        required: ['tool', 'file', 'reason'],
        additionalProperties: false,
        properties: {
          tool: schemeName,
          file: { type: 'string', minLength: 1 },
          reason: { type: 'string', minLength: 1 },
        },
      },
    },
    parameters: {
      type: 'object',
      additionalProperties: { type: 'object', properties: { description: { type: 'string' } } },
    },
    overrides: { ...stringList, description: 'Ids of policies this one replaces when both are selected.' },
    versioned: {
      type: 'object',
      required: ['by'],
      additionalProperties: false,
      description:
        'The policy follows a versioned standard: it exists from `since`, and its parameter defaults change with the version the run picks.',
      properties: {
        by: {
          enum: ['pss'],
          description:
            'The version setting: `pss` is `--pss-version` / `pss.version` (Pod Security Admission).',
        },
        since: { ...minorVersion, description: 'First version (v1.N) in which the policy applies.' },
        parameters: {
          type: 'object',
          description:
            "Parameter defaults from a version (v1.N) on: the newest entry not newer than the run's version applies, over the declared defaults; configured parameters still win.",
          propertyNames: minorVersion,
          additionalProperties: { type: 'object' },
        },
      },
    },
    defaultMode: { enum: ['enforce', 'warn', 'audit'] },
    optional: {
      type: 'boolean',
      description:
        'Off unless enabled (--enable, policies.enable) or selected (--select, policies.select) by id, tag or equivalent.',
    },
    requiresParameters: {
      ...stringList,
      description:
        'Parameters the configuration must set (parameters.<policy id>.<name>) before the policy runs; until then it is inactive, with a notice.',
    },
    fix: {
      type: 'array',
      items: {
        type: 'object',
        required: ['op', 'path'],
        properties: {
          op: { enum: ['add', 'remove', 'replace', 'copy', 'move', 'test'] },
          path: { type: 'string' },
          from: { type: 'string' },
          value: true,
        },
      },
    },
    tests: {
      type: 'object',
      additionalProperties: false,
      properties: {
        fail: { $ref: '#/$defs/testCases' },
        pass: { $ref: '#/$defs/testCases' },
        unknown: { $ref: '#/$defs/testCases' },
      },
    },
  },
  $defs: {
    testCases: {
      type: 'array',
      items: {
        anyOf: [
          { type: 'string' },
          {
            type: 'object',
            required: ['file'],
            additionalProperties: false,
            properties: {
              file: { type: 'string' },
              count: { type: 'integer', minimum: 0 },
              paths: stringList,
              params: { type: 'object' },
              pssVersion: {
                ...minorVersion,
                description: 'PSS version (v1.N) a versioned policy runs at for this case.',
              },
            },
          },
        ],
      },
    },
  },
} as const;
