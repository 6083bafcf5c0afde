/**
 * Turns the output of `terraform show -json PLANFILE` into Resources: one per `resource_changes`
 * entry (managed and data, every module depth, every count/for_each instance, deposed objects).
 * Lean by design — one pass over the entries, bodies are the parsed `after`/`before` objects
 * themselves (never copied) — because plans of 100,000 resources are real.
 */
import { ParapetError } from '../model/errors.js';
import type { Resource, ResourceFacts } from '../model/resource.js';
import type { Notice } from '../model/result.js';
import {
  formatModuleInstance,
  formattedKeyLength,
  localResourceAddress,
  moduleConfigKey,
  parseCanonicalModuleInstance,
  parseResourceAddress,
  type InstanceKey,
  type ModuleStep,
} from './address.js';
import {
  PlanConfiguration,
  type ConfigModule,
  type ConfigResource,
  type ProviderSettings,
  type ReferenceTarget,
} from './configuration.js';
import { PlanLineFinder } from './lines.js';
import { MarkedShapes, stepsToPointers, type MarkedShape } from './paths.js';

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

/**
 * One module instance of the plan (`module.a["x"].module.b`), shared by all of its resources: the
 * address is parsed and formatted once, not once per resource.
 */
interface ModuleInstance {
  steps: ModuleStep[];
  /** Canonical text of the instance, '' for the root module. */
  text: string;
  configModule: ConfigModule | undefined;
  slots: SlotTable;
}

/** A resource block of one configuration module, shared by all its instances in all module instances. */
interface Slot {
  /**
   * The type and name strings of the slot's first resource, given to all of them: one string object
   * per type instead of one per resource, so that lookups keyed by kind (estimators, kind globs,
   * per-kind caches) hash and internalise each type once.
   */
  type: string;
  name: string;
  configResource: ConfigResource | undefined;
  provider: ProviderSettings | undefined;
  /** The non-deposed instances (entry numbers), in plan order. */
  entries: number[];
  /** `entries` by module instance, grouped when a reference first needs them. */
  byInstance?: Map<ModuleInstance, number[]>;
}

/** The slots of one configuration module, by mode, type and name (no address strings built per resource). */
interface SlotTable {
  managed: Map<string, Map<string, Slot>>;
  data: Map<string, Map<string, Slot>>;
  /** By `aws_s3_bucket.logs` or `data.aws_iam_policy_document.x`, the key references use. */
  byLocal: Map<string, Slot>;
}

/** Per-plan caches: everything here is computed once per module instance, slot or provider. */
class PlanIndex {
  readonly configuration: PlanConfiguration;
  /**
   * Entry `i` of the plan: its resource, module instance, slot and instance key. Parallel arrays,
   * not one record per resource: a plan has a hundred thousand of them.
   */
  readonly resources: Resource[] = [];
  private readonly instances: ModuleInstance[] = [];
  private readonly slots: Slot[] = [];
  private readonly keys: Array<InstanceKey | undefined> = [];
  private readonly instancesByAddress = new Map<string, ModuleInstance>();
  private lastAddress: string | undefined;
  private lastInstance: ModuleInstance | undefined;
  private readonly instancesByText = new Map<string, ModuleInstance>();
  private readonly tables = new Map<string, SlotTable>();
  private readonly targetCache = new Map<ReferenceTarget, Map<ModuleInstance, number[]>>();

  constructor(configuration: PlanConfiguration) {
    this.configuration = configuration;
  }

  /** The module instance a `module_address` names; undefined when it is not a module address. */
  instanceOfAddress(moduleAddress: string): ModuleInstance | undefined {
    // Plans list the resources of a module instance together.
    if (moduleAddress === this.lastAddress) return this.lastInstance;
    let instance = this.instancesByAddress.get(moduleAddress);
    if (!instance) {
      // Terraform writes module addresses in canonical form: then the text is the instance's text.
      const canonical = moduleAddress ? parseCanonicalModuleInstance(moduleAddress) : [];
      const steps = canonical ?? parseResourceAddress(`${moduleAddress}.x.y`)?.module;
      if (!steps) return undefined;
      instance = this.instanceOfSteps(steps, canonical ? moduleAddress : undefined);
      this.instancesByAddress.set(moduleAddress, instance);
    }
    this.lastAddress = moduleAddress;
    this.lastInstance = instance;
    return instance;
  }

