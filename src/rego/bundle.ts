import { readFileSync } from 'node:fs';
import { Parser, type ReadEntry } from 'tar';
import { ParapetError } from '../model/errors.js';

/** The parts of an OPA bundle parapet uses. */
export interface RegoBundle {
  /** The bundle file. */
  file: string;
  /** `/policy.wasm` (or the first module the manifest names). */
  wasm: Uint8Array;
  /** `data.json` documents merged at their directory paths. */
  data: Record<string, unknown>;
  /** Entrypoints the manifest declares for the Wasm module (`main/deny`, `k8srequiredlabels/violation`). */
  entrypoints: string[];
  /** `.manifest` as written by `opa build`, when present. */
  manifest?: Record<string, unknown>;
  /** `.rego` sources the bundle carries (path inside the bundle -> text). */
  sources: Record<string, string>;
}

/** Bundles larger than this are refused: a policy bundle is kilobytes, anything bigger is a mistake. */
const maxBundleBytes = 64 * 1024 * 1024;

/**
 * node-tar's parser (and the zlib stream under it) runs synchronously when handed the whole archive,
 * so a bundle is read without an event-loop turn; rule compilation, which is synchronous, relies on it.
 */
function readEntries(file: string, bytes: Buffer): Map<string, Buffer> {
  const entries = new Map<string, Buffer>();
  let total = 0;
  let failure: ParapetError | undefined;
  let ended = false;
  const fail = (message: string, cause?: unknown) => {
    failure ??= new ParapetError('PARAPET_REGO', `${file}: ${message}`, { file, cause });
  };
  const parser = new Parser({
    onReadEntry: (entry: ReadEntry) => {
      if (entry.type !== 'File') {
        entry.resume();
        return;
      }
      const chunks: Buffer[] = [];
      entry.on('data', (chunk: Buffer) => {
        total += chunk.length;
        if (total > maxBundleBytes) fail(`bundle unpacks to more than ${maxBundleBytes} bytes`);
        else chunks.push(chunk);
      });
      entry.on('end', () => entries.set(normalizeEntryPath(entry.path), Buffer.concat(chunks)));
    },
  });
  parser.on('error', (error: Error) => fail(`not a readable OPA bundle (${error.message})`, error));
  parser.on('warn', (_code: string, message: string | Error) =>
    fail(`not a readable OPA bundle (${typeof message === 'string' ? message : message.message})`),
  );
  parser.on('end', () => {
    ended = true;
  });
  parser.end(bytes);
  if (failure) throw failure;
  if (!ended) fail('not a readable OPA bundle (truncated archive)');
  if (failure) throw failure;
  return entries;
}

function normalizeEntryPath(path: string): string {
  return `/${path.replace(/^\.?\/+/, '')}`;
}

function setAtPath(root: Record<string, unknown>, segments: string[], value: unknown, file: string): void {
  if (segments.length === 0) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) {
      throw new ParapetError('PARAPET_REGO', `${file}: the root data.json must hold an object`, { file });
    }
    Object.assign(root, value);
    return;
  }
  let node = root;
  for (const segment of segments.slice(0, -1)) {
    const next = node[segment];
    if (next === undefined) node = node[segment] = {};
    else if (next !== null && typeof next === 'object' && !Array.isArray(next))
      node = next as Record<string, unknown>;
    else
      throw new ParapetError(
        'PARAPET_REGO',
        `${file}: data.json at /${segments.join('/')} conflicts with other data`,
        { file },
      );
  }
  node[segments[segments.length - 1]!] = value;
}

/** Read an OPA bundle file (`opa build -t wasm` output). */
export function readBundle(file: string): RegoBundle {
  let content: Buffer;
  try {
    content = readFileSync(file);
  } catch (error) {
    throw new ParapetError('PARAPET_REGO', `${file}: cannot read bundle (${(error as Error).message})`, {
      file,
      cause: error,
    });
  }
  return parseBundle(file, content);
}

/** Parse an OPA bundle; a bundle without a Wasm module is an error naming the file. */
export function parseBundle(file: string, content: Buffer): RegoBundle {
  if (content.length > maxBundleBytes)
    throw new ParapetError('PARAPET_REGO', `${file}: bundle is larger than ${maxBundleBytes} bytes`, {
      file,
    });
  const entries = readEntries(file, content);

  let manifest: Record<string, unknown> | undefined;
  const manifestBytes = entries.get('/.manifest');
  if (manifestBytes) {
    try {
      manifest = JSON.parse(manifestBytes.toString('utf8')) as Record<string, unknown>;
    } catch (error) {
      throw new ParapetError('PARAPET_REGO', `${file}: .manifest is not valid JSON`, { file, cause: error });
    }
  }
  const wasmDecls = Array.isArray(manifest?.wasm)
    ? (manifest.wasm as Array<{ entrypoint?: unknown; module?: unknown }>)
    : [];
  const moduleName =
    typeof wasmDecls[0]?.module === 'string' ? normalizeEntryPath(wasmDecls[0].module) : '/policy.wasm';
  const wasm = entries.get(moduleName) ?? entries.get('/policy.wasm');
  if (!wasm) {
    throw new ParapetError(
      'PARAPET_REGO',
      `${file}: bundle has no ${moduleName}; build it with \`opa build -t wasm -e <entrypoint>\` so it carries a compiled module`,
      { file },
    );
  }
  const entrypoints = wasmDecls
    .map((decl) => decl.entrypoint)
    .filter((entry): entry is string => typeof entry === 'string');

  const data: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const [path, value] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (path.endsWith('.rego')) sources[path] = value.toString('utf8');
    if (path === '/data.json' || path.endsWith('/data.json')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value.toString('utf8'));
      } catch (error) {
        throw new ParapetError('PARAPET_REGO', `${file}: ${path} is not valid JSON`, { file, cause: error });
      }
      const segments = path.split('/').slice(1, -1);
      setAtPath(data, segments, parsed, file);
    }
  }
  return { file, wasm: new Uint8Array(wasm), data, entrypoints, manifest, sources };
}
