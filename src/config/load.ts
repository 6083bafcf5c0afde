import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import type { ValidateFunction } from 'ajv';
import { firstAmbiguousScalar } from '../inputs/kubernetes-scalars.js';
import { LineCounter, parseDocument, isMap, isPair, isScalar, isSeq, type Document, type Node } from 'yaml';
import type { Approval, Waiver } from '../model/finding.js';
import { ParapetError } from '../model/errors.js';
import { explainSchemaError, formatPath, pickSchemaError, type Segment } from '../model/schema-errors.js';
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
  /**
   * Where the setting at `segments` is written (the file that set it, when a --trusted-config is
   * merged over the repository's): for errors about values checked after loading, such as policy
   * parameters. Points at the key itself with `key`, else at the value.
   */
  locate(segments: Segment[], options?: { key?: boolean }): SettingLocation;
}

/** A place in a configuration file; line and column are 1-based. */
export interface SettingLocation {
  file: string;
  line: number;
  col: number;
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
    const error = pickSchemaError(validateConfig.errors ?? []);
    const { segments, message } = explainSchemaError(error);
    const position = positionOf(doc, lineCounter, segments, error.keyword === 'additionalProperties');
    throw invalid(source.file, position.line, position.col, `${formatPath(segments)}: ${message}`);
  }
  if (!source.trusted) assertRepositoryMaySet(value as ConfigFile, source, doc, lineCounter);
  return normalizeConfig(value as ConfigFile, source, (segments, options) => ({
    file: source.file,
    ...positionOf(doc, lineCounter, segments, options?.key ?? false),
  }));
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
  const at = (segments: Segment[]) => positionOf(doc, lineCounter, segments, true);
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
      const { line, col } = positionOf(doc, lineCounter, where, false);
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
  // Sections merge key by key, so the file that set a setting is the one that set its first two keys.
  const locate: LoadedConfig['locate'] = (segments, options) =>
    !repository || settingAt(trusted.raw, segments.slice(0, 2)) !== undefined
      ? trusted.locate(segments, options)
      : repository.locate(segments, options);
  return normalizeConfig(merged as ConfigFile, repository ?? trusted, locate);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function normalizeConfig(
  config: ConfigFile,
  source: { file: string; path: string },
  locate: LoadedConfig['locate'],
): LoadedConfig {
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
    locate,
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

/** Line and column of the YAML node at `segments` (of its key with `keyIsLast`, as for an unknown key). */
function positionOf(
  doc: Document,
  lineCounter: LineCounter,
  segments: Segment[],
  keyIsLast: boolean,
): { line: number; col: number } {
  let node: unknown = doc.contents;
  let offset = (doc.contents as Node | null)?.range?.[0] ?? 0;
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
