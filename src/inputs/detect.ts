import { existsSync } from 'node:fs';
import path from 'node:path';

/**
 * Files that sit beside manifests in a repository but are never an input: checking them would
 * only add "not recognised" noise, and a tsconfig.json with comments would be a parse error.
 */
const toolFileNames = new Set([
  'package.json',
  'package-lock.json',
  'npm-shrinkwrap.json',
  'composer.json',
  'bower.json',
  'lerna.json',
  'jsconfig.json',
  'deno.json',
  'renovate.json',
  'tslint.json',
  'angular.json',
  'turbo.json',
  'nx.json',
  'vercel.json',
  'biome.json',
  'devcontainer.json',
  '.terraform.lock.hcl.json',
]);

/** Why a file found in a directory is not read at all (package manifests, tool settings), or undefined. */
export function toolFileReason(file: string): string | undefined {
  const name = path.basename(file).toLowerCase();
  if (toolFileNames.has(name) || /^tsconfig(\..+)?\.json$/.test(name))
    return 'a tool or package manifest, not a Kubernetes, Terraform plan or AdmissionReview input';
  if (/\.tfstate(\.backup)?(\.json)?$/.test(name)) return terraformStateReason;
  return undefined;
}

/** A state where a plan was meant is a likely pipeline mistake, so it is a warning, not an info notice. */
export const terraformStateReason =
  'a Terraform state, not a plan; check the plan instead: terraform show -json PLANFILE';

/**
 * Why a parsed JSON document is recognisably not an input (a Terraform state, raw or from
 * `terraform show -json` without a plan file), or undefined.
 */
export function notAnInputReason(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  // A raw state file (terraform.tfstate).
  if (
    typeof record.lineage === 'string' &&
    typeof record.serial === 'number' &&
    'terraform_version' in record
  )
    return terraformStateReason;
  // `terraform show -json` of a state: values, but nothing planned or changed.
  if (
    typeof record.format_version === 'string' &&
    typeof record.values === 'object' &&
    !('planned_values' in record) &&
    !('resource_changes' in record) &&
    !('configuration' in record)
  )
    return terraformStateReason;
  if (
    typeof record.name === 'string' &&
    (typeof record.version === 'string' ||
      typeof record.dependencies === 'object' ||
      typeof record.scripts === 'object') &&
    !('kind' in record) &&
    !('apiVersion' in record)
  )
    return 'a package manifest, not a Kubernetes, Terraform plan or AdmissionReview input';
  return undefined;
}

/**
 * When `dir` holds a Helm chart's sources (a Chart.yaml), the notice saying how to check it: its
 * templates are not manifests until rendered.
 */
export function helmChartReason(dir: string): string | undefined {
  if (!existsSync(path.join(dir, 'Chart.yaml')) && !existsSync(path.join(dir, 'Chart.yml'))) return undefined;
  return `a Helm chart source, not manifests: give the chart directory to parapet check to render it with helm template, or render it yourself: helm template RELEASE ${dir} | parapet check -`;
}
