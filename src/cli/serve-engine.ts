/**
 * The engine of one evaluation thread of `parapet serve`. A module of its own, apart from the
 * command, so that a thread imports the engine and its settings only, not the HTTP server and the
 * command line: a replacement thread loads that much sooner.
 */
import type { Engine } from '../engine/engine.js';
import { preflightImageFiles } from '../images/preflight.js';
import { regoSettingsFrom } from '../rego/settings.js';
import { engineFromOptions, type PolicyOptions } from './settings.js';

/** The command's policy options, and the evaluation thread heap in force (flag or `server:` key). */
export interface ServeEngineOptions extends PolicyOptions {
  evaluationHeapMiB: number;
}

/** The policies and configuration the command's options name, loaded as the server itself would load them. */
export async function loadServeEngine(options: ServeEngineOptions): Promise<Engine> {
  // A Rego module's linear memory lives outside the thread's JavaScript heap: capped at the same
  // size, what one evaluation thread can hold is bounded by --evaluation-heap-mib alone.
  const heapMiB = options.evaluationHeapMiB;
  const loaded = await engineFromOptions(options, (settings) => {
    const rego = regoSettingsFrom(settings.domains);
    if (rego.memoryLimitMiB <= heapMiB) return settings;
    return { ...settings, domains: { ...settings.domains, rego: { ...rego, memoryLimitMiB: heapMiB } } };
  });
  preflightImageFiles(loaded.settings);
  return loaded.engine;
}
