/**
 * The `configuration` section of a plan: the module tree as written, with unevaluated expressions.
 * It is the only place a plan says which resource refers to which (an encryption configuration to
 * its bucket, a rule to its security group), and where provider settings (region, default tags)
 * live. References are resolved here at configuration level — relative to the referencing module,
 * through input variables (up to the caller) and module outputs (down into a call) — and turned
 * into instance addresses by the plan builder.
 */
import type { InstanceKey } from './address.js';

/** `{ constant_value }` or `{ references }`, as Terraform writes an expression. */
export interface Expression {
  constant_value?: unknown;
  references?: string[];
}

export interface ConfigResource {
  address?: string;
  mode?: string;
  type?: string;
  name?: string;
  provider_config_key?: string;
  expressions?: Record<string, unknown>;
  count_expression?: Expression;
  for_each_expression?: Expression;
}

interface ModuleCallJson {
  expressions?: Record<string, unknown>;
  count_expression?: Expression;
  for_each_expression?: Expression;
  module?: ModuleJson;
}

interface ModuleJson {
  resources?: ConfigResource[];
  module_calls?: Record<string, ModuleCallJson>;
  outputs?: Record<string, { expression?: Expression }>;
  variables?: Record<string, { default?: unknown }>;
}

interface ProviderConfigJson {
  name?: string;
  full_name?: string;
  alias?: string;
  module_address?: string;
  expressions?: Record<string, unknown>;
}

/** One module of the configuration tree (shared by all instances of a call with count/for_each). */
export interface ConfigModule {
  /** Module call names from the root: `['net', 'subnets']`. */
  path: string[];
  /** `module.net.module.subnets` ('' for the root). */
  address: string;
  parent?: ConfigModule;
  /** Whether the call creating this module uses count or for_each. */
  repeated: boolean;
  resources: Map<string, ConfigResource>;
  calls: Map<string, { expressions: Record<string, unknown>; module: ConfigModule }>;
  outputs: Record<string, { expression?: Expression }>;
  variables: Record<string, { default?: unknown }>;
}

/**
 * Where a reference points, relative to the referencing module: go `up` callers, then down through
 * `down` module calls, then take resource `local` there.
 */
export interface ReferenceTarget {
  up: number;
  /** `key` names one instance of the call; `any` means every instance of a repeated call. */
  down: Array<{ name: string; key?: InstanceKey; any: boolean }>;
  local: string;
  /** The reference names one instance (`aws_subnet.a[0]`). */
  key?: InstanceKey;
  /** The expression uses `count.index` or `each.*`: prefer the instance with the referrer's own key. */
  correlated: boolean;
}

/** References of one attribute (dotted path through nested blocks) of a configured resource. */
export interface AttributeReferences {
  attribute: string;
  targets: ReferenceTarget[];
}

/** Provider settings a resource inherits. */
export interface ProviderSettings {
  /** Provider local name without alias: `aws`, `google`, `azurerm`. */
  name: string;
  alias?: string;
  region?: string;
  defaultTags?: Record<string, string>;
}

const MAX_DEPTH = 32;

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isExpression(value: unknown): value is Expression {
  return isRecord(value) && (Array.isArray(value.references) || 'constant_value' in value);
}

/** The first `NAME` or `NAME[KEY]` segment of a reference, starting at `position`. */
function segment(
  text: string,
  position: number,
): { name: string; key?: InstanceKey; end: number } | undefined {
  const match = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(text.slice(position));
  if (!match) return undefined;
  let end = position + match[0].length;
  let key: InstanceKey | undefined;
  if (text[end] === '[') {
    const close = text.indexOf(']', end);
    if (close < 0) return undefined;
    const raw = text.slice(end + 1, close);
    if (/^\d+$/.test(raw)) key = Number(raw);
    else if (raw.startsWith('"') && raw.endsWith('"')) {
      try {
        key = JSON.parse(raw) as string;
      } catch {
        key = undefined;
      }
    }
    end = close + 1;
  }
  return key === undefined ? { name: match[0], end } : { name: match[0], key, end };
}

/** The configuration tree of one plan, with memoised reference resolution. */
export class PlanConfiguration {
  readonly root: ConfigModule;
  private readonly modules = new Map<string, ConfigModule>();
  private readonly providerConfigs: Record<string, ProviderConfigJson>;
  private readonly providerByScope = new Map<string, string>();
  private readonly providerCache = new Map<string, ProviderSettings | undefined>();
  private readonly referenceCache = new Map<ConfigResource, AttributeReferences[]>();
  private readonly variables: Record<string, { value?: unknown }>;

  constructor(configuration: unknown, variables: unknown) {
    const config = isRecord(configuration) ? configuration : {};
    this.variables = isRecord(variables) ? (variables as Record<string, { value?: unknown }>) : {};
    this.providerConfigs = isRecord(config.provider_config)
      ? (config.provider_config as Record<string, ProviderConfigJson>)
      : {};
    for (const [key, provider] of Object.entries(this.providerConfigs)) {
      if (!isRecord(provider) || typeof provider.name !== 'string') continue;
      this.providerByScope.set(
        `${provider.module_address ?? ''}|${provider.name}|${provider.alias ?? ''}`,
        key,
      );
    }
    this.root = this.addModule(
      isRecord(config.root_module) ? (config.root_module as ModuleJson) : {},
      [],
      undefined,
      false,
    );
  }

