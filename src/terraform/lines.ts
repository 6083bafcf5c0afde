/**
 * Line numbers of `resource_changes` entries in the plan text. `terraform show -json` prints one
 * line, so this mostly matters for pretty-printed plans; it is a single forward scan either way
 * (entries are looked up in document order), so a 100k-resource plan pays one pass over the text.
 */
export class PlanLineFinder {
  private readonly text: string;
  private cursor: number;
  private line = 1;
  private lineCursor = 0;
  private readonly multiline: boolean;

  constructor(text: string) {
    this.text = text;
    const section = text.indexOf('"resource_changes"');
    this.cursor = section < 0 ? 0 : section;
    // A trailing newline alone does not make a multi-line document.
    const firstNewline = text.indexOf('\n');
    this.multiline = firstNewline >= 0 && firstNewline < text.trimEnd().length;
  }

  /** The line of the next entry whose `address` is `address`; 1 when it cannot be found. */
  next(address: string): number {
    if (!this.multiline) return 1;
    const needle = JSON.stringify(address);
    let position = this.text.indexOf(needle, this.cursor);
    while (position >= 0 && !this.isAddressValue(position)) {
      position = this.text.indexOf(needle, position + needle.length);
    }
    if (position < 0) return 1;
    this.cursor = position + needle.length;
    return this.lineAt(position);
  }

  /** True when the string at `position` is the value of an `"address"` key. */
  private isAddressValue(position: number): boolean {
    let i = position - 1;
    while (i >= 0 && /\s/.test(this.text[i] ?? '')) i -= 1;
    if (this.text[i] !== ':') return false;
    i -= 1;
    while (i >= 0 && /\s/.test(this.text[i] ?? '')) i -= 1;
    return this.text.startsWith('"address"', i - 8);
  }

  private lineAt(position: number): number {
    let newline = this.text.indexOf('\n', this.lineCursor);
    while (newline >= 0 && newline < position) {
      this.line += 1;
      newline = this.text.indexOf('\n', newline + 1);
    }
    this.lineCursor = position;
    return this.line;
  }
}
