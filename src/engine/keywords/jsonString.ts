let lastText: string | undefined;
let lastValue: unknown;

/**
 * The value of a JSON document, or undefined when the text is not JSON. Policies evaluate the same
 * document many times per run (one per policy): the last one is parsed once. Validators never
 * modify their data, so the value can be shared.
 */
export function parseJsonText(text: string): unknown {
  if (text !== lastText) {
    lastText = text;
    try {
      lastValue = JSON.parse(text) as unknown;
    } catch {
      lastValue = undefined;
    }
  }
  return lastValue;
}
