import type { Resource } from '../../model/resource.js';
import { hasTagMetaSchema, hasTagPredicate, type HasTagSchema } from '../keywords/hasTag.js';
import type { EvalContext, Violation } from '../rules/types.js';
import { isRecord, optionError } from './ecosystem-support.js';
import type { CheckDefinition } from './types.js';

/** Stands for a part of an ARN the plan does not know yet: only a `*` of a pattern matches it. */
const UNKNOWN = '\u0000';

/** How AWS Backup names each kind it protects: service and resource part (`db:NAME`, `table/NAME`). */
const arnShapes: Record<string, { service: string; prefix: string; name?: string }> = {
  aws_db_instance: { service: 'rds', prefix: 'db:', name: 'identifier' },
  aws_rds_cluster: { service: 'rds', prefix: 'cluster:', name: 'cluster_identifier' },
  aws_docdb_cluster: { service: 'rds', prefix: 'cluster:', name: 'cluster_identifier' },
  aws_neptune_cluster: { service: 'rds', prefix: 'cluster:', name: 'cluster_identifier' },
  aws_dynamodb_table: { service: 'dynamodb', prefix: 'table/', name: 'name' },
  aws_efs_file_system: { service: 'elasticfilesystem', prefix: 'file-system/' },
  aws_ebs_volume: { service: 'ec2', prefix: 'volume/' },
  aws_instance: { service: 'ec2', prefix: 'instance/' },
  aws_fsx_lustre_file_system: { service: 'fsx', prefix: 'file-system/' },
  aws_fsx_windows_file_system: { service: 'fsx', prefix: 'file-system/' },
  aws_fsx_ontap_file_system: { service: 'fsx', prefix: 'file-system/' },
  aws_fsx_openzfs_file_system: { service: 'fsx', prefix: 'file-system/' },
  aws_s3_bucket: { service: 's3', prefix: '', name: 'bucket' },
};

/** The resource's ARN as far as the plan knows it; unknown parts are {@link UNKNOWN}. */
function arnOf(resource: Resource): string | undefined {
  if (typeof resource.body.arn === 'string' && resource.body.arn) return resource.body.arn;
  const shape = arnShapes[resource.kind];
  if (!shape) return undefined;
  const name = shape.name ? resource.body[shape.name] : undefined;
  const id = typeof name === 'string' && name ? name : UNKNOWN;
  if (shape.service === 's3') return `arn:aws:s3:::${id}`;
  const region = typeof resource.facts.region === 'string' ? resource.facts.region : UNKNOWN;
  return `arn:aws:${shape.service}:${region}:${UNKNOWN}:${shape.prefix}${id}`;
}

/** AWS Backup's ARN patterns: `*` any run of characters (the account too), the rest literal. */
function arnPattern(pattern: string): RegExp {
  const parts = pattern.split(':');
  // The account is never known from a plan: any account a pattern names matches it.
  if (parts.length >= 6 && parts[4] !== '*' && parts[4] !== '') parts[4] = '*';
  const body = parts
    .join(':')
    .split('*')
    .map((piece) => piece.replace(/[.+?^${}()|[\]\\]/g, '\\$&'))
    .join('[^]*');
  return new RegExp(`^${body}$`);
}

/** StringLike in AWS conditions: `*` and `?` wildcards. */
function likePattern(pattern: string): RegExp {
  const body = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '[^]*')
    .replace(/\?/g, '.');
  return new RegExp(`^${body}$`);
}

function entries(value: unknown): Array<Record<string, unknown>> {
  return Array.isArray(value) ? value.filter(isRecord) : [];
}

/** Whether one `condition` block of a selection holds for the resource's tags (every test must). */
function conditionHolds(condition: Record<string, unknown>, tags: Record<string, string>): boolean {
  const tagOf = (key: unknown) =>
    typeof key === 'string' && key.startsWith('aws:ResourceTag/')
      ? tags[key.slice('aws:ResourceTag/'.length)]
      : undefined;
  const tests: Array<[string, (actual: string | undefined, expected: string) => boolean]> = [
    ['string_equals', (actual, expected) => actual === expected],
    ['string_not_equals', (actual, expected) => actual !== expected],
    ['string_like', (actual, expected) => actual !== undefined && likePattern(expected).test(actual)],
    ['string_not_like', (actual, expected) => actual === undefined || !likePattern(expected).test(actual)],
  ];
  return tests.every(([name, test]) =>
    entries(condition[name]).every((entry) => test(tagOf(entry.key), String(entry.value ?? ''))),
  );
}

function references(resource: Resource, attribute: string): string[] {
  const refs = (resource.facts.references as Record<string, unknown> | undefined)?.[attribute];
  return Array.isArray(refs) ? refs.map(String) : typeof refs === 'string' ? [refs] : [];
}

/** A reference names the resource when it is its address, or the address without the instance key. */
function names(reference: string, resource: Resource): boolean {
  if (reference === resource.id) return true;
  const bracket = resource.id.lastIndexOf('[');
  return bracket > 0 && resource.id.endsWith(']') && reference === resource.id.slice(0, bracket);
}

