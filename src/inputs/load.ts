import { isAscii } from 'node:buffer';
import { readdirSync, readFileSync, realpathSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeError, isParapetError, ParapetError } from '../model/errors.js';
import { helmChartReason, notAnInputReason, terraformStateReason, toolFileReason } from './detect.js';
import type { Notice } from '../model/result.js';
import type { Resource } from '../model/resource.js';
import { jsonErrorOffset } from './json-position.js';
import { kubernetesInput } from './kubernetes.js';
import { inputAdapters } from './registry.js';
import { locateRendered, renderSource, renderTarget, type RenderOptions } from './render.js';
import { parseYamlDocuments } from './yaml.js';
import type { AdapterOutput } from './types.js';

/** Inputs larger than this are refused rather than exhausting memory. */
export const MAX_INPUT_BYTES = 512 * 1024 * 1024;

const inputExtensions = /\.(ya?ml|json)$/i;

export interface LoadInputsOptions {
  /** Reads standard input for the path `-`. */
  readStdin?: () => Promise<string>;
  /**
   * Takes each input's resources and notices as soon as it is parsed (an engine session, say),
   * and awaited before the next input is read. Nothing is kept then: the result is empty.
   */
  each?: (output: AdapterOutput) => Promise<void> | void;
  /**
   * An input that cannot be read or parsed becomes an `error` notice and the others are still
   * read (the CLI reports them all and exits 2). By default the first such error is thrown.
   */
  collectErrors?: boolean;
  /** Empty standard input is no resource rather than an error (`check --allow-empty`). */
  allowEmptyStdin?: boolean;
  /** How a Helm chart or kustomization given as a path is rendered. */
  render?: RenderOptions;
}

export interface LoadedInputs {
  resources: Resource[];
  notices: Notice[];
}

/** `:line:col` of the first JSON syntax error. */
function jsonErrorLocation(text: string, message: string): string {
  const match = /position (\d+)/.exec(message);
  const offset = match ? Number(match[1]) : jsonErrorOffset(text);
  if (offset < 0) return '';
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i += 1) {
    if (text.charCodeAt(i) === 10) {
      line += 1;
      lineStart = i + 1;
    }
  }
  return `:${line}:${offset - lineStart + 1}`;
}

function looksLikeJson(file: string, text: string): boolean {
  if (/\.json$/i.test(file)) return true;
  if (/\.ya?ml$/i.test(file)) return false;
  const first = /\S/.exec(text)?.[0];
  return first === '{' || first === '[';
}

/** Parse one input text of any supported format into resources. */
export function parseInput(
  file: string,
  text: string,
  options: { explicit: boolean } = { explicit: true },
): AdapterOutput {
  if (looksLikeJson(file, text)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      const message = describeError(error);
      const reason = message
        .replace(/^Unexpected token '(.)', .*$/s, "unexpected character '$1'")
        .replace(/ in JSON at position \d+.*$/s, '');
      const location = jsonErrorLocation(text, message);
      throw new ParapetError('PARAPET_INPUT_PARSE', `${file}${location}: invalid JSON: ${reason}`, {
        file,
        line: location ? Number(location.split(':')[1]) : undefined,
      });
    }
    const notInput = notAnInputReason(value);
    if (notInput !== undefined) return skipped(file, notInput, options.explicit);
    for (const adapter of inputAdapters) {
      if (adapter.detectJson?.(value) && adapter.fromJson) return adapter.fromJson(value, { file, text });
    }
    if (Array.isArray(value) && value.every((item) => kubernetesInput.detectJson!(item))) {
      return kubernetesInput.fromJson!({ apiVersion: 'v1', kind: 'List', items: value }, { file, text });
    }
    return skipped(file, notRecognised, options.explicit);
  }
  const documents = parseYamlDocuments(file, text);
  const source = { file, text, documents };
  const first = documents.find((doc) => doc.value !== null && doc.value !== undefined);
  if (first) {
    for (const adapter of inputAdapters) {
      if (adapter.detectYaml && adapter.fromYaml && adapter.detectYaml(first.value))
        return adapter.fromYaml(source);
    }
  }
  const output = kubernetesInput.fromYaml!(source);
  // A file the user named must be an input: one without a single manifest is a mistake, not a pass.
  if (options.explicit && output.resources.length === 0) {
    if (!first)
      throw new ParapetError('PARAPET_INPUT_FORMAT', `${file}: the file holds no YAML document`, { file });
    if (output.notices.some((notice) => notice.code === 'not-kubernetes'))
      throw new ParapetError('PARAPET_INPUT_FORMAT', `${file}: ${notRecognised}`, {
        file,
        line: first.line,
      });
  }
  return output;
}

