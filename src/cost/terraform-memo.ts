/**
 * Memoised Terraform state estimates. An estimator is a pure function of the resource type, the
 * change side, the provider and region facts, and the answers of the reads it makes through its
 * StateView (the catalogue is fixed per memo). So the reads of one run, in order, are a path in a
 * tree whose leaf is the estimate: a later state that gives the same answers to the same reads gets
 * the same estimate object without running the estimator. Plans repeat a few configurations over
 * thousands of resources; the shared estimates (never mutated, like every fact) also spare the heap
 * one set of components per resource.
 */
import type { Read } from './state.js';
import { StateView } from './state.js';
import type { StateEstimate } from './types.js';

type ReadMethod = 'string' | 'number' | 'boolean' | 'length';

/** The answer of a read as a Map key: the value itself, or one of these for unknown and absent. */
const UNKNOWN_ANSWER = Symbol('unknown');
const ABSENT_ANSWER = Symbol('absent');

function answerOf(read: Read<unknown>): unknown {
  if (!read.known) return UNKNOWN_ANSWER;
  return read.value === undefined ? ABSENT_ANSWER : read.value;
}

function ask(view: StateView, method: ReadMethod, pointer: string): unknown {
  if (method === 'length') {
    const length = view.length(pointer);
    return length === undefined ? UNKNOWN_ANSWER : length;
  }
  return answerOf(view[method](pointer));
}

/** A StateView that keeps the reads made through it, with their answers. */
class RecordingStateView extends StateView {
  readonly reads: Array<{ method: ReadMethod; pointer: string; answer: unknown }> = [];

  override string(pointer: string): Read<string> {
    const read = super.string(pointer);
    this.reads.push({ method: 'string', pointer, answer: answerOf(read) });
    return read;
  }

  override number(pointer: string): Read<number> {
    const read = super.number(pointer);
    this.reads.push({ method: 'number', pointer, answer: answerOf(read) });
    return read;
  }

  override boolean(pointer: string): Read<boolean> {
    const read = super.boolean(pointer);
    this.reads.push({ method: 'boolean', pointer, answer: answerOf(read) });
    return read;
  }

  override length(pointer: string): number | undefined {
    const length = super.length(pointer);
    this.reads.push({ method: 'length', pointer, answer: length === undefined ? UNKNOWN_ANSWER : length });
    return length;
  }
}

/** A node of the read tree: the next read and a child per answer, or (at a leaf) the estimate. */
interface ReadNode {
  method?: ReadMethod;
  pointer?: string;
  next?: Map<unknown, ReadNode>;
  result?: StateEstimate | 'free';
}

/** Past this many nodes the tree starts again, so that plans of all-different states stay bounded. */
const MAX_NODES = 50_000;

/** Estimates by type, side, provider, region fact and reads, for one price catalogue. */
export class EstimateMemo {
  private readonly roots = new Map<string, Map<string, Map<unknown, Map<unknown, ReadNode>>>>();
  private nodes = 0;

  /** The estimate of a state that gave the same answers to the same reads before, if any. */
  find(
    kind: string,
    phase: string,
    provider: unknown,
    region: unknown,
    view: StateView,
  ): StateEstimate | 'free' | undefined {
    let node = this.root(kind, phase, provider, region);
    while (node.result === undefined) {
      const child =
        node.method === undefined ? undefined : node.next!.get(ask(view, node.method, node.pointer!));
      if (!child) return undefined;
      node = child;
    }
    return node.result;
  }

  /** Runs the estimator on `view` (through a view that records its reads) and keeps the result. */
  record(
    kind: string,
    phase: string,
    provider: unknown,
    region: unknown,
    view: StateView,
    run: (view: StateView) => StateEstimate | 'free',
  ): StateEstimate | 'free' {
    const recording = new RecordingStateView(view.values, view.unknownPaths);
    const result = run(recording);
    if (this.nodes >= MAX_NODES) {
      this.roots.clear();
      this.nodes = 0;
      return result;
    }
    let node = this.root(kind, phase, provider, region);
    for (const { method, pointer, answer } of recording.reads) {
      if (node.result !== undefined) return result;
      if (node.method === undefined) {
        node.method = method;
        node.pointer = pointer;
        node.next = new Map();
      } else if (node.method !== method || node.pointer !== pointer) {
        // Not a function of its reads after all: leave the tree as it is.
        return result;
      }
      let child = node.next!.get(answer);
      if (!child) {
        node.next!.set(answer, (child = {}));
        this.nodes += 1;
      }
      node = child;
    }
    if (node.method === undefined && node.result === undefined) node.result = result;
    return result;
  }

  private root(kind: string, phase: string, provider: unknown, region: unknown): ReadNode {
    let byPhase = this.roots.get(kind);
    if (!byPhase) this.roots.set(kind, (byPhase = new Map()));
    let byProvider = byPhase.get(phase);
    if (!byProvider) byPhase.set(phase, (byProvider = new Map()));
    let byRegion = byProvider.get(provider);
    if (!byRegion) byProvider.set(provider, (byRegion = new Map()));
    let root = byRegion.get(region);
    if (!root) {
      byRegion.set(region, (root = {}));
      this.nodes += 1;
    }
    return root;
  }
}
