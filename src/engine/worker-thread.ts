/**
 * Starting a worker thread on one of parapet's own modules. Built code (dist/) loads the module's
 * `.js` file directly. Under vitest the sources are TypeScript, which a worker thread cannot import
 * by itself; it gets a small loader that transpiles them with the `typescript` dev dependency.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker, type WorkerOptions } from 'node:worker_threads';

const typescriptLoader = `
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';
let ts;
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('.') && specifier.endsWith('.js') && context.parentURL && context.parentURL.endsWith('.ts')) {
    const url = new URL(specifier, context.parentURL);
    if (url.protocol === 'file:' && !existsSync(fileURLToPath(url))) return { url: url.href.slice(0, -3) + '.ts', shortCircuit: true };
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (!url.endsWith('.ts')) return next(url, context);
  ts ??= createRequire(url)('typescript');
  const source = await readFile(fileURLToPath(url), 'utf8');
  const output = ts.transpileModule(source, { fileName: fileURLToPath(url), compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: false } });
  return { format: 'module', source: output.outputText, shortCircuit: true };
}`;

/**
 * The URL of module `name` (without extension) beside `base` (an `import.meta.url`): the `.ts`
 * source when `base` is one and it exists, the `.js` file otherwise.
 */
export function siblingModule(base: string, name: string): URL {
  if (base.endsWith('.ts')) {
    const source = new URL(`./${name}.ts`, base);
    if (existsSync(fileURLToPath(source))) return source;
  }
  return new URL(`./${name}.js`, base);
}

/** Whether `url` names a TypeScript source (the worker then needs the transpiling loader). */
export function needsTypescriptLoader(url: URL | string): boolean {
  return String(url).endsWith('.ts');
}

/** Starts a worker thread running the module at `url` (a `.js` file, or a `.ts` source under vitest). */
export function startModuleWorker(url: URL, options: WorkerOptions = {}): Worker {
  if (!needsTypescriptLoader(url)) return new Worker(url, options);
  const bootstrap = `
    const { register } = await import('node:module');
    register('data:text/javascript,' + encodeURIComponent(${JSON.stringify(typescriptLoader)}));
    await import(${JSON.stringify(url.href)});`;
  return new Worker(bootstrap, { ...options, eval: true });
}
