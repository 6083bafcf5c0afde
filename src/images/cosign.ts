import { createPublicKey, verify, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ParapetError } from '../model/errors.js';
import { mediaTypes } from './manifest.js';
import { RegistryRequestError, type RegistryClient } from './registry-client.js';

/** The annotation cosign stores the base64 signature of a simple-signing payload under. */
export const cosignSignatureAnnotation = 'dev.cosignproject.cosign/signature';
const simpleSigningType = 'cosign container image signature';

/** A public key cosign signatures are checked against. */
export interface CosignPublicKey {
  /** Where it came from (file path), for messages. */
  name: string;
  key: KeyObject;
}

export interface SignatureVerification {
  /** `verified`: a signature by one of the keys covers this digest. `unsigned`: no signature tag. `invalid`: signatures exist, none verifies. */
  status: 'verified' | 'unsigned' | 'invalid';
  /** The signature tag looked up: `sha256-<hex>.sig`. */
  tag: string;
  /** For `verified`: the key that verified. */
  key?: string;
  /** Why no signature verified (one line per signature). */
  reasons: string[];
  /** `critical.identity.docker-reference` of the verified payload. */
  identity?: string;
}

/** Load a PEM public key for cosign verification (ECDSA P-256 or P-384); throws naming the file. */
export function loadCosignPublicKey(path: string): CosignPublicKey {
  let pem: string;
  try {
    pem = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ParapetError(
      'PARAPET_CONFIG_INVALID',
      `${path}: cannot read cosign public key (${(error as Error).message})`,
      { file: path },
    );
  }
  return cosignPublicKeyFromPem(pem, path);
}

/** Parse a PEM public key; only ECDSA on P-256/P-384 is accepted (what `cosign generate-key-pair` makes). */
export function cosignPublicKeyFromPem(pem: string, name: string): CosignPublicKey {
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch (error) {
    throw new ParapetError(
      'PARAPET_CONFIG_INVALID',
      `${name}: not a PEM public key (${(error as Error).message})`,
      { file: name },
    );
  }
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (key.asymmetricKeyType !== 'ec' || (curve !== 'prime256v1' && curve !== 'secp384r1')) {
    throw new ParapetError(
      'PARAPET_CONFIG_INVALID',
      `${name}: cosign public key must be ECDSA P-256 or P-384, got ${key.asymmetricKeyType}${curve ? ` ${curve}` : ''}`,
      {
        file: name,
      },
    );
  }
  return { name, key };
}

/** The tag cosign stores signatures of `digest` under. */
export function signatureTag(digest: string): string {
  return `${digest.replace(':', '-')}.sig`;
}

/**
 * Check a simple-signing payload and its signature against the keys: the signature must verify
 * (ECDSA with SHA-256 over the exact payload bytes) and the payload must name `digest`.
 * Returns the verifying key's name, or the reason it does not verify.
 */
export function verifySimpleSigning(
  payload: Buffer,
  signatureBase64: string,
  digest: string,
  keys: CosignPublicKey[],
): { ok: true; key: string; identity?: string } | { ok: false; reason: string } {
  const signature = Buffer.from(signatureBase64, 'base64');
  if (signature.length === 0) return { ok: false, reason: 'empty signature annotation' };
  const verifying = keys.find(({ key }) => {
    try {
      return verify('sha256', payload, { key, dsaEncoding: 'der' }, signature);
    } catch {
      return false;
    }
  });
  if (!verifying)
    return {
      ok: false,
      reason: `signature does not verify with ${keys.map((key) => key.name).join(', ') || 'no key'}`,
    };
  let document: {
    critical?: {
      type?: unknown;
      image?: { 'docker-manifest-digest'?: unknown };
      identity?: { 'docker-reference'?: unknown };
    };
  };
  try {
    document = JSON.parse(payload.toString('utf8')) as typeof document;
  } catch {
    return { ok: false, reason: 'signed payload is not JSON' };
  }
  if (document.critical?.type !== simpleSigningType)
    return { ok: false, reason: `signed payload type is not "${simpleSigningType}"` };
  const signedDigest = document.critical.image?.['docker-manifest-digest'];
  if (signedDigest !== digest)
    return { ok: false, reason: `signed payload names ${String(signedDigest)}, not ${digest}` };
  const identity = document.critical.identity?.['docker-reference'];
  return typeof identity === 'string'
    ? { ok: true, key: verifying.name, identity }
    : { ok: true, key: verifying.name };
}

/**
 * Verify that `registry/repository@digest` carries a keyed cosign signature: read the
 * `sha256-<hex>.sig` manifest, and for each simple-signing layer fetch the payload (digest-checked)
 * and verify its signature annotation. Registry failures other than a missing tag are thrown.
 */
export async function verifyCosignSignature(
  client: RegistryClient,
  target: { registry: string; repository: string; digest: string },
  keys: CosignPublicKey[],
  signal?: AbortSignal,
): Promise<SignatureVerification> {
  const tag = signatureTag(target.digest);
  let signatures;
  try {
    signatures = await client.getManifest(target.registry, target.repository, tag, signal);
  } catch (error) {
    if (error instanceof RegistryRequestError && error.status === 404)
      return { status: 'unsigned', tag, reasons: [`no ${tag} in ${target.registry}/${target.repository}`] };
    throw error;
  }
  if (signatures.manifest.kind !== 'manifest')
    return { status: 'invalid', tag, reasons: [`${tag} is an index, not a signature manifest`] };
  const reasons: string[] = [];
  for (const layer of signatures.manifest.layers) {
    if (layer.mediaType !== mediaTypes.cosignSimpleSigning) continue;
    const signature = layer.annotations?.[cosignSignatureAnnotation];
    if (!signature) {
      reasons.push(`layer ${layer.digest} has no ${cosignSignatureAnnotation} annotation`);
      continue;
    }
    let payload: Buffer;
    try {
      payload = await client.getBlob(target.registry, target.repository, layer.digest, signal, 1024 * 1024);
    } catch (error) {
      if (error instanceof ParapetError && error.code === 'PARAPET_IMAGE_INVALID') {
        reasons.push(`payload ${layer.digest}: ${error.message}`);
        continue;
      }
      throw error;
    }
    const outcome = verifySimpleSigning(payload, signature, target.digest, keys);
    if (outcome.ok) {
      const verified: SignatureVerification = { status: 'verified', tag, key: outcome.key, reasons: [] };
      if (outcome.identity) verified.identity = outcome.identity;
      return verified;
    }
    reasons.push(`payload ${layer.digest}: ${outcome.reason}`);
  }
  if (reasons.length === 0) reasons.push(`${tag} holds no simple-signing layer`);
  return { status: 'invalid', tag, reasons };
}
