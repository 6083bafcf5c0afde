/**
 * TLS material for `parapet serve`: loaded and checked at start (a missing or broken file is a
 * one-line `PARAPET_TLS` error), and reloaded without a restart when the files change, as they do
 * when cert-manager rotates the Secret (kubelet swaps a symlink, so files are polled with stat,
 * which follows it). A broken file on reload keeps the old context and reports the error.
 */
import { readFileSync, unwatchFile, watchFile } from 'node:fs';
import type { SecureContextOptions } from 'node:tls';
import { createSecureContext } from 'node:tls';
import { describeError, ParapetError } from '../model/errors.js';

export interface TlsFiles {
  cert: string;
  key: string;
  /** CA bundle that client certificates (the API server's) must chain to. */
  clientCa?: string;
}

/** Options for `https.createServer` / `setSecureContext`. */
export interface TlsMaterial extends SecureContextOptions {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
  minVersion: 'TLSv1.2';
  ciphers: string;
  honorCipherOrder: true;
}

/**
 * TLS 1.3's suites, and TLS 1.2's with ECDHE key exchange and an AEAD cipher (GCM, ChaCha20-Poly1305):
 * no CBC, no static RSA key exchange. Every API server version that calls webhooks offers these.
 */
export const webhookCiphers = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

function readPem(file: string, what: string): Buffer {
  let data: Buffer;
  try {
    data = readFileSync(file);
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : describeError(error);
    throw new ParapetError('PARAPET_TLS', `${file}: cannot read ${what}: ${reason}`, { file, cause: error });
  }
  if (!data.includes('-----BEGIN')) {
    throw new ParapetError('PARAPET_TLS', `${file}: ${what} is not PEM (no -----BEGIN line)`, { file });
  }
  return data;
}

/** Reads and checks the certificate, key and optional client CA; throws a one-line `PARAPET_TLS` error. */
export function loadTlsMaterial(files: TlsFiles): TlsMaterial {
  const material: TlsMaterial = {
    cert: readPem(files.cert, 'certificate'),
    key: readPem(files.key, 'private key'),
    minVersion: 'TLSv1.2',
    ciphers: webhookCiphers,
    honorCipherOrder: true,
  };
  if (files.clientCa) material.ca = readPem(files.clientCa, 'client CA bundle');
  try {
    // Parses everything and checks that the key belongs to the certificate.
    createSecureContext(material);
  } catch (error) {
    const reason = describeError(error);
    const file = /key/i.test(reason) ? files.key : files.cert;
    throw new ParapetError('PARAPET_TLS', `${file}: unusable TLS material: ${reason}`, {
      file,
      cause: error,
    });
  }
  return material;
}

/** The `https` options the server is built with: TLS 1.2 AEAD or 1.3, and client certificates when a CA is given. */
export function httpsOptions(material: TlsMaterial): Record<string, unknown> {
  return {
    ...material,
    ...(material.ca ? { requestCert: true, rejectUnauthorized: true } : {}),
  };
}

export interface TlsWatcher {
  close(): void;
}

/**
 * Polls the TLS files every `intervalMs` and calls `onReload` with fresh, checked material when any
 * of them changed, or `onError` when the new files are unusable (the caller keeps the old ones).
 */
export function watchTlsFiles(
  files: TlsFiles,
  handlers: { onReload(material: TlsMaterial): void; onError(error: ParapetError): void },
  intervalMs = 2000,
): TlsWatcher {
  const paths = [files.cert, files.key, files.clientCa].filter((p): p is string => typeof p === 'string');
  let pending: NodeJS.Timeout | undefined;
  const reload = () => {
    pending = undefined;
    try {
      handlers.onReload(loadTlsMaterial(files));
    } catch (error) {
      handlers.onError(
        error instanceof ParapetError
          ? error
          : new ParapetError('PARAPET_TLS', `TLS reload failed: ${describeError(error)}`, { cause: error }),
      );
    }
  };
  const listener = (
    current: { mtimeMs: number; ino: number; size: number },
    previous: { mtimeMs: number; ino: number; size: number },
  ) => {
    if (
      current.mtimeMs === previous.mtimeMs &&
      current.ino === previous.ino &&
      current.size === previous.size
    )
      return;
    // Certificate and key are written one after the other; wait for both before reading.
    if (pending) clearTimeout(pending);
    pending = setTimeout(reload, Math.min(500, intervalMs));
    pending.unref();
  };
  for (const path of paths) watchFile(path, { interval: intervalMs, persistent: false }, listener);
  return {
    close() {
      if (pending) clearTimeout(pending);
      for (const path of paths) unwatchFile(path, listener);
    },
  };
}
