/**
 * The JSON Schema of `parapet.yaml`. `policies/config.schema.json` is generated from this object so
 * editors can complete configuration files (`# yaml-language-server: $schema=...`); a test keeps the
 * two equal. Every key is documented in the README's configuration reference.
 */
import { domainSections } from './sections.js';

const severity = { enum: ['critical', 'high', 'medium', 'low', 'info'] } as const;
const mode = { enum: ['enforce', 'warn', 'audit'] } as const;
const globList = {
  type: 'array',
  items: { type: 'string', minLength: 1 },
} as const;
const policyGlobMap = (value: object, description: string) => ({
  type: 'object',
  description,
  propertyNames: { minLength: 1 },
  additionalProperties: value,
});

const waiver = {
  type: 'object',
  required: ['policy', 'resource', 'reason', 'owner', 'expires'],
  additionalProperties: false,
  properties: {
    policy: { type: 'string', minLength: 1, description: 'Policy id or glob over policy ids.' },
    resource: {
      type: 'string',
      minLength: 1,
      description: 'Glob over resource ids (`Deployment/prod/web`, `module.db.aws_db_instance.main`).',
    },
    file: { type: 'string', minLength: 1, description: 'Optional glob over the input file path.' },
    reason: { type: 'string', minLength: 1, description: 'Why the risk is accepted.' },
    owner: { type: 'string', minLength: 1, description: 'Who owns the accepted risk (team or person).' },
    expires: {
      type: 'string',
      format: 'date',
      description: 'Last day (YYYY-MM-DD, inclusive) on which the waiver applies.',
    },
    ticket: { type: 'string', minLength: 1, description: 'Tracking ticket or URL.' },
  },
} as const;

const approval = {
  type: 'object',
  required: ['policy', 'resource', 'by'],
  additionalProperties: false,
  properties: {
    policy: { type: 'string', minLength: 1 },
    resource: { type: 'string', minLength: 1 },
    by: { type: 'string', minLength: 1, description: 'Who approved it (person, team or ticket).' },
  },
} as const;

/** Builds the schema; domain sections registered in `sections.ts` add their own keys. */
function buildConfigSchema() {
  const domainProperties = Object.fromEntries(
    domainSections.map((section) => [section.key, { description: section.description, ...section.schema }]),
  );
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://parapet.dev/schemas/config.schema.json',
    title: 'parapet configuration (parapet.yaml)',
    type: 'object',
    additionalProperties: false,
    properties: {
      $schema: { type: 'string' },
      version: { const: 1, description: 'Configuration format version. Only 1 exists.' },
      policies: {
        type: 'object',
        additionalProperties: false,
        description: 'Which policies run.',
        properties: {
          paths: {
            ...globList,
            description: 'Extra policy files or directories, relative to the configuration file.',
          },
          builtin: { type: 'boolean', description: 'Load the built-in policy library (default true).' },
          select: { ...globList, description: 'Globs over policy ids, or `tag:NAME`. Empty: every policy.' },
          skip: { ...globList, description: 'Globs over policy ids, or `tag:NAME`, that never run.' },
          enable: {
            ...globList,
            description:
              'Globs over policy ids, or `tag:NAME`: optional policies to run beside the default library.',
          },
        },
      },
      severity: policyGlobMap(severity, 'Severity overrides: policy id glob -> severity. Later entries win.'),
      modes: policyGlobMap(mode, 'Modes: policy id glob -> enforce | warn | audit. Later entries win.'),
      parameters: policyGlobMap(
        { type: 'object' },
        'Parameters per policy id, merged over the defaults the policy declares.',
      ),
      exclude: {
        type: 'object',
        additionalProperties: false,
        description: 'Resources that are never evaluated.',
        properties: {
          namespaces: { ...globList, description: 'Globs over Kubernetes namespaces.' },
          files: { ...globList, description: 'Globs over input file paths as given on the command line.' },
          resources: { ...globList, description: 'Globs over resource ids.' },
        },
      },
      unknown: {
        enum: ['fail', 'warn', 'pass'],
        description: 'How findings whose verdict depends on values unknown until apply count. Default warn.',
      },
      failOn: {
        ...severity,
        description: 'Only failing findings at or above this severity gate. Default info.',
      },
      waivers: {
        type: 'array',
        items: waiver,
        description: 'Owned, justified, dated acceptances of a risk.',
      },
      approvals: { type: 'array', items: approval, description: 'Explicit approvals (like --approve).' },
      annotationWaivers: {
        type: 'boolean',
        description:
          'Honour `parapet.dev/waive: "<policy>: <reason>"` annotations on Kubernetes objects. Default false.',
      },
      ...domainProperties,
    },
  } as const;
}

export const configSchema = buildConfigSchema();
