/**
 * Turns the output of `terraform show -json PLANFILE` into Resources: one per `resource_changes`
 * entry (managed and data, every module depth, every count/for_each instance, deposed objects).
 * Lean by design — one pass over the entries, bodies are the parsed `after`/`before` objects
 * themselves (never copied) — because plans of 100,000 resources are real.
 */
import { ParapetError } from '../model/errors.js';
import type { Resource } from '../model/resource.js';
import type { Notice } from '../model/result.js';
import {
  formatKey,
  formatModuleInstance,
  localResourceAddress,
  moduleConfigKey,
  parseResourceAddress,
  type InstanceKey,
  type ModuleStep,
  type ResourceInstanceAddress,
} from './address.js';
import {
  PlanConfiguration,
  type ConfigModule,
  type ConfigResource,
  type ReferenceTarget,
} from './configuration.js';
import { PlanLineFinder } from './lines.js';
import { markedPointers, stepsToPointers } from './paths.js';

/** Plan actions as Terraform writes them. */
export type PlanAction = 'no-op' | 'create' | 'read' | 'update' | 'delete' | 'forget';

/** `facts.change` of a Terraform resource. */
export interface ChangeFacts {
  actions: PlanAction[];
  /** delete+create in either order. */
  replace: boolean;
  before: unknown;
  after: unknown;
  afterUnknown: unknown;
  beforeSensitive: unknown;
  afterSensitive: unknown;
  /** JSON pointers (into the body) of the attributes that force the replacement. */
  replacePaths: string[];
  actionReason?: string;
  previousAddress?: string;
  deposed?: string;
  mode: 'managed' | 'data';
  /** `module.net.module.subnets["a"]`, '' for the root module. */
  moduleAddress: string;
  /** As the plan writes it: `registry.terraform.io/hashicorp/aws`. */
  providerName: string;
  /** The count index or for_each key of the instance. */
  index?: InstanceKey;
  /** Set when the change imports an existing object (Terraform 1.5+). */
  importingId?: string;
}

interface ResourceChangeJson {
  address?: unknown;
  previous_address?: unknown;
  module_address?: unknown;
  mode?: unknown;
  type?: unknown;
  name?: unknown;
  index?: unknown;
  deposed?: unknown;
  provider_name?: unknown;
  action_reason?: unknown;
  change?: {
    actions?: unknown;
    before?: unknown;
    after?: unknown;
    after_unknown?: unknown;
    before_sensitive?: unknown;
    after_sensitive?: unknown;
    replace_paths?: unknown;
    importing?: { id?: unknown };
  };
}

const knownActions = new Set<string>(['no-op', 'create', 'read', 'update', 'delete', 'forget']);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** True for a parsed JSON value that is (or claims to be) Terraform's plan or state output. */
export function looksLikeTerraformJson(value: unknown): boolean {
  if (!isRecord(value) || typeof value.format_version !== 'string') return false;
  return (
    typeof value.terraform_version === 'string' ||
    Array.isArray(value.resource_changes) ||
    isRecord(value.planned_values) ||
    isRecord(value.configuration)
  );
}

/**
 * Checks that a Terraform JSON document is a plan this reader understands; throws a one-line
 * ParapetError naming the file otherwise.
 */
export function assertSupportedPlan(value: unknown, file: string): asserts value is Record<string, unknown> {
  if (!isRecord(value) || typeof value.format_version !== 'string') {
    throw new ParapetError('PARAPET_INPUT_FORMAT', `${file}: not a Terraform plan (no format_version)`, {
      file,
    });
  }
  const version = /^(\d+)\.(\d+)/.exec(value.format_version);
  const major = version ? Number(version[1]) : NaN;
  if (major !== 0 && major !== 1) {
    throw new ParapetError(
      'PARAPET_INPUT_FORMAT',
      `${file}: unsupported Terraform plan format_version "${value.format_version}" (parapet reads 0.1 through 1.x)`,
      { file },
    );
  }
  const isPlan =
    'resource_changes' in value ||
    'planned_values' in value ||
    'configuration' in value ||
    'prior_state' in value;
  if (!isPlan) {
    const what = 'values' in value ? 'a Terraform state, not a plan' : 'not a Terraform plan';
    throw new ParapetError(
      'PARAPET_INPUT_FORMAT',
      `${file}: ${what}; give the output of "terraform show -json PLANFILE"`,
      { file },
    );
  }
  if ('resource_changes' in value && !Array.isArray(value.resource_changes)) {
    throw new ParapetError('PARAPET_INPUT_PARSE', `${file}: resource_changes is not an array`, { file });
  }
}

