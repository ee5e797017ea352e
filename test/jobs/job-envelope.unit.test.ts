import { describe, expect, it } from 'vitest';
import { JobEnvelopeError, MAX_CLOCK_AHEAD_MS, openJob, sealJob } from '../../src/jobs/job-envelope.js';

const SECRET = 'correct horse battery staple, 32+ chars';
const PAYLOAD = JSON.stringify({ v: 1, spec: { headers: [['authorization', 'Bearer s3cr3t-token']] }, hosts: ['web01'] });
const T0 = Date.UTC(2026, 11, 1, 12, 0, 0);
const MAX_AGE = 5 * 60_000;

function asBuffer(sealed: string | Buffer): Buffer {
  return typeof sealed === 'string' ? Buffer.from(sealed) : sealed;
}

function open(bytes: Buffer, secret: string | null, now = T0): ReturnType<typeof openJob> {
  return openJob(bytes, { secret, maxAgeMs: MAX_AGE, now });
}

function refusal(bytes: Buffer, secret: string | null, now = T0): string {
  try {
    open(bytes, secret, now);
  } catch (error) {
    expect(error).toBeInstanceOf(JobEnvelopeError);
    return (error as Error).message;
  }
  throw new Error('the job was not refused');
}

describe.each([
  ['signed', false],
  ['encrypted', true],
] as const)('%s jobs', (form, encrypt) => {
  const seal = (now = T0): Buffer => asBuffer(sealJob(PAYLOAD, { secret: SECRET, encrypt }, now));

  it('open with the same secret to the exact payload bytes', () => {
    const opened = open(seal(), SECRET);
    expect(opened).toEqual({ payload: Buffer.from(PAYLOAD), form, verified: true });
  });

  it('refuse any changed byte, in the header or the body', () => {
    const sealed = seal();
    const newline = sealed.indexOf(0x0a);
    // A byte of the timestamp, the last byte of the MAC/tag, and bytes of the body.
    for (const at of [16, newline - 1, newline + 1, sealed.length - 1]) {
      const tampered = Buffer.from(sealed);
      tampered[at] = tampered[at]! ^ (at === 16 ? 0x01 : 0x20);
      expect(() => open(tampered, SECRET), `byte ${at}`).toThrow(JobEnvelopeError);
    }
    expect(refusal(Buffer.concat([sealed, Buffer.from(' ')]), SECRET)).toMatch(encrypt ? /does not open/ : /signature does not match/);
  });

  it('refuse another secret', () => {
    expect(refusal(seal(), 'another secret')).toMatch(encrypt ? /sealed with another secret/ : /signed with another secret/);
  });

  it('refuse a job older than the max age, and one dated too far ahead; accept the edges', () => {
    expect(open(seal(T0 - MAX_AGE), SECRET).verified).toBe(true);
    expect(refusal(seal(T0 - MAX_AGE - 1), SECRET)).toMatch(/^job too old: sealed 300 s ago, more than the worker's --max-job-age 300 s/);
    expect(open(seal(T0 + MAX_CLOCK_AHEAD_MS), SECRET).verified).toBe(true);
    expect(refusal(seal(T0 + MAX_CLOCK_AHEAD_MS + 1), SECRET)).toMatch(/^job dated 60 s ahead of this worker's clock/);
  });
});

describe('envelope forms', () => {
  it('no secret: the payload goes as it is', () => {
    expect(sealJob(PAYLOAD, null, T0)).toBe(PAYLOAD);
  });

  it('a worker with a secret refuses an unsigned job', () => {
    expect(refusal(Buffer.from(PAYLOAD), SECRET)).toMatch(/^unsigned job: this worker runs only jobs signed with its --secret/);
  });

  it('a worker without a secret runs plain and signed jobs (the signed one unverified) and refuses encrypted ones', () => {
    expect(open(Buffer.from(PAYLOAD), null)).toEqual({ payload: Buffer.from(PAYLOAD), form: 'plain', verified: false });
    const signed = asBuffer(sealJob(PAYLOAD, { secret: SECRET, encrypt: false }, T0));
    expect(open(signed, null)).toEqual({ payload: Buffer.from(PAYLOAD), form: 'signed', verified: false });
    const encrypted = asBuffer(sealJob(PAYLOAD, { secret: SECRET, encrypt: true }, T0));
    expect(refusal(encrypted, null)).toMatch(/^encrypted job: this worker has no --secret to open it/);
  });

  it('an encrypted job does not carry the payload in clear, and two seals of one payload differ (fresh IV)', () => {
    const a = asBuffer(sealJob(PAYLOAD, { secret: SECRET, encrypt: true }, T0));
    const b = asBuffer(sealJob(PAYLOAD, { secret: SECRET, encrypt: true }, T0));
    expect(a.includes('s3cr3t-token')).toBe(false);
    expect(a.includes('authorization')).toBe(false);
    expect(a.equals(b)).toBe(false);
    // The signed form is readable on purpose: it proves origin, not secrecy.
    expect(asBuffer(sealJob(PAYLOAD, { secret: SECRET, encrypt: false }, T0)).includes('s3cr3t-token')).toBe(true);
  });

  it('refuses malformed and unknown envelopes, naming what is wrong', () => {
    expect(refusal(Buffer.from('fanout-signed/1 123'), SECRET)).toMatch(/no header line/);
    expect(refusal(Buffer.from('fanout-signed/2 123 abc\n{}'), SECRET)).toMatch(/unsupported job envelope "fanout-signed\/2"/);
    expect(refusal(Buffer.from('fanout-signed/1 soon abc\n{}'), SECRET)).toMatch(/bad timestamp/);
    expect(refusal(Buffer.from(`fanout-sealed/1 ${T0} AAAA AAAA\n{}`), SECRET)).toMatch(/bad IV or tag/);
    expect(refusal(Buffer.from(`fanout-signed/1 ${T0} AAAA\n{}`), SECRET)).toMatch(/signature does not match/);
  });
});
