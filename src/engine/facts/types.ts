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

/** Derives facts before evaluation; may add derived resources (images from workloads). */
export interface FactProvider {
  name: string;
  provide(resources: Resource[], ctx: FactContext): Promise<Resource[] | void> | Resource[] | void;
}