function invalid(file: string, index: number, problem: string): ParapetError {
  return new ParapetError('PARAPET_INPUT_PARSE', `${file}: resource_changes[${index}] ${problem}`, { file });
}

/** `registry.terraform.io/hashicorp/aws` -> `aws`; falls back to the resource type's prefix. */
export function providerShortName(providerName: string, type: string): string {
  const last = providerName.slice(providerName.lastIndexOf('/') + 1);
  return last || type.split('_')[0] || type;
}

interface Entry {
  resource: Resource;
  steps: ModuleStep[];
  local: string;
  key?: InstanceKey;
  configModule: ConfigModule | undefined;
  configResource: ConfigResource | undefined;
}

/** Builds one Resource per `resource_changes` entry of a validated plan. */
export function terraformPlanResources(
  plan: unknown,
  source: { file: string; text: string },
): { resources: Resource[]; notices: Notice[] } {
  const { file } = source;
  assertSupportedPlan(plan, file);
  const changes = (plan.resource_changes ?? []) as ResourceChangeJson[];
  const configuration = new PlanConfiguration(plan.configuration, plan.variables);
  const lines = new PlanLineFinder(source.text);
  const notices: Notice[] = [];
  const entries: Entry[] = [];
  const byInstance = new Map<string, Resource[]>();
  const byConfig = new Map<string, Entry[]>();
  let withoutConfiguration = 0;
  // Thousands of resources share a module instance and a provider: parse and format those once.
  const moduleSteps = new Map<string, ModuleStep[]>();
  const shortNames = new Map<string, string>();

  for (let i = 0; i < changes.length; i += 1) {
    const entry = changes[i];
    if (!isRecord(entry)) throw invalid(file, i, 'is not an object');
    const address = entry.address;
    if (typeof address !== 'string') throw invalid(file, i, 'has no address');
    const parsed = parseAddress(address, entry, moduleSteps);
    if (!parsed) throw invalid(file, i, `has an address Terraform cannot have: ${address}`);
    const change = entry.change;
    if (!isRecord(change) || !Array.isArray(change.actions) || change.actions.length === 0) {
      throw invalid(file, i, `(${address}) has no change.actions`);
    }
    for (const action of change.actions) {
      if (typeof action !== 'string' || !knownActions.has(action)) {
        throw invalid(file, i, `(${address}) has an unknown action ${JSON.stringify(action)}`);
      }
    }
    const actions = change.actions as PlanAction[];
    const type = typeof entry.type === 'string' ? entry.type : parsed.type;
    const name = typeof entry.name === 'string' ? entry.name : parsed.name;
    const mode = entry.mode === 'data' ? 'data' : parsed.mode;
    const removing =
      !actions.includes('create') && (actions.includes('delete') || actions.includes('forget'));
    const value = removing ? change.before : (change.after ?? change.before);
    const body = isRecord(value) ? value : {};
    const providerName = typeof entry.provider_name === 'string' ? entry.provider_name : '';
    const deposed = typeof entry.deposed === 'string' ? entry.deposed : undefined;
    const moduleAddress = typeof entry.module_address === 'string' ? entry.module_address : parsed.moduleText;

    const facts: ChangeFacts = {
      actions,
      replace: actions.includes('delete') && actions.includes('create'),
      before: change.before ?? null,
      after: change.after ?? null,
      afterUnknown: change.after_unknown ?? {},
      beforeSensitive: change.before_sensitive ?? {},
      afterSensitive: change.after_sensitive ?? {},
      replacePaths: stepsToPointers(change.replace_paths),
      mode,
      moduleAddress,
      providerName,
    };
    if (typeof entry.action_reason === 'string') facts.actionReason = entry.action_reason;
    if (typeof entry.previous_address === 'string') facts.previousAddress = entry.previous_address;
    if (deposed !== undefined) facts.deposed = deposed;
    if (parsed.key !== undefined) facts.index = parsed.key;
    if (isRecord(change.importing) && typeof change.importing.id === 'string')
      facts.importingId = change.importing.id;

    const configKey = configKeyOf(parsed.module);
    const local = localResourceAddress(mode, type, name);
    const configModule = configuration.module(configKey);
    const configResource = configModule?.resources.get(local);
    if (!configResource && !removing) withoutConfiguration += 1;
    const provider =
      configModule && configResource ? configuration.provider(configModule, configResource) : undefined;
    const tags = mergedTags(provider?.defaultTags, body);
    const region = provider?.region ?? stringAttribute(body, 'region') ?? stringAttribute(body, 'location');

    const resource: Resource = {
      source: 'terraform',
      kind: type,
      id: deposed === undefined ? address : `${address} (deposed ${deposed})`,
      name,
      labels: tags,
      location: { file, line: lines.next(address) },
      body,
      facts: {
        change: facts,
        provider: shortNames.get(providerName) ?? providerShortName(providerName, type),
        tags,
        references: {},
      },
    };
    if (region !== undefined) resource.facts.region = region;
    // What the configuration wrote, shared by every instance (not copied): literals the plan hides
    // (aws_instance keeps only a hash of user_data) and which attributes were set at all.
    if (configResource?.expressions) resource.facts.expressions = configResource.expressions;
    if (!removing) {
      const unknown = markedPointers(change.after_unknown);
      if (unknown.length) resource.unknownPaths = unknown;
      if (configResource)
        resource.facts.providerDefaulted = providerDefaulted(
          change.after_unknown,
          configResource.expressions,
        );
    }

    if (providerName && !shortNames.has(providerName))
      shortNames.set(providerName, providerShortName(providerName, type));
    const record: Entry = { resource, steps: parsed.module, local, configModule, configResource };
    if (parsed.key !== undefined) record.key = parsed.key;
    entries.push(record);
    if (deposed === undefined) {
      const instanceKey = `${parsed.moduleText}|${local}`;
      const list = byInstance.get(instanceKey);
      if (list) list.push(resource);
      else byInstance.set(instanceKey, [resource]);
      const configList = byConfig.get(`${configKey}|${local}`);
      if (configList) configList.push(record);
      else byConfig.set(`${configKey}|${local}`, [record]);
    }
  }

  // References need every instance indexed first: a rule may refer to a bucket planned after it.
  const keysOf = new Map<Resource, InstanceKey | undefined>();
  const targetCache = new Map<ReferenceTarget, Map<string, Resource[]>>();
  for (const entry of entries) keysOf.set(entry.resource, entry.key);
  for (const entry of entries) {
    const { configModule, configResource } = entry;
    if (!configModule || !configResource) continue;
    const references: Record<string, string[]> = {};
    for (const { attribute, targets } of configuration.references(configModule, configResource)) {
      const ids = new Set<string>();
      for (const target of targets) {
        for (const id of resolveTarget(entry, target, byInstance, byConfig, keysOf, targetCache)) ids.add(id);
      }
      if (ids.size) references[attribute] = [...ids].sort();
    }
    entry.resource.facts.references = references;
  }

  if (withoutConfiguration > 0 && plan.configuration !== undefined) {
    notices.push({
      level: 'info',
      code: 'terraform-config-missing',
      message: `${withoutConfiguration} planned resource(s) have no entry in the plan's configuration section; their references and provider region are not known`,
      file,
    });
  }
  return { resources: entries.map((entry) => entry.resource), notices };
}

