// Signed and encrypted jobs (--secret, --encrypt): an envelope around the job payload (wire-payload.ts), so a
// worker runs only jobs from clients that hold its secret, and headers such as Authorization cross gearmand
// unreadable. Pure: the clock (and the IV) are arguments; docs/gearman.md §9 has the format and what it does
// and does not protect.
//
// Forms, told apart by their first bytes (a plain payload is JSON, `{`):
//   signed     `fanout-signed/1 <ms> <mac>\n<payload>`             mac = HMAC-SHA256(kS, `fanout-signed/1 <ms>\n<payload>`)
//   encrypted  `fanout-sealed/1 <ms> <iv> <tag>\n<ciphertext>`     AES-256-GCM(kE, iv), additional data `fanout-sealed/1 <ms>`
// <ms> is the sealing time in milliseconds since the epoch, <mac>, <iv> (12 bytes) and <tag> (16) base64url.
// kS and kE are derived from the secret with HKDF-SHA256 under different labels, so neither key reveals the other.
//
// Decisions:
// - The MAC (or the GCM tag) is checked before anything else of the envelope is believed, the age after it.
// - A worker without a secret runs a signed job (it cannot check it, and says so): a signed job is never less
//   trustworthy than the unsigned ones such a worker runs anyway, and it lets clients start signing before the
//   workers get the secret. An encrypted job it cannot open, and refuses.
import { WORKER_DEFAULTS } from '../defaults.js';
import { createCipheriv, createDecipheriv, createHmac, hkdfSync, randomBytes, timingSafeEqual } from 'node:crypto';

/** What a client seals its jobs with. */
export interface JobSecret {
  secret: string;
  /** Encrypt the payload (AES-256-GCM) instead of only signing it. */
  encrypt: boolean;
}

export interface OpenOptions {
  /** The worker's secret; null: it checks nothing (and cannot open encrypted jobs). */
  secret: string | null;
  /** A job sealed longer ago than this is refused. */
  maxAgeMs: number;
  /** Now, in milliseconds since the epoch. */
  now: number;
}

/** A worker's options as it has them (--secret and --max-job-age may be absent), judged at `now`. */
export function openOptions(secret: string | null | undefined, maxAgeMs: number | undefined, now: number): OpenOptions {
  return { secret: secret ?? null, maxAgeMs: maxAgeMs ?? WORKER_DEFAULTS.maxJobAgeMs, now };
}

export type EnvelopeForm = 'plain' | 'signed' | 'encrypted';

export interface OpenedJob {
  payload: Buffer;
  form: EnvelopeForm;
  /** Whether the signature (or the tag) was checked: false for a plain job, and for a signed one without a secret. */
  verified: boolean;
}

/** A job the worker refuses; the message becomes its WORK_EXCEPTION text. */
export class JobEnvelopeError extends Error {
  override readonly name = 'JobEnvelopeError';
}

/** How far ahead of the worker's clock a job may be dated (clocks a little apart), in milliseconds. */
export const MAX_CLOCK_AHEAD_MS = 60_000;

const SIGNED = 'fanout-signed/1';
const SEALED = 'fanout-sealed/1';
const ENVELOPE_PREFIX = 'fanout-';
const IV_BYTES = 12;
const TAG_BYTES = 16;
const MAC_BYTES = 32;
const KEY_BYTES = 32;
const SALT = 'fanout job envelope';
const MAX_HEADER_BYTES = 200;

function deriveKey(secret: string, label: 'sign' | 'encrypt'): Buffer {
  return Buffer.from(hkdfSync('sha256', secret, SALT, `${label} v1`, KEY_BYTES));
}

function mac(secret: string, head: string, payload: Buffer): Buffer {
  return createHmac('sha256', deriveKey(secret, 'sign')).update(`${head}\n`).update(payload).digest();
}

/** The payload as it goes to gearmand: unchanged without a secret, else signed or encrypted, dated `now`. */
export function sealJob(payload: string, secret: JobSecret | null, now: number, iv: Buffer = randomBytes(IV_BYTES)): string | Buffer {
  if (secret === null) return payload;
  const bytes = Buffer.from(payload, 'utf8');
  const time = String(Math.floor(now));
  if (!secret.encrypt) {
    const head = `${SIGNED} ${time}`;
    return Buffer.concat([Buffer.from(`${head} ${mac(secret.secret, head, bytes).toString('base64url')}\n`), bytes]);
  }
  const cipher = createCipheriv('aes-256-gcm', deriveKey(secret.secret, 'encrypt'), iv);
  cipher.setAAD(Buffer.from(`${SEALED} ${time}`));
  const ciphertext = Buffer.concat([cipher.update(bytes), cipher.final()]);
  const head = `${SEALED} ${time} ${iv.toString('base64url')} ${cipher.getAuthTag().toString('base64url')}\n`;
  return Buffer.concat([Buffer.from(head), ciphertext]);
}