type Verdict = 'covered' | 'not' | 'unknown';

/** Whether an `aws_backup_selection` assigns the resource to its backup plan. */
function selects(selection: Resource, resource: Resource, tags: Record<string, string>): Verdict {
  const body = selection.body;
  const unknown = new Set(selection.unknownPaths ?? []);
  const defaulted = (selection.facts.providerDefaulted as string[] | undefined) ?? [];
  const arn = arnOf(resource);
  const listed = (attribute: 'resources' | 'not_resources'): Verdict => {
    if (references(selection, attribute).some((ref) => names(ref, resource))) return 'covered';
    const patterns = Array.isArray(body[attribute]) ? (body[attribute] as unknown[]) : [];
    if (
      arn !== undefined &&
      patterns.some((pattern) => typeof pattern === 'string' && arnPattern(pattern).test(arn))
    )
      return 'covered';
    // Unknown values that are references to managed resources of the plan name exactly those; a data
    // source (an existing resource looked up) or a value without references could be this resource.
    const refs = references(selection, attribute);
    const open =
      [...unknown].some((path) => path === `/${attribute}` || path.startsWith(`/${attribute}/`)) &&
      !defaulted.includes(attribute) &&
      (refs.length === 0 || refs.some((ref) => /(^|\.)data\./.test(ref)));
    return open ? 'unknown' : 'not';
  };
  // selection_tag blocks are ORed; STRINGEQUALS is the only type the API has.
  const byTag = entries(body.selection_tag).some(
    (entry) =>
      String(entry.type ?? '').toUpperCase() === 'STRINGEQUALS' &&
      typeof entry.key === 'string' &&
      tags[entry.key] === entry.value,
  );
  const byResources = listed('resources');
  const included: Verdict = byTag || byResources === 'covered' ? 'covered' : byResources;
  if (included === 'not') return 'not';
  if (!entries(body.condition).every((condition) => conditionHolds(condition, tags))) return 'not';
  const excluded = listed('not_resources');
  if (excluded === 'covered') return 'not';
  return excluded === 'unknown' ? 'unknown' : included;
}

const deletedOnly = (resource: Resource): boolean => {
  const actions = (resource.facts.change as { actions?: string[] } | undefined)?.actions ?? [];
  return actions.includes('delete') && !actions.includes('create');
};

/**
 * `aws-backup-coverage`: a stateful resource tagged as production (option `tags`: tag name ->
 * accepted values) is assigned to an AWS Backup plan by an `aws_backup_selection` of the same plan:
 * by reference or ARN pattern in `resources`, or by a `selection_tag`, with every `condition` met
 * and not excluded by `not_resources`. A selection whose resource list is known only after apply
 * makes the verdict `unknown`.
 */
export const awsBackupCoverageCheck: CheckDefinition = {
  name: 'aws-backup-coverage',
  description: 'production resources that no AWS Backup selection assigns to a backup plan',
  compile(options, policy) {
    const tagOption = options.tags;
    const valid =
      isRecord(tagOption) &&
      Object.keys(tagOption).length > 0 &&
      Object.values(tagOption).every(
        (value) =>
          typeof value === 'string' ||
          (Array.isArray(value) && value.length > 0 && value.every((item) => typeof item === 'string')),
      );
    if (!valid)
      throw optionError(
        policy,
        `tags must map tag names to accepted values (${JSON.stringify(hasTagMetaSchema)})`,
      );
    const production = hasTagPredicate(tagOption as HasTagSchema);
    const isSelection = (source: string, kind: string) =>
      source === 'terraform' && kind === 'aws_backup_selection';
    return {
      scope: 'resource',
      readsRun: true,
      evaluate(resource: Resource, ctx: EvalContext): Violation[] {
        const tags = (resource.facts.tags as Record<string, string> | undefined) ?? resource.labels;
        if (!production(tags)) return [];
        const selections = (
          ctx.resourcesOfKinds
            ? ctx.resourcesOfKinds(isSelection)
            : ctx.resources.filter((r) => isSelection(r.source, r.kind))
        ).filter((selection) => !deletedOnly(selection));
        const verdicts = selections.map((selection) => ({
          selection,
          verdict: selects(selection, resource, tags),
        }));
        if (verdicts.some(({ verdict }) => verdict === 'covered')) return [];
        const undecided = verdicts.filter(({ verdict }) => verdict === 'unknown');
        if (undecided.length > 0)
          return [
            {
              path: '',
              status: 'unknown',
              unknownPaths: undecided.flatMap(({ selection }) =>
                (selection.unknownPaths ?? [])
                  .filter((path) => /^\/(not_)?resources(\/|$)/.test(path))
                  .map((path) => `${selection.id}${path}`),
              ),
              values: { selections: undecided.map(({ selection }) => selection.id) },
            },
          ];
        return [{ path: '', values: { selections: selections.map((selection) => selection.id) } }];
      },
    };
  },
};
