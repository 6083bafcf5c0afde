/**
 * Kyverno's `x509_decode`: a PEM certificate or certificate request as the JSON of Go's
 * `x509.Certificate` / `x509.CertificateRequest` (field names, integer enums, base64 bytes, RFC 3339
 * times, nil lists as null), with `PublicKey` as `{N, E}` of the RSA key, the only algorithm it takes.
 * The DER is read with @peculiar/asn1-x509 (a maintained RFC 5280 schema); only the raw byte ranges
 * Go keeps (`RawTBSCertificate`, `RawSubject` ...) are sliced here.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  AuthorityInfoAccessSyntax,
  AuthorityKeyIdentifier,
  BasicConstraints,
  Certificate,
  CertificatePolicies,
  CRLDistributionPoints,
  ExtendedKeyUsage,
  Extension,
  Extensions,
  GeneralName,
  KeyUsage,
  Name,
  NameConstraints,
  SubjectAlternativeName,
  SubjectKeyIdentifier,
} from '@peculiar/asn1-x509';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { RSAPublicKey, RsaSaPssParams } from '@peculiar/asn1-rsa';

type Json = Record<string, unknown>;

const signatureAlgorithms: Record<string, number> = {
  '1.2.840.113549.1.1.2': 1,
  '1.2.840.113549.1.1.4': 2,
  '1.2.840.113549.1.1.5': 3,
  '1.2.840.113549.1.1.11': 4,
  '1.2.840.113549.1.1.12': 5,
  '1.2.840.113549.1.1.13': 6,
  '1.2.840.10040.4.3': 7,
  '2.16.840.1.101.3.4.3.2': 8,
  '1.2.840.10045.4.1': 9,
  '1.2.840.10045.4.3.2': 10,
  '1.2.840.10045.4.3.3': 11,
  '1.2.840.10045.4.3.4': 12,
  '1.3.101.112': 16,
};

/** RSASSA-PSS: Go tells the hash from the parameters. */
const pssByHash: Record<string, number> = {
  '2.16.840.1.101.3.4.2.1': 13,
  '2.16.840.1.101.3.4.2.2': 14,
  '2.16.840.1.101.3.4.2.3': 15,
};

const extKeyUsages: Record<string, number> = {
  '2.5.29.37.0': 0,
  '1.3.6.1.5.5.7.3.1': 1,
  '1.3.6.1.5.5.7.3.2': 2,
  '1.3.6.1.5.5.7.3.3': 3,
  '1.3.6.1.5.5.7.3.4': 4,
  '1.3.6.1.5.5.7.3.5': 5,
  '1.3.6.1.5.5.7.3.6': 6,
  '1.3.6.1.5.5.7.3.7': 7,
  '1.3.6.1.5.5.7.3.8': 8,
  '1.3.6.1.5.5.7.3.9': 9,
  '1.3.6.1.4.1.311.10.3.3': 10,
  '2.16.840.1.113730.4.1': 11,
  '1.3.6.1.4.1.311.2.1.22': 12,
  '1.3.6.1.4.1.311.61.1.1': 13,
};

/** pkix.Name's named fields, by attribute type. */
const nameFields: Record<string, string> = {
  '2.5.4.6': 'Country',
  '2.5.4.10': 'Organization',
  '2.5.4.11': 'OrganizationalUnit',
  '2.5.4.7': 'Locality',
  '2.5.4.8': 'Province',
  '2.5.4.9': 'StreetAddress',
  '2.5.4.17': 'PostalCode',
  '2.5.4.5': 'SerialNumber',
  '2.5.4.3': 'CommonName',
};

/** The TLV elements inside the constructed element at `offset` of `der`. */
function children(der: Buffer, offset: number): Array<{ start: number; end: number }> {
  const header = (at: number): { body: number; end: number } => {
    let length = der[at + 1]!;
    let body = at + 2;
    if (length & 0x80) {
      const count = length & 0x7f;
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + der[at + 2 + i]!;
      body += count;
    }
    return { body, end: body + length };
  };
  const outer = header(offset);
  const out: Array<{ start: number; end: number }> = [];
  for (let at = outer.body; at < outer.end;) {
    const { end } = header(at);
    out.push({ start: at, end });
    at = end;
  }
  return out;
}