/** The payload inside; throws JobEnvelopeError for a job the worker must refuse (unsigned, tampered, too old, …). */
export function openJob(bytes: Buffer, options: OpenOptions): OpenedJob {
  if (!bytes.subarray(0, ENVELOPE_PREFIX.length).equals(Buffer.from(ENVELOPE_PREFIX))) {
    if (options.secret !== null) {
      throw new JobEnvelopeError('unsigned job: this worker runs only jobs signed with its --secret (give the client the same --secret)');
    }
    return { payload: bytes, form: 'plain', verified: false };
  }
  const newline = bytes.subarray(0, MAX_HEADER_BYTES).indexOf(0x0a);
  if (newline === -1) throw new JobEnvelopeError('malformed job envelope: no header line');
  const fields = bytes.subarray(0, newline).toString('latin1').split(' ');
  const body = bytes.subarray(newline + 1);
  const [kind, time = ''] = fields;
  if (kind === SIGNED && fields.length === 3) return openSigned(time, fields[2] ?? '', body, options);
  if (kind === SEALED && fields.length === 4) return openSealed(time, fields[2] ?? '', fields[3] ?? '', body, options);
  throw new JobEnvelopeError(`unsupported job envelope "${(kind ?? '').slice(0, 40)}" (this worker understands ${SIGNED} and ${SEALED})`);
}

function openSigned(time: string, macText: string, payload: Buffer, options: OpenOptions): OpenedJob {
  const sealedAt = parseTime(time);
  if (options.secret === null) return { payload, form: 'signed', verified: false };
  const given = Buffer.from(macText, 'base64url');
  const expected = mac(options.secret, `${SIGNED} ${time}`, payload);
  if (given.length !== MAC_BYTES || !timingSafeEqual(given, expected)) {
    throw new JobEnvelopeError('job signature does not match: the job was changed on the way, or signed with another secret');
  }
  checkAge(sealedAt, options);
  return { payload, form: 'signed', verified: true };
}

function openSealed(time: string, ivText: string, tagText: string, ciphertext: Buffer, options: OpenOptions): OpenedJob {
  const sealedAt = parseTime(time);
  if (options.secret === null) {
    throw new JobEnvelopeError('encrypted job: this worker has no --secret to open it (give it the same --secret as the client)');
  }
  const iv = Buffer.from(ivText, 'base64url');
  const tag = Buffer.from(tagText, 'base64url');
  if (iv.length !== IV_BYTES || tag.length !== TAG_BYTES) throw new JobEnvelopeError('malformed job envelope: bad IV or tag');
  const decipher = createDecipheriv('aes-256-gcm', deriveKey(options.secret, 'encrypt'), iv);
  decipher.setAAD(Buffer.from(`${SEALED} ${time}`));
  decipher.setAuthTag(tag);
  let payload: Buffer;
  try {
    payload = Buffer.concat([decipher.update(ciphertext), decipher.final()]);
  } catch {
    throw new JobEnvelopeError('encrypted job does not open: it was changed on the way, or sealed with another secret');
  }
  checkAge(sealedAt, options);
  return { payload, form: 'encrypted', verified: true };
}

function parseTime(time: string): number {
  if (!/^\d{1,15}$/.test(time)) throw new JobEnvelopeError('malformed job envelope: bad timestamp');
  return Number(time);
}

function checkAge(sealedAt: number, { now, maxAgeMs }: OpenOptions): void {
  const age = now - sealedAt;
  if (age > maxAgeMs) {
    throw new JobEnvelopeError(
      `job too old: sealed ${seconds(age)} ago, more than the worker's --max-job-age ${seconds(maxAgeMs)} ` +
        '(queued too long, replayed, or the clocks of client and worker differ)',
    );
  }
  if (-age > MAX_CLOCK_AHEAD_MS) {
    throw new JobEnvelopeError(
      `job dated ${seconds(-age)} ahead of this worker's clock (more than ${seconds(MAX_CLOCK_AHEAD_MS)}): are the clocks of client and worker set?`,
    );
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}