  /** The module instance of `steps`; `text`, when given, is `formatModuleInstance(steps)`. */
  instanceOfSteps(
    steps: ModuleStep[],
    text = steps.length === 0 ? '' : formatModuleInstance(steps),
  ): ModuleInstance {
    let instance = this.instancesByText.get(text);
    if (!instance) {
      const configKey = steps.length === 0 ? '' : moduleConfigKey(steps);
      instance = {
        steps,
        text,
        configModule: this.configuration.module(configKey),
        slots: this.table(configKey),
      };
      this.instancesByText.set(text, instance);
    }
    return instance;
  }

  private table(configKey: string): SlotTable {
    let table = this.tables.get(configKey);
    if (!table) {
      table = { managed: new Map(), data: new Map(), byLocal: new Map() };
      this.tables.set(configKey, table);
    }
    return table;
  }

  slot(instance: ModuleInstance, mode: 'managed' | 'data', type: string, name: string): Slot {
    const table = instance.slots;
    const byType = mode === 'data' ? table.data : table.managed;
    let byName = byType.get(type);
    if (!byName) byType.set(type, (byName = new Map()));
    let slot = byName.get(name);
    if (!slot) {
      const local = localResourceAddress(mode, type, name);
      slot = table.byLocal.get(local);
      if (slot) {
        byName.set(name, slot);
        return slot;
      }
      const configModule = instance.configModule;
      const configResource = configModule?.resources.get(local);
      slot = {
        type,
        name,
        configResource,
        provider:
          configModule && configResource
            ? this.configuration.provider(configModule, configResource)
            : undefined,
        entries: [],
      };
      byName.set(name, slot);
      table.byLocal.set(local, slot);
    }
    return slot;
  }

  /** Records entry number `resources.length`; it is referred to by that number. */
  add(resource: Resource, instance: ModuleInstance, slot: Slot, key: InstanceKey | undefined): number {
    this.instances.push(instance);
    this.slots.push(slot);
    this.keys.push(key);
    return this.resources.push(resource) - 1;
  }

  /** Fills `facts.references` of one entry: attribute -> sorted instance ids it refers to. */
  addReferences(entry: number): void {
    const { configResource } = this.slots[entry]!;
    const configModule = this.instances[entry]!.configModule;
    if (!configModule || !configResource) return;
    let references: Record<string, string[]> | undefined;
    for (const { attribute, targets } of this.configuration.references(configModule, configResource)) {
      let ids: string[];
      if (targets.length === 1) {
        ids = this.resolveTarget(entry, targets[0]!);
        // One target naming one instance is sorted and unique already.
        if (ids.length > 1) ids = [...new Set(ids)].sort();
      } else {
        const unique = new Set<string>();
        for (const target of targets) for (const id of this.resolveTarget(entry, target)) unique.add(id);
        ids = [...unique].sort();
      }
      if (ids.length) (references ??= {})[attribute] = ids;
    }
    if (references) this.resources[entry]!.facts.references = references;
  }

  /** The instance ids a configuration-level reference target stands for, seen from `from`. */
  private resolveTarget(from: number, target: ReferenceTarget): string[] {
    const instance = this.instances[from]!;
    const fromSteps = instance.steps;
    if (target.up > fromSteps.length) return [];
    let candidates: number[];
    if (target.up === 0 && target.down.length === 0) {
      // A resource of the same module instance, the common case: two lookups, no address built.
      const slot = instance.slots.byLocal.get(target.local);
      candidates = slot ? (this.grouped(slot).get(instance) ?? []) : [];
    } else {
      // Every resource of a module instance sees the same candidates for a target: find them once.
      let perModule = this.targetCache.get(target);
      if (!perModule) this.targetCache.set(target, (perModule = new Map()));
      const found = perModule.get(instance);
      if (found) candidates = found;
      else {
        candidates = this.targetCandidates(fromSteps, target);
        perModule.set(instance, candidates);
      }
    }
    const { keys, resources } = this;
    if (target.key !== undefined) {
      return candidates.filter((entry) => keys[entry] === target.key).map((entry) => resources[entry]!.id);
    }
    const fromKey = keys[from];
    if (target.correlated && fromKey !== undefined) {
      const same = candidates.filter((entry) => keys[entry] === fromKey);
      if (same.length) return same.map((entry) => resources[entry]!.id);
    }
    return candidates.map((entry) => resources[entry]!.id);
  }