/**
 * Parses an address, reusing the module part when the entry's `module_address` prefixes it (the
 * module instance is then parsed once for all its resources). `moduleText` is the module instance
 * in canonical form, the key the reference index uses.
 */
function parseAddress(
  address: string,
  entry: ResourceChangeJson,
  cache: Map<string, ModuleStep[]>,
): (ResourceInstanceAddress & { moduleText: string }) | undefined {
  const { module_address: moduleAddress, mode, type, name, index } = entry;
  // Terraform writes the parts next to the address; reading them is much cheaper than parsing,
  // and the module instance is parsed once for all of its resources.
  if (
    (moduleAddress === undefined || typeof moduleAddress === 'string') &&
    typeof type === 'string' &&
    typeof name === 'string' &&
    (index === undefined || typeof index === 'string' || typeof index === 'number')
  ) {
    const prefix = moduleAddress ? `${moduleAddress}.` : '';
    const local = `${mode === 'data' ? 'data.' : ''}${type}.${name}`;
    if (
      address.length === prefix.length + local.length + (index === undefined ? 0 : formatKey(index).length) &&
      address.startsWith(prefix)
    ) {
      let steps = cache.get(moduleAddress ?? '');
      if (!steps) {
        steps = moduleAddress ? parseResourceAddress(`${moduleAddress}.x.y`)?.module : [];
        if (!steps) return undefined;
        cache.set(moduleAddress ?? '', steps);
      }
      const parsed: ResourceInstanceAddress & { moduleText: string } = {
        module: steps,
        mode: mode === 'data' ? 'data' : 'managed',
        type,
        name,
        moduleText: formatModuleText(steps),
      };
      if (index !== undefined) parsed.key = index;
      return parsed;
    }
  }
  const parsed = parseResourceAddress(address);
  return parsed && { ...parsed, moduleText: formatModuleText(parsed.module) };
}

