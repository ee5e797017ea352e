import { describe, expect, it } from 'vitest';
import { RESULT_CODES, type ResultCode } from '../../src/record/host-result.js';
import { backoffMs, decideRetry, parseRetryAfter, retryWaitMs, type RetryClass, type RetrySafety } from '../../src/http/retry-policy.js';

const GET: RetrySafety = { method: 'GET', idempotencyKey: false, retryUnsafe: false };
const POST: RetrySafety = { method: 'POST', idempotencyKey: false, retryUnsafe: false };
const KEYED_POST: RetrySafety = { method: 'POST', idempotencyKey: true, retryUnsafe: false };
const UNSAFE_POST: RetrySafety = { method: 'POST', idempotencyKey: false, retryUnsafe: true };

describe('decideRetry', () => {
  // Every record code (with the status it comes with), its class, and whether GET / POST / POST with an
  // Idempotency-Key / POST with --retry-unsafe is retried.
  const table: Array<[ResultCode, number | null, RetryClass, boolean, boolean, boolean, boolean]> = [
    ['refused', null, 'never_sent', true, true, true, true],
    ['dns', null, 'never_sent', true, true, true, true],
    ['connect_timeout', null, 'never_sent', true, true, true, true],
    ['reset', null, 'maybe_processed', true, false, true, true],
    ['reset', 200, 'maybe_processed', true, false, true, true],
    ['timeout', null, 'maybe_processed', true, false, true, true],
    ['http_status', 408, 'maybe_processed', true, false, true, true],
    ['http_status', 429, 'maybe_processed', true, false, true, true],
    ['http_status', 502, 'maybe_processed', true, false, true, true],
    ['http_status', 503, 'maybe_processed', true, false, true, true],
    ['http_status', 504, 'maybe_processed', true, false, true, true],
    ['http_status', 500, 'final', false, false, false, false],
    ['http_status', 501, 'final', false, false, false, false],
    ['http_status', 404, 'final', false, false, false, false],
    ['http_status', 409, 'final', false, false, false, false],
    ['http_status', 302, 'final', false, false, false, false],
    ['ok', 200, 'final', false, false, false, false],
    ['tls', null, 'final', false, false, false, false],
    ['body_too_large', 503, 'final', false, false, false, false],
    ['invalid_target', null, 'final', false, false, false, false],
    ['denied', null, 'final', false, false, false, false],
    ['aborted', null, 'final', false, false, false, false],
    ['not_attempted', null, 'final', false, false, false, false],
    ['job_lost', null, 'final', false, false, false, false],
    ['worker_error', null, 'final', false, false, false, false],
  ];

  it('covers every record code', () => {
    expect(new Set(table.map(([code]) => code))).toEqual(new Set(RESULT_CODES));
  });

  it.each(table)(
    '%s (status %s) is %s; retried for GET %s, POST %s, keyed POST %s, POST --retry-unsafe %s',
    (code, status, kind, get, post, keyed, unsafe) => {
      expect(decideRetry(code, status, GET)).toEqual({ class: kind, retry: get });
      expect(decideRetry(code, status, POST)).toEqual({ class: kind, retry: post });
      expect(decideRetry(code, status, KEYED_POST)).toEqual({ class: kind, retry: keyed });
      expect(decideRetry(code, status, UNSAFE_POST)).toEqual({ class: kind, retry: unsafe });
    },
  );

  it.each(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS'])('retries a maybe-processed %s (idempotent)', (method) => {
    expect(decideRetry('reset', null, { ...POST, method }).retry).toBe(true);
    expect(decideRetry('http_status', 503, { ...POST, method }).retry).toBe(true);
  });

  it.each(['POST', 'PATCH', 'CONNECT', 'PURGE'])('never retries a maybe-processed %s without a key or --retry-unsafe', (method) => {
    expect(decideRetry('timeout', null, { ...POST, method }).retry).toBe(false);
    expect(decideRetry('http_status', 502, { ...POST, method }).retry).toBe(false);
    expect(decideRetry('refused', null, { ...POST, method }).retry).toBe(true);
  });
});

