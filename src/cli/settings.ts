import type { Command } from 'commander';
import { ParapetError } from '../model/errors.js';
import { severities, type Policy, type Severity } from '../model/policy.js';
import { defaultSettings, type Settings } from '../model/settings.js';
import { parseApproval } from '../engine/approvals.js';
import { createEngine, type Engine } from '../engine/engine.js';
import { assertSelectorsMatch, type SelectorGroup } from '../engine/selection.js';
import { loadPolicies } from '../policies/load.js';
import { loadConfig, withTrustedConfig, type LoadedConfig } from '../config/load.js';
import { assertConfiguredParameters } from '../config/parameters.js';
import { collect } from './io.js';
import { withPssVersion } from '../pss/settings.js';
import { parsePssVersion } from '../pss/version.js';

/** The policy-selection options `check`, `serve` and `policies` share. */
export interface PolicyOptions {
  select: string[];
  skip: string[];
  /** `--enable`: optional policies to run beside the rest. */
  enable?: string[];
  policies: string[];
  builtin: boolean;
  failOn?: string;
  /** `check`: how unknown-until-apply findings count (fail|warn|pass). */
  unknown?: string;
  /** `check`: POLICY:ADDRESS approvals. */
  approve?: string[];
  /** `--config FILE`; default: parapet.yaml (or .yml, or a dot file) in the working directory. */
  config?: string;
  /** `--trusted-config FILE`: the CI job's own settings, over the repository's (see README, trust). */
  trustedConfig?: string;
  /** `--pss-version latest|v1.N`: the Kubernetes version whose Pod Security Admission PSS policies follow. */
  pssVersion?: string;
  /** `check`: Conftest namespaces (Rego packages) to run (`--namespace`, repeatable). */
  conftestNamespaces?: string[];
}

export function addPolicyOptions(command: Command): Command {
  return command
    .option(
      '--select <glob>',
      'run only policies whose id matches the glob, tag:NAME, or an equivalent such as checkov:CKV_K8S_16 (repeatable)',
      collect,
      [],
    )
    .option('--skip <glob>', 'skip policies whose id matches the glob, or tag:NAME (repeatable)', collect, [])
    .option(
      '--enable <glob>',
      'also run the optional policies whose id matches the glob, tag:NAME or an equivalent (repeatable)',
      collect,
      [],
    )
    .option('--policies <path>', 'also load policies from this directory or file (repeatable)', collect, [])
    .option('--no-builtin', 'do not load the built-in policy library')
    .option(
      '--pss-version <version>',
      "Pod Security Standards as this Kubernetes version's Pod Security Admission checks them: latest or v1.N (default: pss.version, else latest)",
    )
    .option(
      '--config <file>',
      'configuration file (default: parapet.yaml in the working directory, if present)',
    )
    .option(
      '--trusted-config <file>',
      "the CI job's own configuration, over the repository's; only it may set rego.opa, rego.cacheDir, images.dockerConfig and paths outside the repository",
    );
}

export function parseSeverity(value: string, option: string): Severity {
  if (!(severities as readonly string[]).includes(value)) {
    throw new ParapetError(
      'PARAPET_USAGE',
      `${option}: "${value}" is not a severity (${severities.join(', ')})`,
    );
  }
  return value as Severity;
}

/**
 * The configuration in force: the repository's (`--config`, or parapet.yaml in the working
 * directory), read as untrusted, with the pipeline's `--trusted-config` over it.
 */
export function configFromOptions(options: PolicyOptions): LoadedConfig | undefined {
  const repository = loadConfig({ cwd: process.cwd(), file: options.config });
  if (options.trustedConfig === undefined) return repository;
  const trusted = loadConfig({ cwd: process.cwd(), file: options.trustedConfig, trusted: true })!;
  return withTrustedConfig(repository, trusted);
}

/**
 * Settings from the command line over `base`: by default the configuration file (`--config`, or
 * parapet.yaml in the working directory), else the defaults.
 */
