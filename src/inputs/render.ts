import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeError, ParapetError } from '../model/errors.js';
import type { AdapterOutput } from './types.js';

/** How `check` renders a Helm chart (`helm template`); kustomizations take no options. */
export interface RenderOptions {
  /** `helm template --values FILE`, in order. */
  helmValues?: string[];
  /** `helm template --set KEY=VALUE`, in order. */
  helmSet?: string[];
  /** The release name the templates see (helm's default: `release-name`). */
  helmRelease?: string;
  /** `helm template --namespace NS`. */
  helmNamespace?: string;
  /** The PATH searched for helm, kustomize and kubectl (default: the process's). */
  searchPath?: string;
}

/** A source that is not manifests until a tool renders it. */
export interface RenderTarget {
  tool: 'helm' | 'kustomize';
  /** The chart or kustomization directory. */
  dir: string;
  /** The file that made it one (Chart.yaml, kustomization.yaml). */
  marker: string;
}

const chartFiles = ['Chart.yaml', 'Chart.yml'];
const kustomizationFiles = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'];

/** The chart or kustomization a path given to `check` names: its directory, or its marker file. */
export function renderTarget(given: string, isDirectory: boolean): RenderTarget | undefined {
  const dir = isDirectory ? given : path.dirname(given);
  const names = isDirectory ? [...chartFiles, ...kustomizationFiles] : [path.basename(given)];
  for (const name of names) {
    if (isDirectory && !existsSync(path.join(dir, name))) continue;
    if (chartFiles.includes(name)) return { tool: 'helm', dir, marker: path.join(dir, name) };
    if (kustomizationFiles.includes(name)) return { tool: 'kustomize', dir, marker: path.join(dir, name) };
  }
  return undefined;
}

function findExecutable(name: string, searchPath: string): string | undefined {
  for (const dir of searchPath.split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, name);
    try {
      if (statSync(candidate).isFile()) {
        accessSync(candidate, constants.X_OK);
        return candidate;
      }
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Charts and kustomizations larger than this when rendered are refused. */
const maxRenderedBytes = 256 * 1024 * 1024;
const renderTimeoutMs = 5 * 60_000;

function runTool(target: RenderTarget, command: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      command,
      args,
      { maxBuffer: maxRenderedBytes, timeout: renderTimeoutMs, encoding: 'utf8', windowsHide: true },
      (error, stdout, stderr) => {
        if (!error) return resolve(stdout);
        const shown = [path.basename(command), ...args].join(' ');
        const detail =
          (error as { killed?: boolean }).killed === true
            ? `timed out after ${renderTimeoutMs / 1000} s`
            : (
                stderr
                  .split('\n')
                  .map((line) => line.trim())
                  .filter((line) => line && !/^(WARNING|walk\.go)/.test(line))
                  .join('; ') || describeError(error)
              ).replace(/^Error: /, '');
        reject(
          new ParapetError('PARAPET_INPUT_RENDER', `${target.dir}: ${shown} failed: ${detail}`, {
            file: target.marker,
          }),
        );
      },
    );
  });
}

function helmArgs(target: RenderTarget, options: RenderOptions): string[] {
  const args = ['template'];
  if (options.helmRelease !== undefined) args.push(options.helmRelease);
  args.push(target.dir);
  if (options.helmNamespace !== undefined) args.push('--namespace', options.helmNamespace);
  for (const file of options.helmValues ?? []) args.push('--values', file);
  for (const value of options.helmSet ?? []) args.push('--set', value);
  return args;
}

function nonEmpty(target: RenderTarget, what: string, text: string): string {
  if (/\S/.test(text)) return text;
  throw new ParapetError('PARAPET_INPUT_RENDER', `${target.dir}: ${what} rendered no manifest`, {
    file: target.marker,
  });
}

/**
 * Render a Helm chart with `helm template` or a kustomization with `kustomize build` (or
 * `kubectl kustomize`), found on PATH. A missing tool is an error saying how to render it by hand:
 * the chart is never skipped silently.
 */
export async function renderSource(target: RenderTarget, options: RenderOptions = {}): Promise<string> {
  const searchPath = options.searchPath ?? process.env.PATH ?? '';
  if (target.tool === 'helm') {
    const helm = findExecutable('helm', searchPath);
    if (!helm)
      throw new ParapetError(
        'PARAPET_INPUT_RENDER',
        `${target.dir}: a Helm chart, and helm is not on PATH: install helm, or render it yourself: helm template RELEASE ${target.dir} | parapet check -`,
        { file: target.marker },
      );
    return nonEmpty(target, 'helm template', await runTool(target, helm, helmArgs(target, options)));
  }
  const kustomize = findExecutable('kustomize', searchPath);
  if (kustomize)
    return nonEmpty(target, 'kustomize build', await runTool(target, kustomize, ['build', target.dir]));
  const kubectl = findExecutable('kubectl', searchPath);
  if (kubectl)
    return nonEmpty(target, 'kubectl kustomize', await runTool(target, kubectl, ['kustomize', target.dir]));
  throw new ParapetError(
    'PARAPET_INPUT_RENDER',
    `${target.dir}: a kustomization, and neither kustomize nor kubectl is on PATH: install one, or render it yourself: kustomize build ${target.dir} | parapet check -`,
    { file: target.marker },
  );
}

/** `# Source: CHART/templates/x.yaml` comments of helm's output, by the line they are on. */
function helmSources(text: string): Array<{ line: number; source: string }> {
  const sources: Array<{ line: number; source: string }> = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i += 1) {
    const match = /^# Source: (\S.*?)\s*$/.exec(lines[i]!);
    if (match) sources.push({ line: i + 1, source: match[1]! });
  }
  return sources;
}

/**
 * Point the resources of a rendered chart at the template each came from, where Helm names it
 * (`# Source: web/templates/deployment.yaml` -> CHART_DIR/templates/deployment.yaml), and the
 * resources of a kustomization at its kustomization file. The line is 1: template lines do not
 * survive rendering, and a line of the rendered stream is in no file the user has.
 */
export function locateRendered(target: RenderTarget, text: string, output: AdapterOutput): AdapterOutput {
  const sources = target.tool === 'helm' ? helmSources(text) : [];
  for (const resource of output.resources) {
    // Field lines are lines of the rendered stream, which is in no file: findings take the resource's.
    delete resource.lineOf;
    if (target.tool === 'kustomize') {
      resource.location = { file: target.marker, line: 1 };
      continue;
    }
    let found: { line: number; source: string } | undefined;
    for (const source of sources) {
      if (source.line > resource.location.line) break;
      found = source;
    }
    if (!found) continue;
    // The first segment is the chart's name, which need not be its directory's.
    const inChart = found.source.split('/').slice(1).join('/');
    resource.location = { file: path.join(target.dir, inChart), line: 1 };
  }
  return output;
}