  /** The entries of a slot by module instance, grouped when a reference first needs them. */
  private grouped(slot: Slot): Map<ModuleInstance, number[]> {
    if (!slot.byInstance) {
      slot.byInstance = new Map();
      for (const entry of slot.entries) {
        const instance = this.instances[entry]!;
        const list = slot.byInstance.get(instance);
        if (list) list.push(entry);
        else slot.byInstance.set(instance, [entry]);
      }
    }
    return slot.byInstance;
  }

  private targetCandidates(fromSteps: ModuleStep[], target: ReferenceTarget): number[] {
    const base = fromSteps.slice(0, fromSteps.length - target.up);
    if (target.down.some((step) => step.any)) {
      const pattern = [...base, ...target.down];
      const slot = this.tables.get(pattern.map((step) => step.name).join('.'))?.byLocal.get(target.local);
      return (slot?.entries ?? []).filter((entry) =>
        pattern.every((step, i) => {
          if ('any' in step && step.any) return true;
          return this.instances[entry]!.steps[i]?.key === step.key;
        }),
      );
    }
    const steps: ModuleStep[] = [
      ...base,
      ...target.down.map((step) =>
        step.key === undefined ? { name: step.name } : { name: step.name, key: step.key },
      ),
    ];
    const instance = this.instancesByText.get(steps.length === 0 ? '' : formatModuleInstance(steps));
    const slot = instance?.slots.byLocal.get(target.local);
    return instance && slot ? (this.grouped(slot).get(instance) ?? []) : [];
  }
}

