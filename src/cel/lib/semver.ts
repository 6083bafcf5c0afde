/**
 * Kubernetes' semver library (1.33+, version 1): `semver(s)`, `semver(s, normalize)`, `isSemver`,
 * `major`, `minor`, `patch`, `isGreaterThan`, `isLessThan`, `compareTo`. Versions follow
 * Semantic Versioning 2.0.0; `normalize` accepts a leading `v`, missing minor or patch and
 * leading zeros, as the API server does.
 */
import { OpaqueValue, opaqueDesc } from '../values.js';
import { asString, fn, noOverload, typedMethod, type CelLibrary } from './define.js';

const SEMVER_DESC = opaqueDesc('kubernetes.Semver');
const method = typedMethod('kubernetes.Semver');

class SemverValue extends OpaqueValue {
  readonly desc = SEMVER_DESC;
  constructor(
    readonly major: bigint,
    readonly minor: bigint,
    readonly patch: bigint,
    readonly pre: string[],
  ) {
    super();
  }
  compare(other: SemverValue): number {
    for (const [a, b] of [
      [this.major, other.major],
      [this.minor, other.minor],
      [this.patch, other.patch],
    ] as const)
      if (a !== b) return a < b ? -1 : 1;
    if (this.pre.length === 0 || other.pre.length === 0)
      return other.pre.length - this.pre.length === 0 ? 0 : this.pre.length === 0 ? 1 : -1;
    for (let i = 0; i < Math.min(this.pre.length, other.pre.length); i += 1) {
      const a = this.pre[i]!;
      const b = other.pre[i]!;
      const an = /^[0-9]+$/.test(a);
      const bn = /^[0-9]+$/.test(b);
      if (an && bn) {
        const x = BigInt(a);
        const y = BigInt(b);
        if (x !== y) return x < y ? -1 : 1;
      } else if (an !== bn) return an ? -1 : 1;
      else if (a !== b) return a < b ? -1 : 1;
    }
    return Math.sign(this.pre.length - other.pre.length);
  }
  equals(other: OpaqueValue): boolean {
    return other instanceof SemverValue && this.compare(other) === 0;
  }
}

function parseSemver(input: string, normalize: boolean): SemverValue {
  let text = input;
  if (normalize) {
    if (text.startsWith('v')) text = text.slice(1);
    const core = /^([0-9]+)(?:\.([0-9]+))?(?:\.([0-9]+))?(.*)$/.exec(text);
    if (core) {
      const strip = (part: string | undefined) => (part === undefined ? '0' : BigInt(part).toString());
      text = `${strip(core[1])}.${strip(core[2])}.${strip(core[3])}${core[4]}`;
    }
  }
  const match =
    /^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(?:-([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?(?:\+([0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*))?$/.exec(
      text,
    );
  if (!match) throw new Error(`No Major.Minor.Patch elements found`);
  const pre = match[4] ? match[4].split('.') : [];
  if (pre.some((part) => /^0[0-9]+$/.test(part)))
    throw new Error(`Numeric PreRelease version must not contain leading zeroes`);
  return new SemverValue(BigInt(match[1]!), BigInt(match[2]!), BigInt(match[3]!), pre);
}

function asSemver(name: string, value: unknown): SemverValue {
  if (!(value instanceof SemverValue)) throw noOverload(name, value as never);
  return value;
}

function isSemver(text: string, normalize: boolean): boolean {
  try {
    parseSemver(text, normalize);
    return true;
  } catch {
    return false;
  }
}

export const semverLibrary: CelLibrary = {
  name: 'semver',
  funcs: [
    fn('semver', 1, (text) => parseSemver(asString('semver', text), false)),
    fn('semver', 2, (text, normalize) => parseSemver(asString('semver', text), normalize === true)),
    fn('isSemver', 1, (text) => isSemver(asString('isSemver', text), false)),
    fn('isSemver', 2, (text, normalize) => isSemver(asString('isSemver', text), normalize === true)),
    method('major', 0, (self) => asSemver('major', self).major),
    method('minor', 0, (self) => asSemver('minor', self).minor),
    method('patch', 0, (self) => asSemver('patch', self).patch),
    method(
      'isGreaterThan',
      1,
      (self, other) => asSemver('isGreaterThan', self).compare(asSemver('isGreaterThan', other)) > 0,
    ),
    method(
      'isLessThan',
      1,
      (self, other) => asSemver('isLessThan', self).compare(asSemver('isLessThan', other)) < 0,
    ),
    method('compareTo', 1, (self, other) =>
      BigInt(asSemver('compareTo', self).compare(asSemver('compareTo', other))),
    ),
  ],
};