const notRecognised =
  'not a recognised input (expected a Kubernetes manifest, a Terraform plan from "terraform show -json", or an AdmissionReview)';

function skipLevel(reason: string): Notice['level'] {
  return reason === terraformStateReason ? 'warning' : 'info';
}

/** A file that is not an input: an error when the user named it, else a notice that it was skipped. */
function skipped(file: string, reason: string, explicit: boolean): AdapterOutput {
  if (explicit) throw new ParapetError('PARAPET_INPUT_FORMAT', `${file}: ${reason}`, { file });
  return {
    resources: [],
    notices: [
      { level: skipLevel(reason), code: 'not-recognised', file, message: `${file}: skipped: ${reason}` },
    ],
  };
}

function readText(file: string): string {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new ParapetError(
      'PARAPET_INPUT_READ',
      `${file}: ${code === 'ENOENT' ? 'no such file or directory' : describeError(error)}`,
      { file },
    );
  }
  if (size > MAX_INPUT_BYTES) {
    throw new ParapetError(
      'PARAPET_INPUT_TOO_LARGE',
      `${file}: ${size} bytes is over the ${MAX_INPUT_BYTES}-byte input limit`,
      { file },
    );
  }
  try {
    const bytes = readFileSync(file);
    // Manifests are nearly always ASCII, which reads as Latin-1 with a plain copy instead of
    // UTF-8 decoding (a third of the time); anything else decodes as UTF-8 as before.
    return isAscii(bytes) ? bytes.toString('latin1') : bytes.toString('utf8');
  } catch (error) {
    throw new ParapetError('PARAPET_INPUT_READ', `${file}: cannot read: ${describeError(error)}`, { file });
  }
}

/** An input found in a directory: a file to read, or a notice that a file or folder was skipped. */
type WalkEntry = { file: string } | { notice: Notice };

/**
 * Input files below a directory: YAML and JSON, recursively, sorted, hidden entries skipped.
 * Symbolic links are followed; a link back into a directory being walked is reported, not looped.
 */
function walkInputs(dir: string): WalkEntry[] {
  const out: WalkEntry[] = [];
  // Real paths: the directories being walked (a link to one is a loop), and every directory and
  // file already taken (two links to one file read it once).
  const walking = new Set<string>();
  const taken = new Set<string>();
  const note = (file: string, level: Notice['level'], code: string, message: string) =>
    out.push({ notice: { level, code, file, message } });
  const visit = (current: string) => {
    const chart = helmChartReason(current);
    if (chart !== undefined) {
      note(current, 'warning', 'helm-chart', `${current}: skipped: ${chart}`);
      return;
    }
    let real: string;
    let entries;
    try {
      real = realpathSync(current);
      entries = readdirSync(current, { withFileTypes: true });
    } catch (error) {
      note(current, 'error', 'unreadable', `${current}: cannot read directory: ${describeError(error)}`);
      return;
    }
    if (taken.has(real)) return;
    walking.add(real);
    taken.add(real);
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(current, entry.name);
      let isDirectory = entry.isDirectory();
      let isFile = entry.isFile();
      if (entry.isSymbolicLink()) {
        try {
          const target = statSync(full);
          isDirectory = target.isDirectory();
          isFile = target.isFile();
        } catch (error) {
          if (inputExtensions.test(entry.name))
            note(full, 'error', 'unreadable', `${full}: broken symbolic link: ${describeError(error)}`);
          continue;
        }
        const target = realpathSync(full);
        if (isDirectory && walking.has(target)) {
          note(
            full,
            'warning',
            'symlink-loop',
            `${full}: skipped: symbolic link loops back to a parent directory`,
          );
          continue;
        }
        if (taken.has(target)) continue;
        if (isFile) taken.add(target);
      }
      if (isDirectory) visit(full);
      else if (isFile && inputExtensions.test(entry.name)) {
        const reason = toolFileReason(full);
        if (reason === undefined) out.push({ file: full });
        else note(full, skipLevel(reason), 'not-recognised', `${full}: skipped: ${reason}`);
      }
    }
    walking.delete(real);
  };
  visit(dir);
  return out;
}

