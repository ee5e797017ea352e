// The shared secret that signs (and with --encrypt encrypts) gearman jobs, as pull, push and worker take it:
// --secret SECRET, --secret-file FILE (its first line) or the environment's FANOUT_SECRET, in that order of
// precedence. A flag beats the environment, so a worker started with --secret-file is not overruled by a stale
// export; both flags at once is a mistake. The environment is read here rather than by oclif so that a client
// can tell a secret it was given (an error without --gearman) from one its shell exports (ignored then).
import { readFile } from 'node:fs/promises';
import { Flags } from '@oclif/core';
import { UsageError } from './usage-error.js';

export const SECRET_ENV = 'FANOUT_SECRET';

/** --secret and --secret-file, in the help group the command shows them in. */
export function secretFlags(helpGroup: string | null) {
  const group = helpGroup === null ? {} : { helpGroup };
  return {
    secret: Flags.string({
      ...group,
      description: `shared secret that signs the jobs (or ${SECRET_ENV}; better --secret-file, since ps shows arguments)`,
      helpValue: 'SECRET',
    }),
    'secret-file': Flags.string({ ...group, description: 'read the shared secret from the first line of FILE', helpValue: 'FILE' }),
  };
}

export interface SecretFlags {
  secret?: string | undefined;
  'secret-file'?: string | undefined;
}

/** Whether the command line itself names a secret (the environment aside). */
export function secretGiven(flags: SecretFlags): boolean {
  return flags.secret !== undefined || flags['secret-file'] !== undefined;
}

/** The secret from --secret, --secret-file or FANOUT_SECRET, or null; throws UsageError for an empty or unreadable one. */
export async function readSecret(flags: SecretFlags, env: NodeJS.ProcessEnv): Promise<string | null> {
  const file = flags['secret-file'];
  if (flags.secret !== undefined && file !== undefined) throw new UsageError('--secret and --secret-file: give one of them');
  if (flags.secret !== undefined) return nonEmpty(flags.secret, '--secret: the secret is empty');
  if (file !== undefined) return nonEmpty(await firstLine(file), `--secret-file ${file}: the first line is empty`);
  const fromEnv = env[SECRET_ENV];
  return fromEnv === undefined ? null : nonEmpty(fromEnv, `${SECRET_ENV} is set but empty (unset it, or give the secret)`);
}

async function firstLine(file: string): Promise<string> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UsageError(`--secret-file ${file}: cannot read it (${code})`);
  }
  const end = text.indexOf('\n');
  return (end === -1 ? text : text.slice(0, end)).replace(/\r$/, '');
}

function nonEmpty(secret: string, message: string): string {
  if (secret === '') throw new UsageError(message);
  return secret;
}