  private addModule(
    json: ModuleJson,
    path: string[],
    parent: ConfigModule | undefined,
    repeated: boolean,
  ): ConfigModule {
    const node: ConfigModule = {
      path,
      address: path.map((name) => `module.${name}`).join('.'),
      parent,
      repeated,
      resources: new Map(),
      calls: new Map(),
      outputs: isRecord(json.outputs) ? json.outputs : {},
      variables: isRecord(json.variables) ? json.variables : {},
    };
    this.modules.set(path.join('.'), node);
    for (const resource of Array.isArray(json.resources) ? json.resources : []) {
      if (!isRecord(resource) || typeof resource.type !== 'string' || typeof resource.name !== 'string')
        continue;
      const local =
        resource.mode === 'data'
          ? `data.${resource.type}.${resource.name}`
          : `${resource.type}.${resource.name}`;
      node.resources.set(local, resource);
    }
    for (const [name, call] of Object.entries(isRecord(json.module_calls) ? json.module_calls : {})) {
      if (!isRecord(call)) continue;
      const callRepeated = call.count_expression !== undefined || call.for_each_expression !== undefined;
      const child = this.addModule(
        isRecord(call.module) ? call.module : {},
        [...path, name],
        node,
        callRepeated,
      );
      node.calls.set(name, {
        expressions: isRecord(call.expressions) ? call.expressions : {},
        module: child,
      });
    }
    return node;
  }

  /** The configuration module at a path of call names (`a.b`), if the plan has it. */
  module(configKey: string): ConfigModule | undefined {
    return this.modules.get(configKey);
  }

  /** The configured resource `local` (`aws_s3_bucket.b`) in module `configKey`. */
  resource(configKey: string, local: string): ConfigResource | undefined {
    return this.modules.get(configKey)?.resources.get(local);
  }

  /** Every attribute of a configured resource that refers to other resources, resolved to targets. */
  references(module: ConfigModule, resource: ConfigResource): AttributeReferences[] {
    const cached = this.referenceCache.get(resource);
    if (cached) return cached;
    const result: AttributeReferences[] = [];
    const visit = (value: unknown, attribute: string): void => {
      if (isExpression(value)) {
        if (!value.references?.length) return;
        const targets = this.resolve(module, value.references, { up: 0, down: [] }, 0);
        if (targets.length) result.push({ attribute, targets });
        return;
      }
      if (Array.isArray(value)) {
        for (const item of value) visit(item, attribute);
        return;
      }
      if (isRecord(value)) {
        for (const [key, child] of Object.entries(value))
          visit(child, attribute ? `${attribute}.${key}` : key);
      }
    };
    visit(resource.expressions ?? {}, '');
    // An attribute that is a list of blocks shows up once per block; merge them.
    const merged = new Map<string, AttributeReferences>();
    for (const entry of result) {
      const existing = merged.get(entry.attribute);
      if (existing) existing.targets.push(...entry.targets);
      else merged.set(entry.attribute, entry);
    }
    const list = [...merged.values()];
    this.referenceCache.set(resource, list);
    return list;
  }

  /**
   * Resolves reference strings written in `module` to resource targets. `relative` is where `module`
   * sits relative to the referencing resource's module.
   */
  private resolve(
    module: ConfigModule,
    references: string[],
    relative: Pick<ReferenceTarget, 'up' | 'down'>,
    depth: number,
  ): ReferenceTarget[] {
    if (depth > MAX_DEPTH) return [];
    const correlated = references.some((ref) => ref === 'count.index' || ref.startsWith('each.'));
    const targets: ReferenceTarget[] = [];
    for (const reference of references) {
      const head = segment(reference, 0);
      if (!head) continue;
      if (head.name === 'var') {
        const variable = segment(reference, head.end + 1);
        if (!variable || !module.parent || reference.length !== variable.end) continue;
        const call = module.parent.calls.get(module.path[module.path.length - 1] ?? '');
        const expression = call?.expressions[variable.name];
        if (!isExpression(expression) || !expression.references) continue;
        const up =
          relative.down.length > 0
            ? { up: relative.up, down: relative.down.slice(0, -1) }
            : { up: relative.up + 1, down: [] };
        targets.push(...this.resolve(module.parent, expression.references, up, depth + 1));
      } else if (head.name === 'module') {
        const call = segment(reference, head.end + 1);
        if (!call || reference[call.end] !== '.') continue;
        const output = segment(reference, call.end + 1);
        const child = module.calls.get(call.name)?.module;
        if (!output || !child || reference.length !== output.end) continue;
        const expression = child.outputs[output.name]?.expression;
        if (!expression?.references) continue;
        const step = { name: call.name, key: call.key, any: call.key === undefined && child.repeated };
        targets.push(
          ...this.resolve(
            child,
            expression.references,
            { up: relative.up, down: [...relative.down, step] },
            depth + 1,
          ),
        );
      } else {
        let type = head;
        let local = '';
        if (head.name === 'data') {
          const dataType = segment(reference, head.end + 1);
          if (!dataType) continue;
          type = dataType;
          local = 'data.';
        }
        if (type.key !== undefined || reference[type.end] !== '.') continue;
        const name = segment(reference, type.end + 1);
        if (!name) continue;
        local += `${type.name}.${name.name}`;
        if (!module.resources.has(local)) continue;
        targets.push({ up: relative.up, down: relative.down, local, key: name.key, correlated });
      }
    }
    return dedupeTargets(targets);
  }

