import { isAscii } from 'node:buffer';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describeError, ParapetError } from '../model/errors.js';
import type { Notice } from '../model/result.js';
import type { Resource } from '../model/resource.js';
import { jsonErrorOffset } from './json-position.js';
import { kubernetesInput } from './kubernetes.js';
import { inputAdapters } from './registry.js';
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
      throw new ParapetError(
        'PARAPET_INPUT_PARSE',
        `${file}${jsonErrorLocation(text, message)}: invalid JSON: ${reason}`,
        { file },
      );
    }
    for (const adapter of inputAdapters) {
      if (adapter.detectJson?.(value) && adapter.fromJson) return adapter.fromJson(value, { file, text });
    }
    if (Array.isArray(value) && value.every((item) => kubernetesInput.detectJson!(item))) {
      return kubernetesInput.fromJson!({ apiVersion: 'v1', kind: 'List', items: value }, { file, text });
    }
    const what =
      'not a recognised input (expected a Kubernetes manifest, a Terraform plan from "terraform show -json", or an AdmissionReview)';
    if (options.explicit) throw new ParapetError('PARAPET_INPUT_FORMAT', `${file}: ${what}`, { file });
    return {
      resources: [],
      notices: [{ level: 'info', code: 'not-recognised', file, message: `${file}: skipped: ${what}` }],
    };
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
  return kubernetesInput.fromYaml!(source);
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

/** Input files below a directory: YAML and JSON, recursively, sorted, hidden entries skipped. */
function walkInputs(dir: string): string[] {
  const out: string[] = [];
  const visit = (current: string) => {
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch (error) {
      throw new ParapetError(
        'PARAPET_INPUT_READ',
        `${current}: cannot read directory: ${describeError(error)}`,
        { file: current },
      );
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const entry of entries) {
      if (entry.name.startsWith('.') || entry.name === 'node_modules') continue;
      const full = path.join(current, entry.name);
      if (entry.isDirectory()) visit(full);
      else if (entry.isFile() && inputExtensions.test(entry.name)) out.push(full);
    }
  };
  visit(dir);
  return out;
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
  for (const given of paths) {
    if (given === '-') {
      if (!options.readStdin)
        throw new ParapetError('PARAPET_INPUT_READ', '-: standard input is not available');
      await add(parseInput('-', await options.readStdin()));
      continue;
    }
    let isDirectory = false;
    try {
      isDirectory = statSync(given).isDirectory();
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new ParapetError(
        'PARAPET_INPUT_READ',
        `${given}: ${code === 'ENOENT' ? 'no such file or directory' : describeError(error)}`,
        { file: given },
      );
    }
    if (isDirectory) {
      const files = walkInputs(given);
      if (files.length === 0)
        await add({
          resources: [],
          notices: [
            {
              level: 'warning',
              code: 'empty-directory',
              file: given,
              message: `${given}: no YAML or JSON files found`,
            },
          ],
        });
      for (const file of files) await add(parseInput(file, readText(file), { explicit: false }));
    } else {
      await add(parseInput(given, readText(given)));
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
