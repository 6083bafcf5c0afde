import { escapePointerToken } from '../pointer.js';
import type { Resource } from '../../model/resource.js';
import type { CompiledRule, Violation } from '../rules/types.js';
import type { CheckDefinition } from './types.js';

/** Credentials recognisable by their shape alone, whatever they are called. */
const tokenPatterns: Array<{ name: string; pattern: RegExp }> = [
  { name: 'an AWS access key id', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/ },
  {
    name: 'an AWS secret access key',
    pattern: /aws_?secret_?access_?key\s*[=:]\s*["']?[A-Za-z0-9/+=]{40}\b/i,
  },
  {
    name: 'a private key',
    pattern: /-----BEGIN (?:RSA |EC |DSA |OPENSSH |PGP |ENCRYPTED )?PRIVATE KEY( BLOCK)?-----/,
  },
  { name: 'a GitHub token', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,}|github_pat_[A-Za-z0-9_]{60,})\b/ },
  { name: 'a Slack token', pattern: /\bxox[abprs]-[A-Za-z0-9-]{10,}\b/ },
  { name: 'a Stripe live secret key', pattern: /\b[rs]k_live_[0-9A-Za-z]{20,}\b/ },
  { name: 'a Google API key', pattern: /\bAIza[0-9A-Za-z_-]{35}\b/ },
];

/** Names that announce a secret, and suffixes that announce a pointer to one instead. */
const secretName =
  /(pass(word|wd|phrase)?|pwd|secret|token|api_?key|access_?key|private_?key|credential|auth)/i;
const pointerSuffix =
  /(_|-)?(file|path|arn|name|id|url|uri|ttl|seconds|length|len|version|ref|rotation|enabled|policy)$/i;

