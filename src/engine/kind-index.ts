import type { Resource } from '../model/resource.js';

interface KindGroup {
  source: string;
  kind: string;
  /** The group's resources, in run order. */
  list: Resource[];
}

/**
 * The resources of one evaluation grouped by source and kind, built on first use. Set policies and
 * relation candidates ask for the resources of the kinds they match: one test per kind instead of
 * one per resource, and a plan of 100,000 resources is walked once rather than once per rule.
 */
export class KindIndex {
  private groups: KindGroup[] | undefined;
  /** Each resource's group, by position (for selections that span several groups). */
  private groupOf: KindGroup[] = [];

  constructor(private readonly resources: readonly Resource[]) {}

  private build(): KindGroup[] {
    const groups: KindGroup[] = [];
    const bySource = new Map<string, Map<string, KindGroup>>();
    const groupOf = new Array<KindGroup>(this.resources.length);
    for (let i = 0; i < this.resources.length; i += 1) {
      const resource = this.resources[i]!;
      let byKind = bySource.get(resource.source);
      if (!byKind) bySource.set(resource.source, (byKind = new Map()));
      let group = byKind.get(resource.kind);
      if (!group) {
        group = { source: resource.source, kind: resource.kind, list: [] };
        byKind.set(resource.kind, group);
        groups.push(group);
      }
      group.list.push(resource);
      groupOf[i] = group;
    }
    this.groupOf = groupOf;
    return groups;
  }

  /** A new array of the run's resources whose source and kind `matches` accepts, in run order. */
  select(matches: (source: string, kind: string) => boolean): Resource[] {
    const groups = (this.groups ??= this.build());
    const chosen: KindGroup[] = [];
    for (let i = 0; i < groups.length; i += 1) {
      const group = groups[i]!;
      if (matches(group.source, group.kind)) chosen.push(group);
    }
    if (chosen.length === 0) return [];
    if (chosen.length === 1) return chosen[0]!.list.slice();
    const wanted = new Set(chosen);
    const out: Resource[] = [];
    const groupOf = this.groupOf;
    for (let i = 0; i < groupOf.length; i += 1) if (wanted.has(groupOf[i]!)) out.push(this.resources[i]!);
    return out;
  }
}
