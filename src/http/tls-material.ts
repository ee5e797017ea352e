// The TLS material a run or a worker brings of its own: the CAs to trust (instead of Node's bundled roots) and a
// client certificate with its key for servers that ask for one (mutual TLS). PEM text, read once at start by the
// CLI and checked here, so a bad file stops the run before anything is sent; it stays in the process that makes
// the connections (and its executor threads) and never goes into a job payload.
import { createPrivateKey, X509Certificate, type KeyObject } from 'node:crypto';
import type { SecureContext } from 'node:tls';
import { errorCode } from './classify-error.js';

export interface TlsMaterial {
  /** PEM certificates to trust instead of the bundled roots; null: the bundled roots. */
  ca: string | null;
  /** A PEM client certificate (its chain may follow) and its PEM private key; null: none is offered. */
  client: { cert: string; key: string } | null;
}

export const NO_TLS_MATERIAL: TlsMaterial = { ca: null, client: null };

/** Which piece is wrong: the CLI names the flag and the file of it. */
export type TlsPart = 'ca' | 'cert' | 'key';

export class TlsMaterialError extends Error {
  override readonly name = 'TlsMaterialError';
  constructor(
    readonly part: TlsPart,
    message: string,
  ) {
    super(message);
  }
}

const CERTIFICATE_BLOCK = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;
// PEM labels of an encrypted key (PKCS#8, and OpenSSL's traditional format): a key fanout could only use with a
// passphrase, which it never asks for.
const ENCRYPTED_KEY = /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type: *4,ENCRYPTED/;

/** Throws TlsMaterialError, saying in words what is wrong (never quoting the PEM), for material no connection could use. */
export function checkTlsMaterial(material: TlsMaterial): void {
  if (material.ca !== null) certificatesOf('ca', material.ca);
  if (material.client !== null) {
    const [leaf] = certificatesOf('cert', material.client.cert);
    const key = privateKeyOf(material.client.key);
    if (leaf !== undefined && !leaf.checkPrivateKey(key)) {
      throw new TlsMaterialError('key', 'is not the private key of the client certificate');
    }
  }
  try {
    secureContextOf(material);
  } catch (error) {
    throw new TlsMaterialError(material.client === null ? 'ca' : 'cert', `cannot be used for TLS (${codeOf(error)})`);
  }
}

/** The one TLS context of a dispatcher: the given CAs (or the bundled roots) and the client certificate, if any. */
export function secureContextOf(material: TlsMaterial): SecureContext {
  // node:tls on first use, not at import: the CLI imports this module for its types and checks, and loading node:tls
  // cost every command (a dry run, a plain-HTTP pull) ~10 ms of start-up.
  const { createSecureContext } = process.getBuiltinModule('node:tls');
  return createSecureContext({
    ...(material.ca === null ? {} : { ca: material.ca }),
    ...(material.client === null ? {} : { cert: material.client.cert, key: material.client.key }),
  });
}

function certificatesOf(part: 'ca' | 'cert', pem: string): X509Certificate[] {
  const blocks = pem.match(CERTIFICATE_BLOCK) ?? [];
  if (blocks.length === 0) throw new TlsMaterialError(part, 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)');
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new TlsMaterialError(part, `certificate ${i + 1} of ${blocks.length} is not a valid PEM certificate (${codeOf(error)})`);
    }
  });
}

function privateKeyOf(pem: string): KeyObject {
  if (ENCRYPTED_KEY.test(pem)) {
    throw new TlsMaterialError('key', 'is encrypted; fanout takes an unencrypted key (openssl pkey -in FILE -out KEY)');
  }
  try {
    return createPrivateKey({ key: pem, format: 'pem' });
  } catch (error) {
    throw new TlsMaterialError('key', `holds no PEM private key (${codeOf(error)})`);
  }
}

function codeOf(error: unknown): string {
  return errorCode(error) ?? 'invalid';
}
