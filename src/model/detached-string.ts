/**
 * The string as a flat string of its own, not a view into the text it was cut from nor a tree of
 * the parts it was joined from. V8 keeps a substring of 13 or more characters as a slice of its
 * parent, so one value kept to the end of a run (a resource id, an image reference in a message)
 * keeps its whole input file alive, hundreds of megabytes for a large one. A property key is always
 * stored flat and shared with equal keys, which is what this returns.
 */
export function detachedString(value: string): string {
  return value.length < 13 ? value : Object.keys({ [value]: 0 })[0]!;
}