function oidArray(oid: string): number[] {
  return oid.split('.').map(Number);
}

function base64(bytes: ArrayBuffer | Uint8Array): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('base64');
}

function goName(name: Name): Json {
  const out: Json = {
    Country: null,
    Organization: null,
    OrganizationalUnit: null,
    Locality: null,
    Province: null,
    StreetAddress: null,
    PostalCode: null,
    SerialNumber: '',
    CommonName: '',
    Names: null,
    ExtraNames: null,
  };
  const names: Json[] = [];
  for (const rdn of name)
    for (const attribute of rdn) {
      const value = attribute.value.toString();
      names.push({ Type: oidArray(attribute.type), Value: value });
      const field = nameFields[attribute.type];
      if (!field) continue;
      if (field === 'SerialNumber' || field === 'CommonName') out[field] = value;
      else out[field] = [...((out[field] as string[] | null) ?? []), value];
    }
  if (names.length > 0) out.Names = names;
  return out;
}

function signatureAlgorithm(algorithm: string, parameters: ArrayBuffer | null | undefined): number {
  if (algorithm !== '1.2.840.113549.1.1.10') return signatureAlgorithms[algorithm] ?? 0;
  if (!parameters) return 0;
  try {
    return pssByHash[AsnConvert.parse(parameters, RsaSaPssParams).hashAlgorithm.algorithm] ?? 0;
  } catch {
    return 0;
  }
}

/** The RSA key of a SubjectPublicKeyInfo as `{N, E}` (N in decimal, as Go's big.Int prints). */
function rsaKey(algorithm: string, subjectPublicKey: ArrayBuffer): Json {
  if (algorithm !== '1.2.840.113549.1.1.1') throw new Error('certificate should use rsa algorithm');
  let key: RSAPublicKey;
  try {
    key = AsnConvert.parse(subjectPublicKey, RSAPublicKey);
  } catch {
    throw new Error('failed to parse subject public key info');
  }
  const hex = Buffer.from(key.modulus).toString('hex') || '0';
  const exponent = Buffer.from(key.publicExponent).toString('hex') || '0';
  return { N: BigInt(`0x${hex}`).toString(), E: Number(BigInt(`0x${exponent}`)) };
}

