import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface, type Interface } from 'node:readline';

/** Where `.ci/setup-pss-oracle.sh` puts the oracle; `PARAPET_PSS_ORACLE` overrides it. */
export const oraclePath = process.env.PARAPET_PSS_ORACLE ?? '/var/cache/parapet/bin/pss-oracle';
export const haveOracle = existsSync(oraclePath);

export interface OracleLevel {
  allowed: boolean;
  forbidden: Array<{ check: string; reason: string; detail?: string }>;
}

export interface OracleAnswer {
  line: number;
  baseline?: OracleLevel;
  restricted?: OracleLevel;
  error?: string;
}

/** Upstream Pod Security Admission check ids -> the parapet policy that implements the control. */
export const policyForCheck: Record<string, string> = {
  windowsHostProcess: 'pss-baseline-host-process',
  hostNamespaces: 'pss-baseline-host-namespaces',
  privileged: 'pss-baseline-privileged',
  capabilities_baseline: 'pss-baseline-capabilities',
  hostPathVolumes: 'pss-baseline-host-path-volumes',
  hostPorts: 'pss-baseline-host-ports',
  hostProbesAndHostLifecycle: 'pss-baseline-host-probes',
  appArmorProfile: 'pss-baseline-apparmor',
  seLinuxOptions: 'pss-baseline-selinux',
  procMount: 'pss-baseline-proc-mount',
  seccompProfile_baseline: 'pss-baseline-seccomp',
  sysctls: 'pss-baseline-sysctls',
  restrictedVolumes: 'pss-restricted-volume-types',
  allowPrivilegeEscalation: 'pss-restricted-privilege-escalation',
  runAsNonRoot: 'pss-restricted-run-as-non-root',
  runAsUser: 'pss-restricted-run-as-user',
  seccompProfile_restricted: 'pss-restricted-seccomp',
  capabilities_restricted: 'pss-restricted-capabilities',
  procMount_restricted: 'pss-restricted-proc-mount',
};

/** What `pss-oracle --list-checks` prints: the checks of each level at a version, and the module. */
export interface OracleChecks {
  version: string;
  /** The k8s.io/pod-security-admission module the oracle is built with (v0.37.2). */
  module: string;
  /** The Kubernetes version that module's `latest` is (v1.37). */
  newest: string;
  baseline: string[];
  restricted: string[];
}

/** The oracle's checks at `version` (default latest). */
export function oracleChecks(version = 'latest', binary = oraclePath): OracleChecks {
  return JSON.parse(
    execFileSync(binary, ['--list-checks', '--version', version], { encoding: 'utf8' }),
  ) as OracleChecks;
}

/**
 * One long-lived oracle process: objects go in as JSON lines, answers come back in order. Keeping it
 * open lets fast-check shrink counterexamples without paying a process start per pod.
 */
export class PssOracle {
  private readonly child: ChildProcessWithoutNullStreams;
  private readonly lines: Interface;
  private readonly waiting: Array<{
    resolve: (answer: OracleAnswer) => void;
    reject: (error: Error) => void;
  }> = [];
  private stderr = '';
  private closed = false;

  /** `version`: the policy version the oracle evaluates at (`latest` or `v1.N`). */
  constructor(binary = oraclePath, version = 'latest') {
    this.child = spawn(binary, ['--version', version], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr.on('data', (chunk: Buffer) => {
      this.stderr += chunk.toString();
    });
    this.lines = createInterface({ input: this.child.stdout });
    this.lines.on('line', (line) => {
      const next = this.waiting.shift();
      if (!next) return;
      try {
        next.resolve(JSON.parse(line) as OracleAnswer);
      } catch (error) {
        next.reject(error as Error);
      }
    });
    this.child.on('exit', (code) => {
      this.closed = true;
      for (const next of this.waiting.splice(0))
        next.reject(new Error(`pss-oracle exited with ${code}: ${this.stderr.trim()}`));
    });
  }

  /** The oracle's verdicts for one pod-bearing object. */
  ask(object: unknown): Promise<OracleAnswer> {
    if (this.closed) return Promise.reject(new Error(`pss-oracle is not running: ${this.stderr.trim()}`));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.child.stdin.write(JSON.stringify(object) + '\n');
    });
  }

  /** Close stdin and wait for the process to end. */
  async close(): Promise<void> {
    if (this.closed) return;
    const exited = new Promise<void>((resolve) => this.child.once('exit', () => resolve()));
    this.child.stdin.end();
    await exited;
    this.lines.close();
  }
}