  /** Provider settings for a configured resource (region, default tags), following inheritance. */
  provider(module: ConfigModule, resource: ConfigResource): ProviderSettings | undefined {
    const key = resource.provider_config_key ?? '';
    const cacheKey = `${module.address}|${key}`;
    if (this.providerCache.has(cacheKey)) return this.providerCache.get(cacheKey);
    const configKey = this.providerConfigs[key]
      ? key
      : this.inheritedProviderKey(module, key, resource.type ?? '');
    const config = configKey === undefined ? undefined : this.providerConfigs[configKey];
    let settings: ProviderSettings | undefined;
    if (config?.name) {
      const owner = this.moduleByAddress(config.module_address ?? '') ?? this.root;
      const expressions = config.expressions ?? {};
      settings = { name: config.name };
      if (config.alias) settings.alias = config.alias;
      const region = this.evaluate(owner, expressions.region, 0);
      if (typeof region === 'string') settings.region = region;
      const defaultTagsBlock = Array.isArray(expressions.default_tags)
        ? expressions.default_tags[0]
        : undefined;
      const tags = isRecord(defaultTagsBlock) ? this.evaluate(owner, defaultTagsBlock.tags, 0) : undefined;
      if (isRecord(tags)) settings.defaultTags = stringMap(tags);
    }
    this.providerCache.set(cacheKey, settings);
    return settings;
  }

  private moduleByAddress(address: string): ConfigModule | undefined {
    if (address === '') return this.root;
    return this.modules.get(address.replace(/(^|\.)module\./g, '$1').replace(/\[[^\]]*\]/g, ''));
  }

  /**
   * Older Terraform versions write `module.child:aws` (or `child:aws`) for a provider a module
   * inherits, a key absent from `provider_config`: walk up the module tree to the configuration the
   * module inherits implicitly.
   */
  private inheritedProviderKey(module: ConfigModule, key: string, type: string): string | undefined {
    const local = key.includes(':') ? key.slice(key.lastIndexOf(':') + 1) : key || type.split('_')[0] || '';
    const [name, alias] = local.split('.', 2);
    for (let node: ConfigModule | undefined = module; node; node = node.parent) {
      const found = this.providerByScope.get(`${node.address}|${name}|${alias ?? ''}`);
      if (found) return found;
    }
    return undefined;
  }

  /**
   * The value of an expression when the configuration alone tells it: a constant, or an input
   * variable that is itself a constant or set in the plan's `variables`.
   */
  evaluate(module: ConfigModule, expression: unknown, depth: number): unknown {
    if (!isExpression(expression) || depth > MAX_DEPTH) return undefined;
    if ('constant_value' in expression) return expression.constant_value;
    const variables = new Set((expression.references ?? []).filter((ref) => ref.startsWith('var.')));
    if (variables.size !== 1 || expression.references?.some((ref) => !ref.startsWith('var.')))
      return undefined;
    const variable = [...variables][0]?.slice(4) ?? '';
    if (/[.[]/.test(variable)) return undefined;
    if (!module.parent) {
      const given = this.variables[variable];
      return given && 'value' in given ? given.value : module.variables[variable]?.default;
    }
    const call = module.parent.calls.get(module.path[module.path.length - 1] ?? '');
    const argument = call?.expressions[variable];
    if (argument === undefined) return module.variables[variable]?.default;
    return this.evaluate(module.parent, argument, depth + 1);
  }
}

function stringMap(value: Record<string, unknown>): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [key, item] of Object.entries(value)) {
    if (item !== null && item !== undefined && typeof item !== 'object') result[key] = String(item);
  }
  return result;
}

/** Drops duplicates, and an unkeyed target when the same reference also names an instance. */
function dedupeTargets(targets: ReferenceTarget[]): ReferenceTarget[] {
  const seen = new Map<string, ReferenceTarget>();
  const keyed = new Set<string>();
  for (const target of targets) {
    const base = `${target.up}|${JSON.stringify(target.down)}|${target.local}`;
    if (target.key !== undefined) keyed.add(base);
    seen.set(`${base}|${JSON.stringify(target.key ?? null)}`, target);
  }
  return [...seen.entries()]
    .filter(([id, target]) => target.key !== undefined || !keyed.has(id.slice(0, id.lastIndexOf('|'))))
    .map(([, target]) => target);
}
