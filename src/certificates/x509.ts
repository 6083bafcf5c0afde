import { X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';

const requireCommonJs = createRequire(import.meta.url);

interface Asn1Decoders {
  AsnConvert: typeof import('@peculiar/asn1-schema').AsnConvert;
  Certificate: typeof import('@peculiar/asn1-x509').Certificate;
  RsaSaPssParams: typeof import('@peculiar/asn1-rsa').RsaSaPssParams;
}

let asn1: Asn1Decoders | undefined;

/**
 * The ASN.1 decoders, loaded with the first certificate read: they take longer to load than a
 * one-file `check` takes to run, and most runs read no certificate.
 */
function asn1Decoders(): Asn1Decoders {
  return (asn1 ??= {
    AsnConvert: (requireCommonJs('@peculiar/asn1-schema') as typeof import('@peculiar/asn1-schema'))
      .AsnConvert,
    Certificate: (requireCommonJs('@peculiar/asn1-x509') as typeof import('@peculiar/asn1-x509')).Certificate,
    RsaSaPssParams: (requireCommonJs('@peculiar/asn1-rsa') as typeof import('@peculiar/asn1-rsa'))
      .RsaSaPssParams,
  });
}

/** What parapet knows of one certificate of a PEM bundle (a `tls.crt`, a `ca.crt`, a `caBundle`). */
export interface CertificateFacts {
  /** Position in the bundle (0 is the leaf in a served chain). */
  index: number;
  /** False when the block does not decode as a certificate; only `index` and `error` are then set. */
  readable: boolean;
  error?: string;
  /** Distinguished names on one line: `CN=shop.example.com, O=Acme`. */
  subject?: string;
  issuer?: string;
  serialNumber?: string;
  /** ISO 8601 instants. */
  notBefore?: string;
  notAfter?: string;
  /** Whole days from now until `notAfter` (negative once expired). */
  daysUntilExpiry?: number;
  expired?: boolean;
  notYetValid?: boolean;
  /** Issued by itself and signed by its own key (a root, or a self-made leaf). */
  selfSigned?: boolean;
  /** basicConstraints CA:TRUE. */
  ca?: boolean;
  /** `rsa`, `rsa-pss`, `ec`, `dsa`, `ed25519`, `ed448`. */
  keyType?: string;
  /** Modulus length (RSA, DSA) or curve size (EC, EdDSA). */
  keyBits?: number;
  /** The EC curve (`prime256v1`, `secp384r1` ...). */
  curve?: string;
  /** As OpenSSL names it: `sha256WithRSAEncryption`, `ecdsa-with-SHA256`, `ED25519` ... or the OID. */
  signatureAlgorithm?: string;
  /** The digest the signature uses: `md5`, `sha1`, `sha256` ... (absent for EdDSA). */
  signatureHash?: string;
  dnsNames?: string[];
  ipAddresses?: string[];
}

/** The static part of a certificate's facts: what does not change with the clock. */
type StaticFacts = Omit<CertificateFacts, 'daysUntilExpiry' | 'expired' | 'notYetValid'>;

const DAY_MS = 86_400_000;

/** Signature algorithm OIDs, with OpenSSL's names and their digests. */
const signatureAlgorithms: Record<string, { name: string; hash?: string }> = {
  '1.2.840.113549.1.1.2': { name: 'md2WithRSAEncryption', hash: 'md2' },
  '1.2.840.113549.1.1.4': { name: 'md5WithRSAEncryption', hash: 'md5' },
  '1.2.840.113549.1.1.5': { name: 'sha1WithRSAEncryption', hash: 'sha1' },
  '1.3.14.3.2.29': { name: 'sha1WithRSA', hash: 'sha1' },
  '1.2.840.113549.1.1.14': { name: 'sha224WithRSAEncryption', hash: 'sha224' },
  '1.2.840.113549.1.1.11': { name: 'sha256WithRSAEncryption', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { name: 'sha384WithRSAEncryption', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { name: 'sha512WithRSAEncryption', hash: 'sha512' },
  '1.2.840.113549.1.1.10': { name: 'rsassaPss' },
  '1.2.840.10045.4.1': { name: 'ecdsa-with-SHA1', hash: 'sha1' },
  '1.2.840.10045.4.3.1': { name: 'ecdsa-with-SHA224', hash: 'sha224' },
  '1.2.840.10045.4.3.2': { name: 'ecdsa-with-SHA256', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { name: 'ecdsa-with-SHA384', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { name: 'ecdsa-with-SHA512', hash: 'sha512' },
  '1.2.840.10040.4.3': { name: 'dsaWithSHA1', hash: 'sha1' },
  '2.16.840.1.101.3.4.3.1': { name: 'dsa_with_SHA224', hash: 'sha224' },
  '2.16.840.1.101.3.4.3.2': { name: 'dsa_with_SHA256', hash: 'sha256' },
  '1.3.101.112': { name: 'ED25519' },
  '1.3.101.113': { name: 'ED448' },
};

/** Digest OIDs, for the hash inside RSASSA-PSS parameters. */
const digests: Record<string, string> = {
  '1.3.14.3.2.26': 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

const curveBits: Record<string, number> = {
  prime192v1: 192,
  secp224r1: 224,
  prime256v1: 256,
  secp256k1: 256,
  secp384r1: 384,
  secp521r1: 521,
  brainpoolP256r1: 256,
  brainpoolP384r1: 384,
  brainpoolP512r1: 512,
};

/**
 * The certificate's outer signature algorithm (Certificate.signatureAlgorithm, RFC 5280 4.1.1.2),
 * which Node 20's X509Certificate does not expose, read with @peculiar/asn1-x509.
 */
export function signatureAlgorithmOf(der: Buffer): { name: string; hash?: string } {
  const { AsnConvert, Certificate, RsaSaPssParams } = asn1Decoders();
  const { algorithm, parameters } = AsnConvert.parse(der, Certificate).signatureAlgorithm;
  const known = signatureAlgorithms[algorithm];
  if (!known) return { name: algorithm };
  if (algorithm !== '1.2.840.113549.1.1.10') return known;
  // RSASSA-PSS-params: the hash is SHA-1 when absent (RFC 4055 3.1), which the schema's default says.
  const hashOid = parameters
    ? AsnConvert.parse(parameters, RsaSaPssParams).hashAlgorithm.algorithm
    : '1.3.14.3.2.26';
  return { name: known.name, hash: digests[hashOid] ?? hashOid };
}

/** Node's `subjectAltName`: `DNS:a, DNS:b, IP Address:10.0.0.1`, values with separators JSON-quoted. */
function alternativeNames(text: string | undefined): { dns: string[]; ip: string[] } {
  const dns: string[] = [];
  const ip: string[] = [];
  if (!text) return { dns, ip };
  const entry = /(?:^|, )([A-Za-z ]+):("(?:[^"\\]|\\.)*"|[^,]*)/g;
  for (const match of text.matchAll(entry)) {
    const raw = match[2] ?? '';
    let value = raw;
    if (raw.startsWith('"')) {
      try {
        value = JSON.parse(raw) as string;
      } catch {
        value = raw;
      }
    }
    if (match[1] === 'DNS') dns.push(value);
    else if (match[1] === 'IP Address') ip.push(value);
  }
  return { dns, ip };
}

function oneLine(name: string): string {
  return name.split('\n').filter(Boolean).join(', ');
}

function keyFacts(certificate: X509Certificate): Pick<StaticFacts, 'keyType' | 'keyBits' | 'curve'> {
  const key = certificate.publicKey;
  const type = key.asymmetricKeyType ?? 'unknown';
  const details = key.asymmetricKeyDetails ?? {};
  if (type === 'ec') {
    const curve = details.namedCurve;
    return { keyType: type, curve, keyBits: curve === undefined ? undefined : curveBits[curve] };
  }
  if (type === 'ed25519') return { keyType: type, keyBits: 256 };
  if (type === 'ed448') return { keyType: type, keyBits: 456 };
  return { keyType: type, keyBits: details.modulusLength };
}

function selfSigned(certificate: X509Certificate): boolean {
  if (!certificate.checkIssued(certificate)) return false;
  try {
    return certificate.verify(certificate.publicKey);
  } catch {
    return false;
  }
}

function staticFacts(index: number, pem: string): StaticFacts {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch (error) {
    return { index, readable: false, error: error instanceof Error ? error.message : String(error) };
  }
  let signature: { name: string; hash?: string };
  try {
    signature = signatureAlgorithmOf(certificate.raw);
  } catch (error) {
    return { index, readable: false, error: error instanceof Error ? error.message : String(error) };
  }
  const names = alternativeNames(certificate.subjectAltName);
  return {
    index,
    readable: true,
    subject: oneLine(certificate.subject),
    issuer: oneLine(certificate.issuer),
    serialNumber: certificate.serialNumber,
    notBefore: new Date(certificate.validFrom).toISOString(),
    notAfter: new Date(certificate.validTo).toISOString(),
    selfSigned: selfSigned(certificate),
    ca: certificate.ca,
    ...keyFacts(certificate),
    signatureAlgorithm: signature.name,
    ...(signature.hash === undefined ? {} : { signatureHash: signature.hash }),
    dnsNames: names.dns,
    ipAddresses: names.ip,
  };
}

const pemBlock = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/**
 * The PEM text a value holds: PEM itself (`stringData`, a ConfigMap), or base64 of PEM (Secret
 * `data`, a webhook's `caBundle`). Undefined when it holds no certificate.
 */
function pemText(value: string): string | undefined {
  if (value.includes('-----BEGIN CERTIFICATE-----')) return value;
  const compact = value.replace(/\s+/g, '');
  if (compact.length < 16 || !/^[A-Za-z0-9+/]+={0,2}$/.test(compact)) return undefined;
  const decoded = Buffer.from(compact, 'base64');
  if (decoded[0] === 0x30) {
    // A bare DER certificate, base64-encoded.
    return `-----BEGIN CERTIFICATE-----\n${compact}\n-----END CERTIFICATE-----\n`;
  }
  const text = decoded.toString('latin1');
  return text.includes('-----BEGIN CERTIFICATE-----') ? text : undefined;
}

// Bundles repeat across evaluations (every admission of the same Secret, every policy reading it):
// decode each once. The clock-dependent facts are added per call.
const decoded = new Map<string, StaticFacts[]>();
const CACHE_ENTRIES = 256;

/** The static facts of every certificate `value` holds (none when it holds no certificate). */
function bundleFacts(value: string): StaticFacts[] {
  let facts = decoded.get(value);
  if (facts) return facts;
  const pem = pemText(value);
  facts =
    pem === undefined ? [] : [...pem.matchAll(pemBlock)].map((match, index) => staticFacts(index, match[0]));
  if (decoded.size >= CACHE_ENTRIES) decoded.clear();
  decoded.set(value, facts);
  return facts;
}

/**
 * The certificates a string holds (PEM, or base64 of PEM or DER), in bundle order, judged at `now`.
 * A value with no certificate (empty, a placeholder) gives an empty list.
 */
export function certificatesIn(value: string, now: number = Date.now()): CertificateFacts[] {
  return bundleFacts(value).map((facts) => {
    if (!facts.readable || facts.notAfter === undefined || facts.notBefore === undefined) return { ...facts };
    const notAfter = Date.parse(facts.notAfter);
    return {
      ...facts,
      daysUntilExpiry: Math.floor((notAfter - now) / DAY_MS),
      expired: now > notAfter,
      notYetValid: now < Date.parse(facts.notBefore),
    };
  });
}

/**
 * Whether the certificate (PEM) names `host` by a DNS subject alternative name, a wildcard standing
 * for exactly one whole label (RFC 6125, as OpenSSL's X509_check_host matches it).
 */
export function certificateCoversHost(pem: string, host: string): boolean {
  const certificate = new X509Certificate(pem);
  // Browsers and Go's crypto/tls ignore the subject CN and partial wildcards (f*.example.com).
  return (
    certificate.checkHost(host, { subject: 'never', wildcards: true, partialWildcards: false }) !== undefined
  );
}

/** The PEM text of each certificate in `value`, in bundle order. */
export function certificatePems(value: string): string[] {
  const pem = pemText(value);
  return pem === undefined ? [] : [...pem.matchAll(pemBlock)].map((match) => match[0]);
}
