import { readFileSync } from 'node:fs';
import { writeFileAtomically } from '../model/atomic-write.js';
import { jsonChunks, JsonStream } from '../reporters/json-stream.js';
import { ParapetError } from '../model/errors.js';
import type { Finding, FindingStatus } from '../model/finding.js';
import { fingerprint, type Notice, type Result } from '../model/result.js';

/**
 * A baseline records the findings a team has decided to live with for now. With `--baseline FILE`
 * only findings not in it count for the exit code; known ones are still reported, marked
 * `baseline: true`. Findings match by fingerprint (policy, resource id, path), never by line, so
 * editing a file above a known finding does not make it new.
 */
export interface Baseline {
  version: 1;
  entries: BaselineEntry[];
}

export interface BaselineEntry {
  fingerprint: string;
  policy: string;
  resource: string;
  path: string;
  /** What the finding said when it was recorded, for the humans reviewing the file. */
  status: FindingStatus;
  message: string;
}

/** Statuses that are recorded: waived and approved findings already have their own, dated acceptance. */
const recordedStatuses: ReadonlySet<FindingStatus> = new Set(['fail', 'warn', 'audit', 'unknown', 'error']);

/** The baseline of a result: one entry per recorded finding, sorted so the file diffs well. */
export function baselineOf(result: Result): Baseline {
  const entries = new Map<string, BaselineEntry>();
  for (const finding of result.findings) {
    if (!recordedStatuses.has(finding.status)) continue;
    const key = fingerprint(finding.policyId, finding.resource.id, finding.path);
    if (entries.has(key)) continue;
    entries.set(key, {
      fingerprint: key,
      policy: finding.policyId,
      resource: finding.resource.id,
      path: finding.path,
      status: finding.status,
      message: finding.message,
    });
  }
  const sorted = [...entries.values()].sort(
    (a, b) => compare(a.policy, b.policy) || compare(a.resource, b.resource) || compare(a.path, b.path),
  );
  return { version: 1, entries: sorted };
}

/** Writes the baseline of `result` to `file` as JSON (stable bytes for the same findings). */
export function writeBaseline(result: Result, file: string): void {
  try {
    const baseline = baselineOf(result);
    writeFileAtomically(file, [
      ...jsonChunks({ version: baseline.version, entries: new JsonStream(baseline.entries) }),
      '\n',
    ]);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    throw new ParapetError('PARAPET_BASELINE_INVALID', `${file}: cannot write baseline: ${reason}`, {
      file,
      cause: error,
    });
  }
}

/** Reads and validates a baseline file; throws `PARAPET_BASELINE_INVALID` naming the file. */
export function readBaseline(file: string): Baseline {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'it is a directory' : String(code);
    throw new ParapetError('PARAPET_BASELINE_INVALID', `${file}: cannot read baseline: ${reason}`, {
      file,
      cause: error,
    });
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new ParapetError(
      'PARAPET_BASELINE_INVALID',
      `${file}: baseline is not JSON: ${(error as Error).message}`,
      {
        file,
        cause: error,
      },
    );
  }
  return validateBaseline(value, file);
}

function validateBaseline(value: unknown, file: string): Baseline {
  const fail = (message: string) =>
    new ParapetError('PARAPET_BASELINE_INVALID', `${file}: ${message}`, { file });
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw fail('a baseline is an object with "version" and "entries" (write one with --write-baseline)');
  }
  const { version, entries } = value as { version?: unknown; entries?: unknown };
  if (version !== 1) throw fail(`unsupported baseline version ${JSON.stringify(version)} (expected 1)`);
  if (!Array.isArray(entries)) throw fail('"entries" must be a list');
  entries.forEach((entry: unknown, index) => {
    const record = entry as Record<string, unknown> | null;
    for (const key of ['policy', 'resource', 'path'] as const) {
      if (typeof record?.[key] !== 'string') throw fail(`entries[${index}].${key} must be a string`);
    }
  });
  return { version: 1, entries: entries as BaselineEntry[] };
}

/**
 * Marks the findings of `result` that the baseline knows (`baseline: true`) and adds an info notice
 * when baseline entries no longer occur, so the file can be tightened. Returns the marked result.
 */
export function applyBaseline(result: Result, baseline: Baseline, file: string): Result {
  // Recomputed from policy, resource and path so a baseline stays valid whatever hash a finding carries.
  const known = new Set(
    baseline.entries.map((entry) => fingerprint(entry.policy, entry.resource, entry.path)),
  );
  const seen = new Set<string>();
  const findings: Finding[] = result.findings.map((finding) => {
    const key = fingerprint(finding.policyId, finding.resource.id, finding.path);
    if (!known.has(key)) return finding;
    seen.add(key);
    return { ...finding, baseline: true };
  });
  const notices: Notice[] = [...result.notices];
  const gone = known.size - seen.size;
  if (gone > 0) {
    notices.push({
      level: 'info',
      code: 'baseline-fixed',
      message: `${gone} finding${gone === 1 ? '' : 's'} recorded in baseline ${file} no longer occur${gone === 1 ? 's' : ''}; rewrite it with --write-baseline to lock in the improvement`,
      file,
    });
  }
  const knownCount = findings.filter((finding) => finding.baseline).length;
  if (knownCount > 0) {
    notices.push({
      level: 'info',
      code: 'baseline-known',
      message: `${knownCount} finding${knownCount === 1 ? ' is' : 's are'} known from baseline ${file} and do${knownCount === 1 ? 'es' : ''} not count for the exit code`,
      file,
    });
  }
  let fresh = 0;
  for (const finding of findings) if (!finding.baseline && recordedStatuses.has(finding.status)) fresh += 1;
  return {
    ...result,
    findings,
    notices,
    summary: { ...result.summary, baseline: { new: fresh, known: knownCount } },
  };
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
