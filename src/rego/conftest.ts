import type { RegoSourceFile } from './compiler.js';

/** Rule name prefixes Conftest evaluates, and what they mean here. */
export type ConftestRuleKind = 'deny' | 'warn';

const rulePattern = /^(deny|violation|warn|exception)(_[A-Za-z0-9_]+)?\b/;

/** The `package` a Rego file declares. */
export function regoPackage(text: string): string | undefined {
  const match = /^\s*package\s+([A-Za-z_][\w.]*|[A-Za-z_][\w]*(?:\[["'][^"']+["']\])*)\s*$/m.exec(text);
  return match?.[1];
}

/** Names of the Conftest rules (`deny`, `deny_*`, `violation*`, `warn*`, `exception`) a package defines. */
export function conftestRules(sources: RegoSourceFile[], namespace: string): string[] {
  const names = new Set<string>();
  for (const source of sources) {
    if (regoPackage(source.text) !== namespace) continue;
    for (const line of source.text.split('\n')) {
      const match = rulePattern.exec(line);
      // Rule heads start at column 0 and are followed by a head operator, not a call or comparison.
      if (match && /^\s*(contains\b|if\b|\[|\{|:=|=(?!=))/.test(line.slice(match[0].length)))
        names.add(match[0]);
    }
  }
  return [...names].sort();
}

/** The generated module that gathers every Conftest rule of a namespace into one object, so one evaluation answers all. */
export function conftestCollector(namespace: string, rules: string[]): RegoSourceFile {
  const pkg = collectorPackage(namespace);
  const lines = [`package ${pkg}`, '', 'import rego.v1', ''];
  for (const rule of rules) lines.push(`results[${JSON.stringify(rule)}] := data.${namespace}.${rule}`);
  return {
    path: `__parapet__/${pkg.replace(/\./g, '_')}.rego`,
    displayPath: `<parapet collector for ${namespace}>`,
    text: `${lines.join('\n')}\n`,
  };
}

function collectorPackage(namespace: string): string {
  return `parapet_conftest.${namespace.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

/** The Wasm entrypoint of the collector for a namespace. */
export function conftestEntrypoint(namespace: string): string {
  return `${collectorPackage(namespace).replace(/\./g, '/')}/results`;
}

export interface ConftestResult {
  kind: ConftestRuleKind;
  /** The Rego rule that produced it (`deny_run_as_root`). */
  rule: string;
  message: string;
  /** Everything but `msg` from an object result (Conftest's metadata). */
  details?: Record<string, unknown>;
}

export interface ConftestOutcome {
  results: ConftestResult[];
  /** Results an `exception` rule suppressed. */
  excepted: ConftestResult[];
  /** Results that are not strings nor objects with a string `msg`. */
  malformed: string[];
}

function ruleSuffix(rule: string): string {
  return rule.replace(/^(deny|violation|warn)_/, '');
}

/** Interpret the collected rule values as Conftest does: messages, metadata, exceptions. */
export function conftestOutcome(collected: Record<string, unknown>): ConftestOutcome {
  const exceptions = new Set<string>();
  for (const entry of asArray(collected.exception))
    for (const name of asArray(entry)) if (typeof name === 'string') exceptions.add(name);
  const outcome: ConftestOutcome = { results: [], excepted: [], malformed: [] };
  for (const [rule, value] of Object.entries(collected).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (rule === 'exception') continue;
    const kind: ConftestRuleKind = rule.startsWith('warn') ? 'warn' : 'deny';
    // A boolean rule (`deny = true`) reports once with the rule name as its message.
    const values = value === true ? [rule] : value === false ? [] : asArray(value);
    for (const item of values) {
      const result = toResult(kind, rule, item);
      if (!result) {
        outcome.malformed.push(rule);
        continue;
      }
      (exceptions.has(ruleSuffix(rule)) ? outcome.excepted : outcome.results).push(result);
    }
  }
  return outcome;
}

function toResult(kind: ConftestRuleKind, rule: string, item: unknown): ConftestResult | undefined {
  if (typeof item === 'string') return { kind, rule, message: item };
  if (
    item &&
    typeof item === 'object' &&
    !Array.isArray(item) &&
    typeof (item as Record<string, unknown>).msg === 'string'
  ) {
    // `{"msg": ..., "details": {...}}` (the Gatekeeper habit) and flat metadata keys both end up in details.
    const { msg, details: nested, ...rest } = item as Record<string, unknown>;
    const details =
      nested && typeof nested === 'object' && !Array.isArray(nested)
        ? { ...(nested as Record<string, unknown>), ...rest }
        : nested === undefined
          ? rest
          : { details: nested, ...rest };
    return {
      kind,
      rule,
      message: msg as string,
      details: Object.keys(details).length > 0 ? details : undefined,
    };
  }
  return undefined;
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : value === undefined || value === null ? [] : [value];
}