/** Builds one Resource per `resource_changes` entry of a validated plan. */
export function terraformPlanResources(
  plan: unknown,
  source: { file: string; text: string },
): { resources: Resource[]; notices: Notice[] } {
  const { file } = source;
  assertSupportedPlan(plan, file);
  const changes = (plan.resource_changes ?? []) as ResourceChangeJson[];
  const index = new PlanIndex(new PlanConfiguration(plan.configuration, plan.variables));
  const lines = new PlanLineFinder(source.text);
  const shapes = new MarkedShapes();
  const notices: Notice[] = [];
  let withoutConfiguration = 0;
  let location: { file: string; line: number } | undefined;
  // Thousands of resources share a provider: derive its short name once.
  const shortNames = new Map<string, string>();
  // Runs of resources share one provider: compare with the last name before hashing it.
  let lastProviderName = '';
  let lastProviderShort = '';

  for (let i = 0; i < changes.length; i += 1) {
    const entry = changes[i];
    if (!isRecord(entry)) throw invalid(file, i, 'is not an object');
    const address = entry.address;
    if (typeof address !== 'string') throw invalid(file, i, 'has no address');
    // The parts Terraform writes next to the address spell it (nearly always): then they are the
    // parts, and only an address that does not match them is parsed.
    const fromParts = instanceFromParts(address, entry, index);
    const parsed = fromParts === undefined ? parseResourceAddress(address) : undefined;
    const instance = fromParts ?? (parsed ? index.instanceOfSteps(parsed.module) : undefined);
    if (!instance) throw invalid(file, i, `has an address Terraform cannot have: ${address}`);
    const key = parsed ? parsed.key : (entry.index as InstanceKey | undefined);
    const change = entry.change;
    if (!isRecord(change) || !Array.isArray(change.actions) || change.actions.length === 0) {
      throw invalid(file, i, `(${address}) has no change.actions`);
    }
    let creates = false;
    let deletes = false;
    let forgets = false;
    const planned = change.actions as unknown[];
    // Indexed, like the loops around it: an array iterator allocates per step in unoptimised code.
    for (let j = 0; j < planned.length; j += 1) {
      const action = planned[j];
      if (action === 'create') creates = true;
      else if (action === 'delete') deletes = true;
      else if (action === 'forget') forgets = true;
      else if (action !== 'no-op' && action !== 'update' && action !== 'read') {
        throw invalid(file, i, `(${address}) has an unknown action ${JSON.stringify(action)}`);
      }
    }
    const actions = change.actions as PlanAction[];
    // Without `parsed`, the entry's type and name are strings (instanceFromParts checked them).
    const type = typeof entry.type === 'string' ? entry.type : parsed!.type;
    const name = typeof entry.name === 'string' ? entry.name : parsed!.name;
    const mode = entry.mode === 'data' ? 'data' : parsed ? parsed.mode : 'managed';
    const removing = !creates && (deletes || forgets);
    const value = removing ? change.before : (change.after ?? change.before);
    const body = isRecord(value) ? value : {};
    const providerName = typeof entry.provider_name === 'string' ? entry.provider_name : '';
    const deposed = typeof entry.deposed === 'string' ? entry.deposed : undefined;
    const moduleAddress = typeof entry.module_address === 'string' ? entry.module_address : instance.text;

    const changeFacts: ChangeFacts = {
      actions,
      replace: deletes && creates,
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
    if (typeof entry.action_reason === 'string') changeFacts.actionReason = entry.action_reason;
    if (typeof entry.previous_address === 'string') changeFacts.previousAddress = entry.previous_address;
    if (deposed !== undefined) changeFacts.deposed = deposed;
    if (key !== undefined) changeFacts.index = key;
    if (isRecord(change.importing) && typeof change.importing.id === 'string')
      changeFacts.importingId = change.importing.id;

    const slot = index.slot(instance, mode, type, name);
    const { configResource, provider } = slot;
    const kind = slot.type === type ? slot.type : type;
    const resourceName = slot.name === name ? slot.name : name;
    if (!configResource && !removing) withoutConfiguration += 1;
    const tags = mergedTags(provider?.defaultTags, body);
    const region = provider?.region ?? stringAttribute(body, 'region') ?? stringAttribute(body, 'location');
    let providerShort: string;
    if (providerName !== '' && providerName === lastProviderName) providerShort = lastProviderShort;
    else {
      providerShort = shortNames.get(providerName) ?? providerShortName(providerName, type);
      if (providerName !== '') {
        if (!shortNames.has(providerName)) shortNames.set(providerName, providerShort);
        lastProviderName = providerName;
        lastProviderShort = providerShort;
      }
    }
    // What the configuration wrote, shared by every instance (not copied): literals the plan hides
    // (aws_instance keeps only a hash of user_data) and which attributes were set at all.
    const expressions = configResource?.expressions;
    // Unknown paths and provider-defaulted attributes are shared by every resource of one shape.
    const shape = removing ? undefined : shapes.of(change.after_unknown);
    const references = noReferences;

    // The common case in one literal, so that the object keeps its shape: properties added later
    // each cost a store and, beyond the literal's slots, a property array.
    let facts: ResourceFacts;
    if (region !== undefined && expressions && shape && configResource) {
      facts = {
        change: changeFacts,
        provider: providerShort,
        tags,
        references,
        region,
        expressions,
        providerDefaulted: providerDefaulted(shapes, shape, change.after_unknown, expressions),
      };
    } else {
      facts = { change: changeFacts, provider: providerShort, tags, references };
      if (region !== undefined) facts.region = region;
      if (expressions) facts.expressions = expressions;
      if (shape && configResource)
        facts.providerDefaulted = providerDefaulted(shapes, shape, change.after_unknown, expressions);
    }
    const id = deposed === undefined ? address : `${address} (deposed ${deposed})`;
    // Every entry of a one-line plan (what `terraform show -json` prints) is on line 1: resources on
    // the same line share one location (never mutated).
    const line = lines.next(address);
    if (location === undefined || location.line !== line) location = { file, line };
    const resource: Resource = shape?.pointers.length
      ? {
          source: 'terraform',
          kind,
          id,
          name: resourceName,
          labels: tags,
          location,
          body,
          facts,
          unknownPaths: shape.pointers,
        }
      : { source: 'terraform', kind, id, name: resourceName, labels: tags, location, body, facts };

    const number = index.add(resource, instance, slot, key);
    if (deposed === undefined) slot.entries.push(number);
  }

  // References need every instance indexed first: a rule may refer to a bucket planned after it.
  for (let i = 0; i < index.resources.length; i += 1) index.addReferences(i);

  if (withoutConfiguration > 0 && plan.configuration !== undefined) {
    notices.push({
      level: 'info',
      code: 'terraform-config-missing',
      message: `${withoutConfiguration} planned resource(s) have no entry in the plan's configuration section; their references and provider region are not known`,
      file,
    });
  }
  return { resources: index.resources, notices };
}

/**
 * `facts.references` of every resource that refers to nothing (most of a plan): one shared, frozen
 * object; addReferences gives the others an object of their own.
 */
const noReferences: Record<string, string[]> = Object.freeze({});

/**
 * The module instance of an entry whose `module_address`, `mode`, `type`, `name` and `index` spell
 * its address, as Terraform writes them: reading the parts is much cheaper than parsing, and the
 * module instance is parsed once for all of its resources. Only lengths are compared, so that no
 * string is built per resource. `undefined` when the parts do not spell the address (parse it
 * then); `null` when they do but the module address is not one.
 */
function instanceFromParts(
  address: string,
  entry: ResourceChangeJson,
  index: PlanIndex,
): ModuleInstance | null | undefined {
  const { module_address: moduleAddress, mode, type, name, index: key } = entry;
  if (
    (moduleAddress === undefined || typeof moduleAddress === 'string') &&
    typeof type === 'string' &&
    typeof name === 'string' &&
    (key === undefined || typeof key === 'string' || typeof key === 'number')
  ) {
    const prefixLength = moduleAddress ? moduleAddress.length + 1 : 0;
    const localLength = (mode === 'data' ? 5 : 0) + type.length + 1 + name.length;
    if (
      address.length === prefixLength + localLength + (key === undefined ? 0 : formattedKeyLength(key)) &&
      (!moduleAddress ||
        (address.startsWith(moduleAddress) && address.charCodeAt(moduleAddress.length) === 46))
    ) {
      return index.instanceOfAddress(moduleAddress ?? '') ?? null;
    }
  }
  return undefined;
}

/**
 * Top-level attributes unknown until apply that the configuration does not set: the provider picks
 * their value. Policies where "not set" is itself the violation (an unset `storage_encrypted` on an
 * Aurora cluster) use this to fail instead of reporting `unknown`. Only meaningful for plain
 * attributes: `dynamic` blocks are missing from the configuration section too, so policies never
 * read it for blocks.
 */
function providerDefaulted(
  shapes: MarkedShapes,
  shape: MarkedShape,
  afterUnknown: unknown,
  expressions: Record<string, unknown> | undefined,
): string[] {
  return isRecord(afterUnknown) ? shapes.unset(shape, expressions) : [];
}

function stringAttribute(body: Record<string, unknown>, key: string): string | undefined {
  const value = body[key];
  return typeof value === 'string' && value !== '' ? value : undefined;
}

const tagAttributes = ['labels', 'tags_all', 'tags'];

/**
 * The body's own `tags_all` (or `tags` when there is no `tags_all`) when it is exactly what
 * mergedTags would build without provider defaults: string values only, no `labels`, and every
 * `tags` entry already in `tags_all` with the same value (so also in the same order). Tags are read,
 * never changed, so the plan's object is shared instead of copied (as bodies are).
 */
function sharedTags(body: Record<string, unknown>): Record<string, string> | undefined {
  if (isRecord(body.labels)) return undefined;
  const all = body.tags_all;
  const own = body.tags;
  const merged = isRecord(all) ? all : isRecord(own) ? own : undefined;
  if (!merged || Object.hasOwn(merged, '__proto__')) return undefined;
  for (const name in merged) if (typeof merged[name] !== 'string') return undefined;
  if (merged !== own && isRecord(own)) {
    for (const name in own) {
      const item = own[name];
      if (item !== null && item !== undefined && typeof item !== 'object' && merged[name] !== item)
        return undefined;
    }
  }
  return merged as Record<string, string>;
}

/**
 * Tags as they will be on the object: provider default tags, then `tags_all` (which already merges
 * them when known), then the resource's own `tags`; GCP `labels` count as tags too.
 */
function mergedTags(
  defaults: Record<string, string> | undefined,
  body: Record<string, unknown>,
): Record<string, string> {
  if (!defaults) {
    const shared = sharedTags(body);
    if (shared) return shared;
  }
  const tags: Record<string, string> = {};
  if (defaults) for (const name in defaults) tags[name] = defaults[name]!;
  for (const key of tagAttributes) {
    const value = body[key];
    if (!isRecord(value)) continue;
    for (const name in value) {
      const item = value[name];
      if (item !== null && item !== undefined && typeof item !== 'object')
        tags[name] = typeof item === 'string' ? item : String(item);
    }
  }
  return tags;
}