describe('backoffMs', () => {
  const settings = { retryDelayMs: 200, retryMaxDelayMs: 10_000 };
  const highest = (): number => 1 - Number.EPSILON;

  it('waits anywhere from 0 to a ceiling that doubles per retry (full jitter)', () => {
    expect([1, 2, 3, 4, 5].map((n) => [backoffMs(n, settings, () => 0), backoffMs(n, settings, highest)])).toEqual([
      [0, 200],
      [0, 400],
      [0, 800],
      [0, 1600],
      [0, 3200],
    ]);
    expect(backoffMs(3, settings, () => 0.25)).toBe(200);
  });

  it('never waits longer than --retry-max-delay however many retries', () => {
    for (const n of [7, 10, 50, 2000]) expect(backoffMs(n, settings, highest)).toBe(10_000);
    expect(backoffMs(1, { retryDelayMs: 5000, retryMaxDelayMs: 1000 }, highest)).toBe(1000);
  });

  it('stays within bounds with the default random source', () => {
    for (let i = 0; i < 200; i++) {
      const delay = backoffMs(2, settings);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(400);
    }
  });
});

describe('retryWaitMs', () => {
  const settings = { retryDelayMs: 200, retryMaxDelayMs: 10_000 };
  const now = Date.parse('2026-03-01T12:00:00Z');
  const half = (): number => 0.5;

  it.each([429, 503])('honours Retry-After on a %i, in seconds or as a date', (status) => {
    expect(retryWaitMs(1, { status, retryAfter: '3' }, settings, now, half)).toBe(3000);
    expect(retryWaitMs(1, { status, retryAfter: 'Sun, 01 Mar 2026 12:00:07 GMT' }, settings, now, half)).toBe(7000);
  });

  it('caps what the server asks for at --retry-max-delay', () => {
    expect(retryWaitMs(1, { status: 503, retryAfter: '3600' }, settings, now, half)).toBe(10_000);
  });

  it('ignores Retry-After on other statuses, and falls back to the back-off when it does not parse', () => {
    expect(retryWaitMs(2, { status: 502, retryAfter: '3' }, settings, now, half)).toBe(200);
    expect(retryWaitMs(2, { status: 503, retryAfter: 'soon' }, settings, now, half)).toBe(200);
    expect(retryWaitMs(2, { status: 503, retryAfter: null }, settings, now, half)).toBe(200);
    expect(retryWaitMs(1, { status: null, retryAfter: null }, settings, now, half)).toBe(100);
  });
});

describe('parseRetryAfter', () => {
  const now = Date.parse('1994-11-06T08:49:30Z');

  it('reads delta-seconds', () => {
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('120', now)).toBe(120_000);
    expect(parseRetryAfter(' 5 ', now)).toBe(5000);
  });

  it.each([
    ['IMF-fixdate', 'Sun, 06 Nov 1994 08:49:37 GMT'],
    ['RFC 850', 'Sunday, 06-Nov-94 08:49:37 GMT'],
    ['asctime (GMT whatever the local zone)', 'Sun Nov  6 08:49:37 1994'],
  ])('reads an HTTP-date in %s form as the time left until it', (_form, value) => {
    expect(parseRetryAfter(value, now)).toBe(7000);
  });

  it('reads a date already past as "retry at once"', () => {
    expect(parseRetryAfter('Sun, 06 Nov 1994 08:00:00 GMT', now)).toBe(0);
  });

  it.each([
    '',
    'soon',
    '-5',
    '1.5',
    '1e3',
    'Foo 12',
    '2026-03-01T12:00:00Z',
    'Sun, 06 Nov 1994 08:49:37 PST',
    'Sun, 36 Nov 1994 08:49:37 GMT',
  ])('rejects %j: neither delta-seconds nor an HTTP-date', (value) => {
    expect(parseRetryAfter(value, now)).toBeNull();
  });
});
