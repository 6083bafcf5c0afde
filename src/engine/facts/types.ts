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
 * One evaluation's use of a provider. The engine checks resources in chunks as they arrive and
 * holds back only those that must be seen together, so a provider sees each resource exactly once:
 * in a `chunk` call, or in the one `finish` call with everything held back.
 */
export interface FactRun {
  /** Resources of this source and kind need the others beside them: the engine holds them to the end. */
  holdsKind?(source: string, kind: string): boolean;
  /** Facts for resources checked as they arrive; may return derived resources (images from workloads). */
  chunk?(resources: Resource[]): Derived;
  /**
   * Facts for the held-back resources (possibly none), called once after every chunk; then notices
   * and extras about the whole run.
   */
  finish(resources: Resource[]): Derived;
}

/** Derives facts before evaluation; may add derived resources (images from workloads). */
export interface FactProvider {
  name: string;
  start(ctx: FactContext): FactRun;
}
