/**
 * Terraform marks unknown and sensitive values with shadow objects (`after_unknown`,
 * `after_sensitive`): the same shape as the value, `true` at every marked leaf. Policies work with
 * JSON pointers, so the shadows become pointer lists here.
 */

/** Escapes one JSON pointer reference token (RFC 6901). */
export function escapePointerToken(token: string | number): string {
  const text = String(token);
  return text.includes('~') || text.includes('/') ? text.replace(/~/g, '~0').replace(/\//g, '~1') : text;
}

/**
 * JSON pointers of every `true` leaf of a shadow object. A shadow that is `true` itself means the
 * whole value is marked (pointer `''`).
 */
export function markedPointers(shadow: unknown): string[] {
  return new MarkedShapes().of(shadow).pointers;
}

interface PointerNode {
  pointer: string;
  keys: Map<string, PointerNode>;
  indices: PointerNode[];
  /** Set on the nodes of top-level attributes of an object shadow. */
  topKey?: string;
}

/** One list of marked pointers, reached by the pointers it holds, in order. */
export interface MarkedShape {
  /** What `markedPointers` returns for every shadow of this shape. */
  pointers: string[];
  /** Top-level attributes marked as a whole (`{ arn: true }`), in order. */
  topKeys: string[];
  next: Map<PointerNode, MarkedShape>;
  /** `topKeys` without the attributes a configuration sets, per expressions object. */
  unset?: Map<object | undefined, string[]>;
}

/**
 * `markedPointers` for the many shadows of one plan. Resources of a type mark the same attributes,
 * so each pointer string and each pointer list is built once per plan and shared: the lists are
 * read, never changed, by their consumers.
 */
export class MarkedShapes {
  private readonly root: PointerNode = { pointer: '', keys: new Map(), indices: [] };
  private readonly empty: MarkedShape = { pointers: [], topKeys: [], next: new Map() };
  private shape: MarkedShape = this.empty;

  /** The shape of a shadow: its `pointers` are `markedPointers(shadow)`. */
  of(shadow: unknown): MarkedShape {
    this.shape = this.empty;
    this.collect(shadow, this.root, 0);
    return this.shape;
  }

  /**
   * Top-level attributes marked in `shape` that `expressions` does not set, shared per
   * (shape, expressions).
   */
  unset(shape: MarkedShape, expressions: Record<string, unknown> | undefined): string[] {
    shape.unset ??= new Map();
    let names = shape.unset.get(expressions);
    if (!names) {
      names = shape.topKeys.filter((key) => !(expressions && key in expressions));
      shape.unset.set(expressions, names);
    }
    return names;
  }

  private mark(node: PointerNode): void {
    const from = this.shape;
    let next = from.next.get(node);
    if (!next) {
      next = {
        pointers: [...from.pointers, node.pointer],
        topKeys: node.topKey === undefined ? from.topKeys : [...from.topKeys, node.topKey],
        next: new Map(),
      };
      from.next.set(node, next);
    }
    this.shape = next;
  }

  private collect(shadow: unknown, node: PointerNode, depth: number): void {
    if (shadow === true) {
      this.mark(node);
      return;
    }
    if (Array.isArray(shadow)) {
      for (let i = 0; i < shadow.length; i += 1) {
        const child = shadow[i] as unknown;
        if (child === null || (child !== true && typeof child !== 'object')) continue;
        let next = node.indices[i];
        if (!next) {
          next = { pointer: `${node.pointer}/${i}`, keys: new Map(), indices: [] };
          node.indices[i] = next;
        }
        this.collect(child, next, depth + 1);
      }
      return;
    }
    if (shadow !== null && typeof shadow === 'object') {
      for (const key in shadow as Record<string, unknown>) {
        const child = (shadow as Record<string, unknown>)[key];
        if (child === null || (child !== true && typeof child !== 'object')) continue;
        let next = node.keys.get(key);
        if (!next) {
          next = { pointer: `${node.pointer}/${escapePointerToken(key)}`, keys: new Map(), indices: [] };
          if (depth === 0) next.topKey = key;
          node.keys.set(key, next);
        }
        this.collect(child, next, depth + 1);
      }
    }
  }
}

/** Shared by every change without replace paths (nearly all of them); never mutated. */
const noPointers = Object.freeze([]) as unknown as string[];

/** `replace_paths` (arrays of steps) as JSON pointers. */
export function stepsToPointers(paths: unknown): string[] {
  if (!Array.isArray(paths) || paths.length === 0) return noPointers;
  const pointers: string[] = [];
  for (const steps of paths) {
    if (!Array.isArray(steps)) continue;
    pointers.push(steps.map((step) => `/${escapePointerToken(step as string | number)}`).join(''));
  }
  return pointers;
}