export function buildSettings(
  options: PolicyOptions,
  base: Settings = configFromOptions(options)?.settings ?? defaultSettings(),
): Settings {
  let settings: Settings = { ...base };
  if (options.pssVersion !== undefined)
    settings = withPssVersion(settings, parsePssVersion(options.pssVersion, '--pss-version'));
  if (options.select.length) settings.select = options.select;
  if (options.skip.length) settings.skip = [...base.skip, ...options.skip];
  if (options.enable?.length) settings.enable = [...base.enable, ...options.enable];
  if (options.failOn !== undefined) settings.failOn = parseSeverity(options.failOn, '--fail-on');
  if (options.unknown !== undefined) {
    if (!['fail', 'warn', 'pass'].includes(options.unknown)) {
      throw new ParapetError('PARAPET_USAGE', `--unknown: "${options.unknown}" is not fail, warn or pass`);
    }
    settings.unknown = options.unknown as Settings['unknown'];
  }
  if (options.approve?.length)
    settings.approvals = [...base.approvals, ...options.approve.map((spec) => parseApproval(spec))];
  return settings;
}

/** Where each selector in effect was given: the command line, or the configuration file. */
export function selectorGroups(options: PolicyOptions, config: LoadedConfig | undefined): SelectorGroup[] {
  const groups: SelectorGroup[] = [];
  if (options.select.length) groups.push({ origin: '--select', selectors: options.select });
  else if (config)
    groups.push({ origin: `${config.file}: policies.select`, selectors: config.settings.select });
  if (config) groups.push({ origin: `${config.file}: policies.skip`, selectors: config.settings.skip });
  groups.push({ origin: '--skip', selectors: options.skip });
  if (config) groups.push({ origin: `${config.file}: policies.enable`, selectors: config.settings.enable });
  groups.push({ origin: '--enable', selectors: options.enable ?? [] });
  return groups;
}

export interface LoadedEngine {
  engine: Engine;
  policies: Policy[];
  settings: Settings;
  /** The configuration file that was read, if any. */
  config?: LoadedConfig;
}

/**
 * Throws when a `--namespace` names a package with no Conftest rule in the loaded policies: a
 * mistyped package would otherwise run nothing from the Rego directories and pass.
 */
function assertNamespacesMatch(policies: Policy[], namespaces: string[]): void {
  const found = new Set(
    policies.flatMap((policy) => {
      const spec = (policy.rule as { rego?: { flavor?: string; namespace?: string } }).rego;
      return spec?.flavor === 'conftest' && spec.namespace ? [spec.namespace] : [];
    }),
  );
  for (const namespace of namespaces) {
    if (found.has(namespace)) continue;
    throw new ParapetError(
      'PARAPET_USAGE',
      `--namespace: "${namespace}" matches no Rego package with deny, violation or warn rules in the --policies directories`,
    );
  }
}

/** Load policies and compile the engine exactly as `check` and `serve` both need it. */
export async function engineFromOptions(
  options: PolicyOptions,
  adjust: (settings: Settings) => Settings = (settings) => settings,
): Promise<LoadedEngine> {
  const config = configFromOptions(options);
  const settings = adjust(buildSettings(options, config?.settings));
  const policies = await loadPolicies({
    paths: [...(config?.policyPaths ?? []), ...options.policies],
    builtin: options.builtin && (config?.builtin ?? true),
    // Conftest packages to run: --namespace, else the rego section of parapet.yaml, else main.
    sourceOptions: {
      namespaces: options.conftestNamespaces?.length
        ? options.conftestNamespaces
        : (config?.settings.domains.rego as { namespaces?: string[] } | undefined)?.namespaces,
    },
  });
  assertSelectorsMatch(policies, selectorGroups(options, config));
  assertNamespacesMatch(policies, options.conftestNamespaces ?? []);
  if (config) assertConfiguredParameters(policies, config);
  if (policies.length === 0) {
    throw new ParapetError(
      'PARAPET_USAGE',
      'no policies to run: the built-in library is off (--no-builtin) and no --policies were given',
    );
  }
  const engine = await createEngine(policies, settings);
  return { engine, policies, settings, config };
}