/** A value that reads like a literal credential rather than a reference, flag, number or path. */
function looksLikeSecretValue(value: string): boolean {
  const text = value.trim().replace(/^["']|["']$/g, '');
  if (text.length < 8 || /\s/.test(text)) return false;
  if (/^(\$|\{\{|arn:|\/|\.\/|~\/|https?:\/\/|s3:\/\/|ssm:|secretsmanager:|vault:)/i.test(text)) return false;
  if (/^[0-9.]+$/.test(text) || /^(true|false|null|none|changeme|placeholder|redacted)$/i.test(text))
    return false;
  const classes = [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((re) => re.test(text)).length;
  return classes >= 2;
}

/** The shortest text any token pattern can match (a Slack token): shorter values skip the scan. */
const MIN_TOKEN_LENGTH = 15;

function knownToken(text: string): string | undefined {
  if (text.length < MIN_TOKEN_LENGTH) return undefined;
  for (const { name, pattern } of tokenPatterns) if (pattern.test(text)) return name;
  return undefined;
}

/** `NAME=value` / `NAME: value` assignments in scripts (user data, cloud-init). */
const assignment = /([A-Za-z0-9_.-]+)\s*[=:]\s*(["']?)([^\s"'#;]+)\2/g;

function scanScript(text: string): string | undefined {
  const token = knownToken(text);
  if (token) return token;
  for (const match of text.matchAll(assignment)) {
    const name = match[1] ?? '';
    if (secretName.test(name) && !pointerSuffix.test(name) && looksLikeSecretValue(match[3] ?? '')) {
      return `a literal value for ${name}`;
    }
  }
  return undefined;
}

// Tags and variables repeat across a plan (environment=prod on thousands of resources): each
// distinct pair is judged once, by key then value (no key string built per pair). `null` records
// "nothing found".
const pairVerdicts = new Map<string, Map<string, string | null>>();
let pairCount = 0;

function scanPair(key: string, value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  let byValue = pairVerdicts.get(key);
  const known = byValue?.get(value);
  if (known !== undefined) return known ?? undefined;
  const verdict = judgePair(key, value);
  if (pairCount >= 20_000) {
    pairVerdicts.clear();
    pairCount = 0;
    byValue = undefined;
  }
  if (!byValue) pairVerdicts.set(key, (byValue = new Map()));
  byValue.set(value, verdict ?? null);
  pairCount += 1;
  return verdict;
}

function judgePair(key: string, value: string): string | undefined {
  const token = knownToken(value);
  if (token) return token;
  if (secretName.test(key) && !pointerSuffix.test(key) && looksLikeSecretValue(value))
    return 'a literal value';
  return undefined;
}

function decodeBase64(text: string): string | undefined {
  if (!/^[A-Za-z0-9+/=\s]+$/.test(text) || text.length < 16) return undefined;
  const decoded = Buffer.from(text, 'base64').toString('utf8');
  // Binary (gzip-compressed cloud-init) is not text we can read.
  for (let i = 0; i < decoded.length; i += 1) {
    const code = decoded.charCodeAt(i);
    if (code < 9 || (code > 13 && code < 32)) return undefined;
  }
  return decoded;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The constant a configuration expression holds, when the configuration wrote a literal. */
function constantOf(resource: Resource, attribute: string): unknown {
  const expressions = resource.facts.expressions;
  if (!isRecord(expressions)) return undefined;
  const expression = expressions[attribute];
  return isRecord(expression) ? expression.constant_value : undefined;
}

/** Attributes that hold a map of environment variables or settings. */
const variableMapAttributes = [
  'environment_variables',
  'app_settings',
  'env',
  // Glue job arguments (--db_password) and MWAA Airflow options (core.fernet_key).
  'default_arguments',
  'airflow_configuration_options',
];

/**
 * Variable maps nested in blocks, as block paths from the body: SageMaker model containers, App
 * Runner image and code configurations.
 */
const nestedVariableMaps: Array<{ blocks: string[]; map: string }> = [
  { blocks: ['primary_container'], map: 'environment' },
  { blocks: ['container'], map: 'environment' },
  {
    blocks: ['source_configuration', 'image_repository', 'image_configuration'],
    map: 'runtime_environment_variables',
  },
  {
    blocks: ['source_configuration', 'code_repository', 'code_configuration', 'code_configuration_values'],
    map: 'runtime_environment_variables',
  },
];

/** Every object reached through nested block lists, with its JSON pointer. */
function blocksAt(
  body: Record<string, unknown>,
  names: string[],
): Array<{ block: Record<string, unknown>; path: string }> {
  let level: Array<{ block: Record<string, unknown>; path: string }> = [{ block: body, path: '' }];
  for (const name of names) {
    const next: Array<{ block: Record<string, unknown>; path: string }> = [];
    for (const { block, path } of level) {
      const list = block[name];
      if (!Array.isArray(list)) continue;
      list.forEach((item, index) => {
        if (isRecord(item)) next.push({ block: item, path: `${path}/${name}/${index}` });
      });
    }
    if (!next.length) return next;
    level = next;
  }
  return level;
}

/** `{ name, value }` entries of a JSON document's `environment` (Batch container properties). */
function jsonEnvironment(text: string): Array<{ name: string; value: unknown }> {
  let document: unknown;
  try {
    document = JSON.parse(text);
  } catch {
    return [];
  }
  const environment = isRecord(document) ? document.environment : undefined;
  if (!Array.isArray(environment)) return [];
  return environment.filter(
    (entry): entry is { name: string; value: unknown } => isRecord(entry) && typeof entry.name === 'string',
  );
}

/** Adds a finding to `out` (made at the first one); a function of its own, not a closure per resource. */
function report(
  out: Violation[] | undefined,
  resource: Resource,
  path: string,
  what: string,
  where: string,
): Violation[] {
  (out ??= []).push({
    path,
    message: `${resource.id} has ${what} in plain text in ${where}`,
    details: { kind: what },
  });
  return out;
}

/** The shared result of a clean resource (never mutated). */
const noViolations: Violation[] = Object.freeze([]) as unknown as Violation[];

/** Attributes that hold a script (user data, startup scripts), plain or base64. */
const scriptAttributes = [
  'user_data',
  'user_data_base64',
  'custom_data',
  'startup_script',
  'metadata_startup_script',
];

/**
 * `tf-plaintext-secrets`: credentials written in plain text where they end up readable by anyone
 * with read access to the resource — user data and launch scripts, environment variable maps
 * (Lambda, ECS container definitions, App Runner, Batch ...), and tags. Attributes meant for secrets
 * (a database `password`, marked sensitive) are not its business. Messages never repeat the secret.
 */
export const tfPlaintextSecretsCheck: CheckDefinition = {
  name: 'tf-plaintext-secrets',
  description:
    'credentials in plain text in user data, environment variables and tags of Terraform resources',
  compile(options): CompiledRule {
    const ignoreKeys = new Set(
      (Array.isArray(options.ignoreKeys) ? options.ignoreKeys : []).map((key) => String(key)),
    );
    const scanTags = options.tags !== false;

    const evaluate = (resource: Resource): Violation[] => {
      // Nearly every resource is clean: the list is made at the first finding.
      let out: Violation[] | undefined;
      const body = resource.body;

      for (const attribute of scriptAttributes) {
        const planned = body[attribute];
        // aws_instance keeps only a hash of user_data in the plan; the configuration has the text.
        const written = constantOf(resource, attribute);
        // Most resources have no script at all: check every aws_* resource without allocating.
        if (typeof planned !== 'string' && typeof written !== 'string') continue;
        const candidates: string[] = [];
        if (typeof planned === 'string') candidates.push(planned, decodeBase64(planned) ?? '');
        if (typeof written === 'string') candidates.push(written, decodeBase64(written) ?? '');
        const found = candidates.map(scanScript).find((what) => what !== undefined);
        if (found) out = report(out, resource, `/${attribute}`, found, attribute);
      }

      // Environment maps: Lambda `environment[].variables`, Batch/App Runner style `environment_variables`.
      const environment = body.environment;
      if (Array.isArray(environment)) {
        // A loop, not a callback: a closure over `out` would cost a context on every resource.
        for (let index = 0; index < environment.length; index += 1) {
          const block: unknown = environment[index];
          const variables = isRecord(block) ? block.variables : undefined;
          if (!isRecord(variables)) continue;
          for (const [key, value] of Object.entries(variables)) {
            if (ignoreKeys.has(key)) continue;
            const found = scanPair(key, value);
            if (found)
              out = report(
                out,
                resource,
                `/environment/${index}/variables/${escapePointerToken(key)}`,
                found,
                `environment variable ${key}`,
              );
          }
        }
      }
      for (const attribute of variableMapAttributes) {
        const variables = body[attribute];
        if (!isRecord(variables)) continue;
        for (const [key, value] of Object.entries(variables)) {
          if (ignoreKeys.has(key)) continue;
          const found = scanPair(key, value);
          if (found)
            out = report(
              out,
              resource,
              `/${attribute}/${escapePointerToken(key)}`,
              found,
              `${attribute} ${key}`,
            );
        }
      }

      for (const { blocks, map } of nestedVariableMaps) {
        if (!Array.isArray(body[blocks[0]!])) continue;
        for (const { block, path } of blocksAt(body, blocks)) {
          const variables = block[map];
          if (!isRecord(variables)) continue;
          for (const [key, value] of Object.entries(variables)) {
            if (ignoreKeys.has(key)) continue;
            const found = scanPair(key, value);
            if (found)
              out = report(
                out,
                resource,
                `${path}/${map}/${escapePointerToken(key)}`,
                found,
                `${map} ${key}`,
              );
          }
        }
      }

      // CodeBuild: environment { environment_variable { name, value, type } }; only PLAINTEXT ones
      // hold the value itself (PARAMETER_STORE and SECRETS_MANAGER name where it is).
      if (Array.isArray(environment)) {
        for (const { block, path } of blocksAt(body, ['environment', 'environment_variable'])) {
          if (typeof block.name !== 'string' || ignoreKeys.has(block.name)) continue;
          if (block.type !== undefined && block.type !== null && block.type !== 'PLAINTEXT') continue;
          const found = scanPair(block.name, block.value);
          if (found)
            out = report(out, resource, `${path}/value`, found, `environment variable ${block.name}`);
        }
      }

      // Elastic Beanstalk: setting { namespace = "aws:elasticbeanstalk:application:environment", name, value }.
      if (Array.isArray(body.setting)) {
        body.setting.forEach((setting: unknown, index: number) => {
          if (!isRecord(setting) || setting.namespace !== 'aws:elasticbeanstalk:application:environment')
            return;
          if (typeof setting.name !== 'string' || ignoreKeys.has(setting.name)) return;
          const found = scanPair(setting.name, setting.value);
          if (found)
            out = report(
              out,
              resource,
              `/setting/${index}/value`,
              found,
              `environment property ${setting.name}`,
            );
        });
      }

      // Batch job definitions: container properties are a JSON document with an `environment` list.
      if (typeof body.container_properties === 'string') {
        for (const entry of jsonEnvironment(body.container_properties)) {
          if (ignoreKeys.has(entry.name)) continue;
          const found = scanPair(entry.name, entry.value);
          if (found) {
            out = report(out, resource, '/container_properties', found, `environment variable ${entry.name}`);
            break;
          }
        }
      }

      // ECS container definitions: a JSON document whose `environment` entries are name/value pairs.
      if (typeof body.container_definitions === 'string') {
        let containers: unknown;
        try {
          containers = JSON.parse(body.container_definitions);
        } catch {
          containers = undefined;
        }
        for (const container of Array.isArray(containers) ? containers : []) {
          if (!isRecord(container) || !Array.isArray(container.environment)) continue;
          for (const entry of container.environment) {
            if (!isRecord(entry) || typeof entry.name !== 'string' || ignoreKeys.has(entry.name)) continue;
            const found = scanPair(entry.name, entry.value);
            if (found) {
              out = report(
                out,
                resource,
                '/container_definitions',
                found,
                `environment variable ${entry.name} of container ${String(container.name)}`,
              );
              break;
            }
          }
        }
      }

      if (scanTags && isRecord(body.tags)) {
        const tags = body.tags;
        for (const key in tags) {
          if (ignoreKeys.size > 0 && ignoreKeys.has(key)) continue;
          const found = scanPair(key, tags[key]);
          if (found) out = report(out, resource, `/tags/${escapePointerToken(key)}`, found, `tag ${key}`);
        }
      }
      return out ?? noViolations;
    };
    return { scope: 'resource', evaluate };
  },
};
