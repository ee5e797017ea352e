// --ca, --cert and --key, as pull, push and worker declare them, and their files read into TlsMaterial once at
// start: a file that cannot be read, is not PEM, or a key that is not the certificate's stops the command with one
// line naming the flag and the file, before anything is sent. Nothing of a file's content is ever echoed.
import { Flags } from '@oclif/core';
import { checkTlsMaterial, NO_TLS_MATERIAL, TlsMaterialError, type TlsMaterial, type TlsPart } from '../http/tls-material.js';
import { readFlagFile } from './read-flag-file.js';
import { UsageError } from './usage-error.js';

export const tlsFlags = {
  ca: Flags.string({
    helpGroup: 'TLS',
    description: 'trust the CA certificates in this PEM file instead of the bundled roots',
    helpValue: 'FILE',
  }),
  cert: Flags.string({
    helpGroup: 'TLS',
    description: 'client certificate (PEM) for servers that ask for one (mutual TLS); needs --key',
    helpValue: 'FILE',
  }),
  key: Flags.string({ helpGroup: 'TLS', description: 'the private key (PEM, unencrypted) of --cert', helpValue: 'FILE' }),
};

export interface TlsFlags {
  ca?: string | undefined;
  cert?: string | undefined;
  key?: string | undefined;
}

export function hasTlsFlags(flags: TlsFlags): boolean {
  return flags.ca !== undefined || flags.cert !== undefined || flags.key !== undefined;
}

/** The files of --ca, --cert and --key, read and checked; NO_TLS_MATERIAL when none is given. */
export async function readTlsFlags(flags: TlsFlags): Promise<TlsMaterial> {
  if (!hasTlsFlags(flags)) return NO_TLS_MATERIAL;
  const { ca, cert, key } = flags;
  if (cert !== undefined && key === undefined) throw new UsageError(`--cert ${cert} needs --key FILE, its private key`);
  if (key !== undefined && cert === undefined) throw new UsageError(`--key ${key} needs --cert FILE, the certificate it belongs to`);
  const text = async (flag: string, path: string | undefined): Promise<string | null> =>
    path === undefined ? null : (await readFlagFile(flag, path)).toString('utf8');
  // One after the other: with two bad files, the message names the same one every time.
  const caPem = await text('--ca', ca);
  const certPem = await text('--cert', cert);
  const keyPem = await text('--key', key);
  const material: TlsMaterial = { ca: caPem, client: certPem === null || keyPem === null ? null : { cert: certPem, key: keyPem } };
  try {
    checkTlsMaterial(material);
  } catch (error) {
    if (!(error instanceof TlsMaterialError)) throw error;
    const files: Record<TlsPart, string | undefined> = { ca, cert, key };
    throw new UsageError(`--${error.part} ${files[error.part] ?? ''}: ${error.message}`);
  }
  return material;
}