const moduleTexts = new WeakMap<ModuleStep[], string>();
const configKeys = new WeakMap<ModuleStep[], string>();

/** `moduleConfigKey`, computed once per (shared) module step list. */
function configKeyOf(steps: ModuleStep[]): string {
  if (steps.length === 0) return '';
  let key = configKeys.get(steps);
  if (key === undefined) {
    key = moduleConfigKey(steps);
    configKeys.set(steps, key);
  }
  return key;
}

function formatModuleText(steps: ModuleStep[]): string {
  if (steps.length === 0) return '';
  let text = moduleTexts.get(steps);
  if (text === undefined) {
    text = formatModuleInstance(steps);
    moduleTexts.set(steps, text);
  }
  return text;
}

/** The instance ids a configuration-level reference target stands for, seen from `from`. */
function resolveTarget(
  from: Entry,
  target: ReferenceTarget,
  byInstance: Map<string, Resource[]>,
  byConfig: Map<string, Entry[]>,
  keysOf: Map<Resource, InstanceKey | undefined>,
  cache: Map<ReferenceTarget, Map<string, Resource[]>>,
): string[] {
  if (target.up > from.steps.length) return [];
  // Every resource of a module instance sees the same candidates for a target: find them once.
  let perModule = cache.get(target);
  if (!perModule) cache.set(target, (perModule = new Map()));
  const moduleText = formatModuleText(from.steps);
  let candidates = perModule.get(moduleText);
  if (!candidates) {
    candidates = targetCandidates(from.steps, target, byInstance, byConfig);
    perModule.set(moduleText, candidates);
  }
  if (target.key !== undefined) {
    return candidates
      .filter((resource) => keysOf.get(resource) === target.key)
      .map((resource) => resource.id);
  }
  if (target.correlated && from.key !== undefined) {
    const same = candidates.filter((resource) => keysOf.get(resource) === from.key);
    if (same.length) return same.map((resource) => resource.id);
  }
  return candidates.map((resource) => resource.id);
}

function targetCandidates(
  fromSteps: ModuleStep[],
  target: ReferenceTarget,
  byInstance: Map<string, Resource[]>,
  byConfig: Map<string, Entry[]>,
): Resource[] {
  const base = fromSteps.slice(0, fromSteps.length - target.up);
  let candidates: Resource[];
  if (target.down.some((step) => step.any)) {
    const pattern = [...base, ...target.down];
    const configKey = pattern.map((step) => step.name).join('.');
    candidates = (byConfig.get(`${configKey}|${target.local}`) ?? [])
      .filter((entry) =>
        pattern.every((step, i) => {
          if ('any' in step && step.any) return true;
          return entry.steps[i]?.key === step.key;
        }),
      )
      .map((entry) => entry.resource);
  } else {
    const steps: ModuleStep[] = [
      ...base,
      ...target.down.map((step) =>
        step.key === undefined ? { name: step.name } : { name: step.name, key: step.key },
      ),
    ];
    candidates = byInstance.get(`${formatModuleInstance(steps)}|${target.local}`) ?? [];
  }
  return candidates;
}

/**
 * Top-level attributes unknown until apply that the configuration does not set: the provider picks
 * their value. Policies where "not set" is itself the violation (an unset `storage_encrypted` on an
 * Aurora cluster) use this to fail instead of reporting `unknown`. Only meaningful for plain
 * attributes: `dynamic` blocks are missing from the configuration section too, so policies never
 * read it for blocks.
 */
function providerDefaulted(
  afterUnknown: unknown,
  expressions: Record<string, unknown> | undefined,
): string[] {
  if (!isRecord(afterUnknown)) return [];
  const names: string[] = [];
  for (const key in afterUnknown) {
    if (afterUnknown[key] === true && !(expressions && key in expressions)) names.push(key);
  }
  return names;
}

function stringAttribute(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/**
 * Tags as they will be on the object: provider default tags, then `tags_all` (which already merges
 * them when known), then the resource's own `tags`; GCP `labels` count as tags too.
 */
function mergedTags(
  defaults: Record<string, string> | undefined,
  body: Record<string, unknown>,
): Record<string, string> {
  const tags: Record<string, string> = {};
  if (defaults) for (const name in defaults) tags[name] = defaults[name]!;
  for (const key of ['labels', 'tags_all', 'tags']) {
    const value = body[key];
    if (!isRecord(value)) continue;
    for (const [name, item] of Object.entries(value)) {
      if (item !== null && item !== undefined && typeof item !== 'object') tags[name] = String(item);
    }
  }
  return tags;
}
