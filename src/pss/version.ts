/**
 * Pod Security Standards versions: the Kubernetes minor release whose Pod Security Admission a run
 * follows (`--pss-version`, `pss.version`). Written as PSA's namespace labels write them: `latest`
 * or `v1.N`.
 */
import { ParapetError, type ErrorCode } from '../model/errors.js';

export interface PssVersion {
  major: 1;
  minor: number;
}

/**
 * The newest Kubernetes release whose Pod Security Admission checks the built-in PSS policies
 * implement (k8s.io/pod-security-admission v0.37); `latest` means this one. The parity suite checks
 * it against the module the oracle is built from.
 */
export const latestPssVersion: PssVersion = Object.freeze({ major: 1, minor: 37 });

const versionPattern = /^v1\.(0|[1-9][0-9]{0,3})$/;

/** `v1.N` as written in labels, flags and policy files. */
export function formatPssVersion(version: PssVersion): string {
  return `v${version.major}.${version.minor}`;
}

/** Negative when `a` is older than `b`, zero when equal, positive when newer. */
export function comparePssVersions(a: PssVersion, b: PssVersion): number {
  return a.major - b.major || a.minor - b.minor;
}

/** Parses `v1.N` (no `latest`): undefined when the text is not one. */
export function parseMinorVersion(text: string): PssVersion | undefined {
  const match = versionPattern.exec(text);
  return match ? { major: 1, minor: Number(match[1]) } : undefined;
}

/**
 * Parses `latest` or `v1.N` for a run. A version newer than `latestPssVersion` is refused: its checks
 * are not known, and evaluating it as the newest known one would pass pods it may forbid.
 * `where` names the flag or configuration key in the one-line error.
 */
export function parsePssVersion(
  value: unknown,
  where: string,
  code: ErrorCode = 'PARAPET_USAGE',
  file?: string,
): PssVersion {
  if (value === 'latest') return latestPssVersion;
  const version = typeof value === 'string' ? parseMinorVersion(value) : undefined;
  const newest = formatPssVersion(latestPssVersion);
  if (!version) {
    throw new ParapetError(
      code,
      `${where}: ${JSON.stringify(value)} is not a Pod Security Standards version (latest, or v1.0 to ${newest})`,
      file === undefined ? undefined : { file },
    );
  }
  if (comparePssVersions(version, latestPssVersion) > 0) {
    throw new ParapetError(
      code,
      `${where}: ${value} is newer than the newest Pod Security Standards version parapet knows (${newest}); use latest or v1.0 to ${newest}`,
      file === undefined ? undefined : { file },
    );
  }
  return version;
}