/** An input that could not be read or parsed, as the `error` notice reports show. */
function errorOutput(file: string, error: unknown): AdapterOutput {
  const line = isParapetError(error) ? error.line : undefined;
  const notice: Notice = {
    level: 'error',
    code: isParapetError(error) ? error.code : 'PARAPET_INPUT_READ',
    file,
    message: isParapetError(error) ? error.message : `${file}: ${describeError(error)}`,
  };
  if (line !== undefined) notice.line = line;
  return { resources: [], notices: [notice] };
}

/** Read files, directories (recursively) and stdin (`-`) into resources, in the order given. */
export async function loadInputs(paths: string[], options: LoadInputsOptions = {}): Promise<LoadedInputs> {
  const resources: Resource[] = [];
  const notices: Notice[] = [];
  const add =
    options.each ??
    ((output: AdapterOutput) => {
      for (const resource of output.resources) resources.push(resource);
      notices.push(...output.notices);
    });
  /** Parse one input; with `collectErrors` its failure is a notice, else it is thrown. */
  const read = async (file: string, parse: () => Promise<AdapterOutput> | AdapterOutput) => {
    let output: AdapterOutput;
    try {
      output = await parse();
    } catch (error) {
      if (!options.collectErrors || !isParapetError(error)) throw error;
      output = errorOutput(file, error);
    }
    await add(output);
  };
  for (const given of paths) {
    if (given === '-') {
      if (!options.readStdin)
        throw new ParapetError('PARAPET_INPUT_READ', '-: standard input is not available');
      const readStdin = options.readStdin;
      await read('-', async () => {
        const text = await readStdin();
        // An empty pipe is what a failed command before it leaves (`terraform show` without pipefail).
        if (!/\S/.test(text)) {
          if (options.allowEmptyStdin) return { resources: [], notices: [] };
          throw new ParapetError(
            'PARAPET_INPUT_EMPTY',
            '-: standard input is empty (did the command before the pipe fail?)',
            { file: '-' },
          );
        }
        return parseInput('-', text);
      });
      continue;
    }
    let isDirectory = false;
    try {
      isDirectory = statSync(given).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      const problem = new ParapetError(
        'PARAPET_INPUT_READ',
        `${given}: ${code === 'ENOENT' ? 'no such file or directory' : describeError(error)}`,
        { file: given },
      );
      if (!options.collectErrors) throw problem;
      await add(errorOutput(given, problem));
      continue;
    }
    const target = renderTarget(given, isDirectory);
    if (target) {
      await read(target.marker, async () => {
        const text = await renderSource(target, options.render);
        return locateRendered(target, text, parseInput(target.dir, text));
      });
    } else if (isDirectory) {
      const entries = walkInputs(given);
      if (!entries.some((entry) => 'file' in entry))
        await add({
          resources: [],
          notices: [
            ...entries.flatMap((entry) => ('notice' in entry ? [entry.notice] : [])),
            {
              level: 'warning',
              code: 'empty-directory',
              file: given,
              message: `${given}: no YAML or JSON input files found`,
            },
          ],
        });
      else
        for (const entry of entries) {
          if ('notice' in entry) {
            const { notice } = entry;
            if (notice.level === 'error' && !options.collectErrors)
              throw new ParapetError('PARAPET_INPUT_READ', notice.message, { file: notice.file });
            await add({ resources: [], notices: [notice] });
          } else
            await read(entry.file, () => parseInput(entry.file, readText(entry.file), { explicit: false }));
        }
    } else {
      await read(given, () => parseInput(given, readText(given)));
    }
  }
  return { resources, notices };
}

/** Read all of standard input as UTF-8. */
export async function readStdin(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const buffer = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += buffer.length;
    if (size > MAX_INPUT_BYTES)
      throw new ParapetError(
        'PARAPET_INPUT_TOO_LARGE',
        `-: standard input is over the ${MAX_INPUT_BYTES}-byte input limit`,
        { file: '-' },
      );
    chunks.push(buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}
