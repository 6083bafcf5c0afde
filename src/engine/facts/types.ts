import type { Policy } from '../../model/policy.js';
import type { Notice } from '../../model/result.js';
import type { Resource } from '../../model/resource.js';
import type { Settings } from '../../model/settings.js';

export interface FactContext {
  settings: Settings;
  /** The policies this evaluation runs (a provider may skip work no policy needs). */
  policies: readonly Policy[];
  notices: Notice[];
  /** Results shared across the run (cost totals ...) that reporters show; keyed by provider name. */
  extras: Record<string, unknown>;
}

type Derived = Promise<Resource[] | void> | Resource[] | void;

/**
 * One evaluation's use of a provider. The engine takes resources in chunks as they arrive and
 * holds back only those that must be seen together: a provider sees every resource once, in the
 * `chunk` that brings it, and then the held-back ones again, together, in `finish`.
 */
export interface FactRun {
  /** Resources of this source and kind need the others beside them: the engine holds them to the end. */
  holdsKind?(source: string, kind: string): boolean;
  /**
   * Facts that need nothing but the resource, for each resource as it arrives (held back or not);
   * may return derived resources (images from workloads), which the provider sees no more.
   */
  chunk?(resources: Resource[]): Derived;
  /**
   * Called once after every chunk with the held-back resources (possibly none): facts that need
   * them together, then notices and extras about the whole run.
   */
  finish(resources: Resource[]): Derived;
}

/** Derives facts before evaluation; may add derived resources (images from workloads). */
export interface FactProvider {
  name: string;
  start(ctx: FactContext): FactRun;
}