function goUrl(text: string): Json {
  const url = URL.canParse(text) ? new URL(text) : undefined;
  return {
    Scheme: url ? url.protocol.replace(/:$/, '') : '',
    Opaque: '',
    User: null,
    Host: url ? url.host : '',
    Path: url ? decodeURIComponent(url.pathname) : text,
    RawPath: '',
    OmitHost: false,
    ForceQuery: false,
    RawQuery: url ? url.search.replace(/^\?/, '') : '',
    Fragment: url ? decodeURIComponent(url.hash.replace(/^#/, '')) : '',
    RawFragment: '',
  };
}

/** SAN-style general names into Go's four lists. */
function sanLists(names: GeneralName[], out: Json): void {
  const push = (field: string, value: unknown) => {
    out[field] = [...((out[field] as unknown[] | null) ?? []), value];
  };
  for (const name of names) {
    if (name.dNSName !== undefined) push('DNSNames', name.dNSName);
    else if (name.rfc822Name !== undefined) push('EmailAddresses', name.rfc822Name);
    else if (name.iPAddress !== undefined) push('IPAddresses', name.iPAddress);
    else if (name.uniformResourceIdentifier !== undefined)
      push('URIs', goUrl(name.uniformResourceIdentifier));
  }
}

function goExtension(extension: Extension): Json {
  return {
    Id: oidArray(extension.extnID),
    Critical: extension.critical,
    Value: base64(extension.extnValue.buffer),
  };
}

function certificateJson(der: Buffer): Json {
  const cert = AsnConvert.parse(der, Certificate);
  const tbs = cert.tbsCertificate;
  const [tbsRange] = children(der, 0);
  const tbsParts = children(der, tbsRange!.start);
  // TBSCertificate: [0] version (optional), serial, signature, issuer, validity, subject, spki, ...
  const base = der[tbsParts[0]!.start] === 0xa0 ? 1 : 0;
  const slice = (range: { start: number; end: number } | undefined) =>
    range ? base64(der.subarray(range.start, range.end)) : null;
  const extensions = tbs.extensions ?? [];
  const out: Json = {
    Raw: base64(der),
    RawTBSCertificate: slice(tbsRange),
    RawSubjectPublicKeyInfo: slice(tbsParts[base + 5]),
    RawSubject: slice(tbsParts[base + 4]),
    RawIssuer: slice(tbsParts[base + 2]),
    Signature: base64(cert.signatureValue),
    SignatureAlgorithm: signatureAlgorithm(
      cert.signatureAlgorithm.algorithm,
      cert.signatureAlgorithm.parameters,
    ),
    PublicKeyAlgorithm: 1,
    PublicKey: rsaKey(
      tbs.subjectPublicKeyInfo.algorithm.algorithm,
      tbs.subjectPublicKeyInfo.subjectPublicKey,
    ),
    Version: tbs.version + 1,
    SerialNumber: Number(BigInt(`0x${Buffer.from(tbs.serialNumber).toString('hex') || '0'}`)),
    Issuer: goName(tbs.issuer),
    Subject: goName(tbs.subject),
    NotBefore: goTime(tbs.validity.notBefore.getTime()),
    NotAfter: goTime(tbs.validity.notAfter.getTime()),
    KeyUsage: 0,
    Extensions: extensions.length > 0 ? extensions.map(goExtension) : null,
    ExtraExtensions: null,
    UnhandledCriticalExtensions: null,
    ExtKeyUsage: null,
    UnknownExtKeyUsage: null,
    BasicConstraintsValid: false,
    IsCA: false,
    MaxPathLen: 0,
    MaxPathLenZero: false,
    SubjectKeyId: null,
    AuthorityKeyId: null,
    OCSPServer: null,
    IssuingCertificateURL: null,
    DNSNames: null,
    EmailAddresses: null,
    IPAddresses: null,
    URIs: null,
    PermittedDNSDomainsCritical: false,
    PermittedDNSDomains: null,
    ExcludedDNSDomains: null,
    PermittedIPRanges: null,
    ExcludedIPRanges: null,
    PermittedEmailAddresses: null,
    ExcludedEmailAddresses: null,
    PermittedURIDomains: null,
    ExcludedURIDomains: null,
    CRLDistributionPoints: null,
    PolicyIdentifiers: null,
    Policies: null,
    InhibitAnyPolicy: 0,
    InhibitAnyPolicyZero: false,
    InhibitPolicyMapping: 0,
    InhibitPolicyMappingZero: false,
    RequireExplicitPolicy: 0,
    RequireExplicitPolicyZero: false,
    PolicyMappings: null,
  };
  for (const extension of extensions) {
    const value = extension.extnValue.buffer;
    switch (extension.extnID) {
      case '2.5.29.15': {
        const usage = AsnConvert.parse(value, KeyUsage);
        const bytes = new Uint8Array(usage.value);
        let bits = 0;
        for (let i = 0; i < 9; i++) if ((bytes[i >> 3] ?? 0) & (0x80 >> (i & 7))) bits |= 1 << i;
        out.KeyUsage = bits;
        break;
      }
      case '2.5.29.19': {
        const constraints = AsnConvert.parse(value, BasicConstraints);
        out.BasicConstraintsValid = true;
        out.IsCA = constraints.cA;
        out.MaxPathLen = constraints.pathLenConstraint ?? -1;
        out.MaxPathLenZero = constraints.pathLenConstraint === 0;
        break;
      }
      case '2.5.29.17':
        sanLists([...AsnConvert.parse(value, SubjectAlternativeName)], out);
        break;
      case '2.5.29.37': {
        const known: number[] = [];
        const unknown: number[][] = [];
        for (const oid of AsnConvert.parse(value, ExtendedKeyUsage)) {
          if (extKeyUsages[oid] !== undefined) known.push(extKeyUsages[oid]);
          else unknown.push(oidArray(oid));
        }
        out.ExtKeyUsage = known.length > 0 ? known : null;
        out.UnknownExtKeyUsage = unknown.length > 0 ? unknown : null;
        break;
      }
      case '2.5.29.14':
        out.SubjectKeyId = base64(AsnConvert.parse(value, SubjectKeyIdentifier).buffer);
        break;
      case '2.5.29.35': {
        const id = AsnConvert.parse(value, AuthorityKeyIdentifier).keyIdentifier;
        if (id) out.AuthorityKeyId = base64(id.buffer);
        break;
      }
      case '1.3.6.1.5.5.7.1.1':
        for (const access of AsnConvert.parse(value, AuthorityInfoAccessSyntax)) {
          const uri = access.accessLocation.uniformResourceIdentifier;
          if (uri === undefined) continue;
          const field =
            access.accessMethod === '1.3.6.1.5.5.7.48.1'
              ? 'OCSPServer'
              : access.accessMethod === '1.3.6.1.5.5.7.48.2'
                ? 'IssuingCertificateURL'
                : undefined;
          if (field) out[field] = [...((out[field] as string[] | null) ?? []), uri];
        }
        break;
      case '2.5.29.31':
        for (const point of AsnConvert.parse(value, CRLDistributionPoints))
          for (const name of point.distributionPoint?.fullName ?? [])
            if (name.uniformResourceIdentifier !== undefined)
              out.CRLDistributionPoints = [
                ...((out.CRLDistributionPoints as string[] | null) ?? []),
                name.uniformResourceIdentifier,
              ];
        break;
      case '2.5.29.32': {
        const ids = [...AsnConvert.parse(value, CertificatePolicies)].map((p) => p.policyIdentifier);
        out.PolicyIdentifiers = ids.map(oidArray);
        out.Policies = ids;
        break;
      }
      case '2.5.29.30': {
        const constraints = AsnConvert.parse(value, NameConstraints);
        out.PermittedDNSDomainsCritical = extension.critical;
        const collect = (subtrees: Array<{ base: GeneralName }> | undefined, prefix: string) => {
          for (const { base } of subtrees ?? []) {
            const push = (field: string, item: unknown) => {
              out[`${prefix}${field}`] = [...((out[`${prefix}${field}`] as unknown[] | null) ?? []), item];
            };
            if (base.dNSName !== undefined) push('DNSDomains', base.dNSName);
            else if (base.rfc822Name !== undefined) push('EmailAddresses', base.rfc822Name);
            else if (base.uniformResourceIdentifier !== undefined)
              push('URIDomains', base.uniformResourceIdentifier);
          }
        };
        collect(constraints.permittedSubtrees ? [...constraints.permittedSubtrees] : undefined, 'Permitted');
        collect(constraints.excludedSubtrees ? [...constraints.excludedSubtrees] : undefined, 'Excluded');
        break;
      }
      default:
        break;
    }
  }
  return out;
}

function requestJson(der: Buffer): Json {
  const csr = AsnConvert.parse(der, CertificationRequest);
  const info = csr.certificationRequestInfo;
  const [infoRange] = children(der, 0);
  const infoParts = children(der, infoRange!.start);
  const slice = (range: { start: number; end: number } | undefined) =>
    range ? base64(der.subarray(range.start, range.end)) : null;
  const out: Json = {
    Attributes: null,
    Raw: base64(der),
    RawTBSCertificateRequest: slice(infoRange),
    RawSubjectPublicKeyInfo: slice(infoParts[2]),
    RawSubject: slice(infoParts[1]),
    Version: info.version,
    Signature: base64(csr.signature),
    SignatureAlgorithm: signatureAlgorithm(
      csr.signatureAlgorithm.algorithm,
      csr.signatureAlgorithm.parameters,
    ),
    PublicKeyAlgorithm: 1,
    PublicKey: rsaKey(info.subjectPKInfo.algorithm.algorithm, info.subjectPKInfo.subjectPublicKey),
    Subject: goName(info.subject),
    Extensions: null,
    ExtraExtensions: null,
    DNSNames: null,
    EmailAddresses: null,
    IPAddresses: null,
    URIs: null,
  };
  const attributes = info.attributes.map(goAttribute).filter((a): a is Json => a !== undefined);
  if (attributes.length > 0) out.Attributes = attributes;
  const extensions: Extension[] = [];
  for (const attribute of info.attributes)
    if (attribute.type === '1.2.840.113549.1.9.14')
      for (const raw of attribute.values) extensions.push(...AsnConvert.parse(raw, Extensions));
  if (extensions.length > 0) out.Extensions = extensions.map(goExtension);
  for (const extension of extensions)
    if (extension.extnID === '2.5.29.17')
      sanLists([...AsnConvert.parse(extension.extnValue.buffer, SubjectAlternativeName)], out);
  return out;
}

function decodeOid(bytes: Buffer): number[] {
  const out: number[] = [];
  let value = 0;
  for (const byte of bytes) {
    value = value * 128 + (byte & 0x7f);
    if (byte & 0x80) continue;
    if (out.length === 0)
      out.push(value < 80 ? Math.floor(value / 40) : 2, value < 80 ? value % 40 : value - 80);
    else out.push(value);
    value = 0;
  }
  return out;
}

/** One DER value as Go's encoding/asn1 decodes it into an `any`, or undefined when it would not. */
function goAsn1Value(der: Buffer, start: number, end: number): unknown {
  const tag = der[start]!;
  const content = der.subarray(end - bodyLength(der, start), end);
  switch (tag) {
    case 0x01:
      return content[0] !== 0;
    case 0x02:
      return Number(BigInt.asIntN(content.length * 8, BigInt(`0x${content.toString('hex') || '0'}`)));
    case 0x04:
      return content.toString('base64');
    case 0x06:
      return decodeOid(content);
    case 0x0c:
    case 0x13:
    case 0x16:
    case 0x14:
      return content.toString(tag === 0x0c ? 'utf8' : 'latin1');
    default:
      return undefined;
  }
}

/** The length of the content of the TLV at `start`. */
function bodyLength(der: Buffer, start: number): number {
  const first = der[start + 1]!;
  if (!(first & 0x80)) return first;
  let length = 0;
  for (let i = 0; i < (first & 0x7f); i++) length = length * 256 + der[start + 2 + i]!;
  return length;
}

/**
 * A CSR attribute as Go's deprecated `Attributes` field holds it: each value a SEQUENCE of
 * {OID, value} pairs (only the first value after the OID is kept); attributes of another shape are
 * left out, as Go leaves them.
 */
function goAttribute(attribute: { type: string; values: ArrayBuffer[] }): Json | undefined {
  const values: Json[][] = [];
  for (const raw of attribute.values) {
    const der = Buffer.from(raw);
    if (der[0] !== 0x30) return undefined;
    const pairs: Json[] = [];
    for (const item of children(der, 0)) {
      if (der[item.start] !== 0x30) return undefined;
      const parts = children(der, item.start);
      if (parts.length < 2 || der[parts[0]!.start] !== 0x06) return undefined;
      const oid = goAsn1Value(der, parts[0]!.start, parts[0]!.end) as number[];
      const value = goAsn1Value(der, parts[1]!.start, parts[1]!.end);
      if (value === undefined) return undefined;
      pairs.push({ Type: oid, Value: value });
    }
    values.push(pairs);
  }
  return { Type: oidArray(attribute.type), Value: values };
}

/** Go's time.Time JSON: RFC 3339 in UTC, fractional seconds only when present. */
function goTime(date: Date): string {
  return date.toISOString().replace(/\.000Z$/, 'Z');
}

/** `x509_decode(pem)` as Kyverno returns it. */
export function x509Decode(pem: string): Json {
  const match = /-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)\r?\n?-----END \1-----/.exec(pem);
  if (!match) throw new Error('failed to decode PEM block');
  const der = Buffer.from(match[2]!.replace(/\s+/g, ''), 'base64');
  if (match[1] === 'CERTIFICATE') return certificateJson(der);
  if (match[1] === 'CERTIFICATE REQUEST') return requestJson(der);
  throw new Error('PEM block neither contains a CERTIFICATE or CERTIFICATE REQUEST');
}
