/**
 * `Result.evaluated`: per resource id, the ids of the policies evaluated against it. Most reports
 * never read it, so the engine records plain lists while it runs and the map is built on first read.
 */
export class EvaluatedMap extends Map<string, string[]> {
  private pendingIds: string[] | undefined = [];
  private pendingLists: string[][] = [];
  /** Set rules' additions, as two parallel lists (no pair per addition). */
  private addedResources: string[] = [];
  private addedPolicies: string[] = [];

  /** Record the policies of one resource (the list may be shared between resources; never mutated). */
  record(resourceId: string, policyIds: string[]): void {
    this.pendingIds!.push(resourceId);
    this.pendingLists.push(policyIds);
  }

  /** One more policy for a resource already recorded (set rules, after the resource pass). */
  add(resourceId: string, policyId: string): void {
    this.addedResources.push(resourceId);
    this.addedPolicies.push(policyId);
  }

  private build(): void {
    const ids = this.pendingIds;
    if (!ids) return;
    this.pendingIds = undefined;
    for (let i = 0; i < ids.length; i += 1) super.set(ids[i]!, this.pendingLists[i]!);
    const added = this.addedResources;
    for (let i = 0; i < added.length; i += 1) {
      // Copy on write: per-kind lists are shared between resources.
      super.set(added[i]!, [...(super.get(added[i]!) ?? []), this.addedPolicies[i]!]);
    }
    this.pendingLists = [];
    this.addedResources = [];
    this.addedPolicies = [];
  }

  override get(key: string): string[] | undefined {
    this.build();
    return super.get(key);
  }
  override has(key: string): boolean {
    this.build();
    return super.has(key);
  }
  override set(key: string, value: string[]): this {
    this.build();
    return super.set(key, value);
  }
  override delete(key: string): boolean {
    this.build();
    return super.delete(key);
  }
  override clear(): void {
    this.build();
    super.clear();
  }
  override get size(): number {
    this.build();
    return super.size;
  }
  override forEach(
    callback: (value: string[], key: string, map: Map<string, string[]>) => void,
    thisArg?: unknown,
  ): void {
    this.build();
    super.forEach(callback, thisArg);
  }
  override entries(): MapIterator<[string, string[]]> {
    this.build();
    return super.entries();
  }
  override keys(): MapIterator<string> {
    this.build();
    return super.keys();
  }
  override values(): MapIterator<string[]> {
    this.build();
    return super.values();
  }
  override [Symbol.iterator](): MapIterator<[string, string[]]> {
    this.build();
    return super[Symbol.iterator]();
  }
}
