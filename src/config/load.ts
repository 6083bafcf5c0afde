import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { firstAmbiguousScalar } from '../inputs/kubernetes-scalars.js';
import { LineCounter, parseDocument, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { Approval, Waiver } from '../model/finding.js';
import { ParapetError } from '../model/errors.js';
import type { Mode, Severity } from '../model/policy.js';
import type { UnknownHandling } from '../model/result.js';
import { defaultSettings, type Settings } from '../model/settings.js';
import { isInside, realPathOf } from '../policies/paths.js';
import { configSchema } from './schema.js';
import { domainSections } from './sections.js';

/** `parapet.yaml` as users write it: every field optional. */
export interface ConfigFile {
  version?: 1;
  policies?: { paths?: string[]; builtin?: boolean; select?: string[]; skip?: string[]; enable?: string[] };
  severity?: Record<string, Severity>;
  modes?: Record<string, Mode>;
  parameters?: Record<string, Record<string, unknown>>;
  exclude?: { namespaces?: string[]; files?: string[]; resources?: string[] };
  unknown?: UnknownHandling;
  failOn?: Severity;
  waivers?: Array<Omit<Waiver, 'origin'>>;
  approvals?: Approval[];
  annotationWaivers?: boolean;
  [domain: string]: unknown;
}

/** A configuration file, validated and normalised. */
export interface LoadedConfig {
  /** The file as shown in messages: relative to the working directory when inside it. */
  file: string;
  /** Absolute path of the file. */
  path: string;
  settings: Settings;
  /** Extra policy files or directories (absolute). */
  policyPaths: string[];
  /** Whether the built-in policy library is loaded. */
  builtin: boolean;
  /** The validated file as written (for merging a --trusted-config over it). */
  raw: ConfigFile;
}

/** File names looked for in the working directory, in this order. */
export const configFileNames = ['parapet.yaml', 'parapet.yml', '.parapet.yaml', '.parapet.yml'];

/** The configuration file in `cwd`, if there is one. */
export function findConfigFile(cwd: string): string | undefined {
  for (const name of configFileNames) {
    const candidate = path.join(cwd, name);
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/**
 * Loads `file` (or the configuration found in `cwd` when `file` is not given). Returns undefined
 * when no file is given and none is found; throws `PARAPET_CONFIG_*` errors naming file, line and field.
 */
export function loadConfig(options: {
  cwd: string;
  file?: string;
  /** The pipeline's own file (`--trusted-config`): every setting allowed, paths anywhere. */
  trusted?: boolean;
}): LoadedConfig | undefined {
  const absolute = options.file ? path.resolve(options.cwd, options.file) : findConfigFile(options.cwd);
  if (!absolute) return undefined;
  // A file named on the command line is shown as given; a discovered one relative to the working directory.
  const display = options.file ?? displayPath(absolute, options.cwd);
  let text: string;
  try {
    text = readFileSync(absolute, 'utf8');
  } catch (error) {
    const reason =
      (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : describeFsError(error);
    throw new ParapetError('PARAPET_CONFIG_READ', `${display}: cannot read configuration: ${reason}`, {
      file: display,
      cause: error,
    });
  }
  return parseConfig(text, { file: display, path: absolute, trusted: options.trusted });
}

/** Validates and normalises configuration text. `file` is used in messages, `path` to resolve relative paths. */
export function parseConfig(
  text: string,
  source: { file: string; path: string; trusted?: boolean },
): LoadedConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const yamlError = doc.errors[0];
  if (yamlError) {
    const { line, col } = lineCounter.linePos(yamlError.pos[0]);
    const message = yamlError.message.split('\n')[0] ?? yamlError.code;
    throw invalid(source.file, line, col, `not valid YAML: ${message}`);
  }
  const ambiguous = firstAmbiguousScalar(doc);
  if (ambiguous) {
    const { line, col } = lineCounter.linePos(ambiguous.offset);
    throw invalid(source.file, line, col, ambiguous.message);
  }
  const value: unknown = doc.toJS() ?? {};
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(source.file, 1, 1, 'the configuration must be a mapping of keys (policies, waivers, ...)');
  }
  const validateConfig = configValidator();
  if (!validateConfig(value)) {
    const error = pickError(validateConfig.errors ?? []);
    const { segments, message } = explain(error);
    const position = positionOf(doc, lineCounter, segments, error);
    throw invalid(source.file, position.line, position.col, `${formatPath(segments)}: ${message}`);
  }
  if (!source.trusted) assertRepositoryMaySet(value as ConfigFile, source, doc, lineCounter);
  return normalizeConfig(value as ConfigFile, source);
}

/**
 * Settings a repository's own configuration may not set: each names a program parapet runs or a
 * credential it reads, which a pull request under review must not choose. The CI job sets them in
 * a `--trusted-config` file (or `PARAPET_OPA` for the opa binary).
 */
export const pipelineOnlySettings: Segment[][] = [
  ['rego', 'opa'],
  ['rego', 'cacheDir'],
  ['images', 'dockerConfig'],
];

/** File settings a repository may set, confined to the tree of the configuration file's directory. */
export const repositoryPathSettings: Segment[][] = [
  ['policies', 'paths'],
  ['cost', 'pricing'],
  ['images', 'knownExploited'],
  ['images', 'vulnerabilityReports'],
  ['images', 'cosignKeys'],
];

function settingAt(value: unknown, segments: Segment[]): unknown {
  let node = value;
  for (const segment of segments) {
    if (node === null || typeof node !== 'object') return undefined;
    node = (node as Record<string, unknown>)[segment];
  }
  return node;
}

function assertRepositoryMaySet(
  config: ConfigFile,
  source: { file: string; path: string },
  doc: Document,
  lineCounter: LineCounter,
): void {
  const at = (segments: Segment[]) =>
    positionOf(doc, lineCounter, segments, { keyword: 'additionalProperties' } as ErrorObject);
  for (const segments of pipelineOnlySettings) {
    if (settingAt(config, segments) === undefined) continue;
    const { line, col } = at(segments);
    throw invalid(
      source.file,
      line,
      col,
      `${formatPath(segments)}: only the CI job may set this (in a --trusted-config file${segments[1] === 'opa' ? ', or PARAPET_OPA' : ''}): a repository's configuration cannot choose a program to run or a credential to read`,
    );
  }
  const directory = path.dirname(source.path);
  const root = realPathOf(directory);
  for (const segments of repositoryPathSettings) {
    const setting = settingAt(config, segments);
    const entries = Array.isArray(setting) ? setting : setting === undefined ? [] : [setting];
    entries.forEach((entry, index) => {
      if (typeof entry !== 'string') return;
      if (isInside(root, realPathOf(path.resolve(directory, entry)))) return;
      const where = Array.isArray(setting) ? [...segments, index] : segments;
      const { line, col } = positionOf(doc, lineCounter, where, { keyword: 'type' } as ErrorObject);
      throw invalid(
        source.file,
        line,
        col,
        `${formatPath(where)}: "${entry}" is outside ${path.dirname(source.file) === '.' ? 'the directory' : path.dirname(source.file)} of ${path.basename(source.file)}; a repository's configuration reads only files in its own tree (name other files on the command line or in a --trusted-config file)`,
      );
    });
  }
}

/** File settings that a trusted file may point anywhere: made absolute against its own directory. */
const trustedPathSettings: Segment[][] = [
  ...repositoryPathSettings,
  ['rego', 'cacheDir'],
  ['images', 'dockerConfig'],
];

/**
 * The repository's configuration with the pipeline's `--trusted-config` over it: each top-level
 * section merges key by key, the trusted file winning; lists and plain values are replaced whole.
 */
export function withTrustedConfig(repository: LoadedConfig | undefined, trusted: LoadedConfig): LoadedConfig {
  const directory = path.dirname(trusted.path);
  const raw = structuredClone(trusted.raw) as Record<string, unknown>;
  for (const segments of [...trustedPathSettings, ['rego', 'opa']]) {
    const parent = settingAt(raw, segments.slice(0, -1)) as Record<string, unknown> | undefined;
    const key = segments.at(-1) as string;
    const entry = parent?.[key];
    if (entry === undefined || parent === undefined) continue;
    const absolute = (item: unknown) => (typeof item === 'string' ? path.resolve(directory, item) : item);
    // A bare opa name is looked up on PATH, not next to the file.
    if (key === 'opa') {
      if (typeof entry === 'string' && entry.includes('/')) parent[key] = absolute(entry);
    } else parent[key] = Array.isArray(entry) ? entry.map(absolute) : absolute(entry);
  }
  const merged = structuredClone(repository?.raw ?? {}) as Record<string, unknown>;
  for (const [key, value] of Object.entries(raw)) {
    const base = merged[key];
    merged[key] = isPlainObject(base) && isPlainObject(value) ? { ...base, ...value } : value;
  }
  return normalizeConfig(merged as ConfigFile, repository ?? trusted);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function normalizeConfig(config: ConfigFile, source: { file: string; path: string }): LoadedConfig {
  const directory = path.dirname(source.path);
  const settings = defaultSettings();
  settings.select = [...(config.policies?.select ?? [])];
  settings.skip = [...(config.policies?.skip ?? [])];
  settings.enable = [...(config.policies?.enable ?? [])];
  settings.severity = Object.entries(config.severity ?? {}).map(([policy, severity]) => ({
    policy,
    severity,
  }));
  settings.modes = Object.entries(config.modes ?? {}).map(([policy, mode]) => ({ policy, mode }));
  settings.parameters = structuredClone(config.parameters ?? {});
  settings.exclude = {
    namespaces: [...(config.exclude?.namespaces ?? [])],
    files: [...(config.exclude?.files ?? [])],
    resources: [...(config.exclude?.resources ?? [])],
  };
  if (config.unknown) settings.unknown = config.unknown;
  if (config.failOn) settings.failOn = config.failOn;
  settings.waivers = (config.waivers ?? []).map((waiver) => ({ ...waiver, origin: source.file }));
  settings.approvals = (config.approvals ?? []).map((approval) => ({ ...approval }));
  settings.allowAnnotationWaivers = config.annotationWaivers ?? false;
  for (const section of domainSections) {
    if (config[section.key] === undefined) continue;
    const value = config[section.key];
    settings.domains[section.key] = section.normalize
      ? section.normalize(value, { file: source.file, directory })
      : structuredClone(value);
  }
  return {
    file: source.file,
    path: source.path,
    settings,
    policyPaths: (config.policies?.paths ?? []).map((entry) => path.resolve(directory, entry)),
    builtin: config.policies?.builtin ?? true,
    raw: config,
  };
}

const requireCommonJs = createRequire(import.meta.url);
let validateConfigFile: ValidateFunction | undefined;

/** Compiled on the first configuration file read: commands run without one never load ajv. */
function configValidator(): ValidateFunction {
  if (!validateConfigFile) {
    // ajv is CommonJS, so it can be loaded here, synchronously, by the one caller that needs it.
    const { Ajv2020 } = requireCommonJs('ajv/dist/2020.js') as typeof import('ajv/dist/2020.js');
    const addFormats = requireCommonJs('ajv-formats') as typeof import('ajv-formats');
    const ajv = new Ajv2020({ strict: true, allErrors: false, verbose: true });
    addFormats.default(ajv, ['date']);
    validateConfigFile = ajv.compile(configSchema);
  }
  return validateConfigFile;
}

function invalid(file: string, line: number, col: number, message: string): ParapetError {
  return new ParapetError('PARAPET_CONFIG_INVALID', `${file}:${line}:${col}: ${message}`, { file });
}

/** With `allErrors: false` ajv stops at the first failure; prefer the most specific one if several. */
function pickError(errors: ErrorObject[]): ErrorObject {
  return errors.reduce((best, error) =>
    error.instancePath.length > best.instancePath.length ? error : best,
  );
}

type Segment = string | number;

function pointerSegments(pointer: string): Segment[] {
  if (pointer === '') return [];
  return pointer
    .slice(1)
    .split('/')
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((part) => (/^(0|[1-9]\d*)$/.test(part) ? Number(part) : part));
}

/** `waivers[2].expires`, `severity["pss-*"]`, or `(top level)`. */
export function formatPath(segments: Segment[]): string {
  if (segments.length === 0) return '(top level)';
  let out = '';
  for (const segment of segments) {
    if (typeof segment === 'number') out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += out ? `.${segment}` : segment;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out;
}

function explain(error: ErrorObject): { segments: Segment[]; message: string } {
  const segments = pointerSegments(error.instancePath);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const key = String(params.additionalProperty);
      const allowed = allowedKeys(error.parentSchema);
      const suggestion = closest(key, allowed);
      const hint = suggestion
        ? ` (did you mean "${suggestion}"?)`
        : allowed.length
          ? ` (allowed: ${allowed.join(', ')})`
          : '';
      return { segments: [...segments, key], message: `unknown key${hint}` };
    }
    case 'required':
      return { segments, message: `missing required key "${String(params.missingProperty)}"` };
    case 'enum':
      return {
        segments,
        message: `must be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}, got ${show(error.data)}`,
      };
    case 'const':
      return { segments, message: `must be ${JSON.stringify(params.allowedValue)}, got ${show(error.data)}` };
    case 'type':
      return { segments, message: `must be ${article(String(params.type))}, got ${show(error.data)}` };
    case 'format':
      return params.format === 'date'
        ? { segments, message: `must be a date written YYYY-MM-DD, got ${show(error.data)}` }
        : { segments, message: `must be a valid ${String(params.format)}, got ${show(error.data)}` };
    case 'minLength':
      return { segments, message: 'must not be empty' };
    default:
      return { segments, message: error.message ?? `fails ${error.keyword}` };
  }
}

function allowedKeys(schema: unknown): string[] {
  const properties = (schema as { properties?: Record<string, unknown> } | undefined)?.properties;
  return properties ? Object.keys(properties).filter((key) => key !== '$schema') : [];
}

function article(type: string): string {
  const names: Record<string, string> = {
    object: 'a mapping',
    array: 'a list',
    string: 'a string',
    boolean: 'true or false',
    number: 'a number',
    integer: 'an integer',
  };
  return names[type] ?? type;
}

function show(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  const text = JSON.stringify(value);
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** The allowed key closest to a misspelt one, when it is close enough to be a typo. */
function closest(key: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      current[j] = Math.min(
        (previous[j] ?? 0) + 1,
        (current[j - 1] ?? 0) + 1,
        (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

/** Line and column of the YAML node at `segments` (the key itself for an unknown key). */
function positionOf(
  doc: Document,
  lineCounter: LineCounter,
  segments: Segment[],
  error: ErrorObject,
): { line: number; col: number } {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
  const keyIsLast = error.keyword === 'additionalProperties';
  segments.forEach((segment, index) => {
    if (node === undefined) return;
    if (isMap(node)) {
      const pair = node.items.find(
        (item) => isPair(item) && isScalar(item.key) && String(item.key.value) === String(segment),
      );
      if (!pair) {
        node = undefined;
        return;
      }
      const last = index === segments.length - 1;
      const target = last && keyIsLast ? pair.key : (pair.value ?? pair.key);
      offset = (target as Node | null)?.range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment];
      offset = (item as Node | null)?.range?.[0] ?? offset;
      node = item;
    } else {
      node = undefined;
    }
  });
  return lineCounter.linePos(offset);
}

function displayPath(absolute: string, cwd: string): string {
  const relative = path.relative(cwd, absolute);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : absolute;
}

function describeFsError(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  if (code === 'EISDIR') return 'it is a directory';
  if (code === 'EACCES') return 'permission denied';
  return (error as Error).message.split('\n')[0] ?? String(error);
}
