// When a failed attempt is tried again, and after how long. Pure. A retry must never repeat a push by fanout's own
// doing, so every failure falls in one of three classes:
//   never sent       nothing reached the server (refused, DNS, connect timeout): safe to send for any method;
//   maybe processed  the request may have been acted on (reset or timeout after it was written, or a status that
//                    says "try later": 408, 429, 502, 503, 504): sent again only when repeating it is harmless:
//                    an idempotent method, or a request the server can recognise by its Idempotency-Key;
//   final            anything else (another status, tls, invalid_target, body_too_large, denied, …): the same
//                    request would fail the same way, or fanout itself decided the outcome.
import type { ResultCode } from '../record/host-result.js';

export type RetryClass = 'never_sent' | 'maybe_processed' | 'final';

/** What the batch's request is, as far as repeating it is concerned (the same for every host of a batch). */
export interface RetrySafety {
  method: string;
  /** The request carries an Idempotency-Key (a push's own, or one given with -H). */
  idempotencyKey: boolean;
  /** --retry-unsafe: retry "maybe processed" failures whatever the method. */
  retryUnsafe: boolean;
}

export interface RetryDecision {
  class: RetryClass;
  retry: boolean;
}

const NEVER_SENT: ReadonlySet<ResultCode> = new Set<ResultCode>(['refused', 'dns', 'connect_timeout']);
const MAYBE_PROCESSED: ReadonlySet<ResultCode> = new Set<ResultCode>(['reset', 'timeout']);
/** Statuses that ask the client to come back: the server may or may not have acted on the request. */
const TRY_LATER_STATUSES: ReadonlySet<number> = new Set([408, 429, 502, 503, 504]);
/** RFC 9110 §9.2.2's idempotent methods as the issue lists them (a repeat has the effect of one request). */
const IDEMPOTENT_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

function retryClass(code: ResultCode, status: number | null): RetryClass {
  if (NEVER_SENT.has(code)) return 'never_sent';
  if (MAYBE_PROCESSED.has(code)) return 'maybe_processed';
  if (code === 'http_status' && status !== null && TRY_LATER_STATUSES.has(status)) return 'maybe_processed';
  return 'final';
}

/**
 * The class of a failed attempt (`code` of its record, `status` when a response arrived) and whether it may be
 * sent again. Whether retries are left, and whether the deadline leaves time, is the caller's business.
 */
export function decideRetry(code: ResultCode, status: number | null, safety: RetrySafety): RetryDecision {
  const kind = retryClass(code, status);
  const retry =
    kind === 'never_sent' ||
    (kind === 'maybe_processed' && (IDEMPOTENT_METHODS.has(safety.method) || safety.idempotencyKey || safety.retryUnsafe));
  return { class: kind, retry };
}

export interface BackoffSettings {
  /** --retry-delay: the ceiling of the first back-off. */
  retryDelayMs: number;
  /** --retry-max-delay: no back-off, nor Retry-After, waits longer. */
  retryMaxDelayMs: number;
}

/**
 * The wait before retry number `retryNo` (1 for the first retry): exponential with full jitter, uniform in
 * [0, min(max, base · 2^(retryNo-1))], so hosts that failed together do not come back together.
 */
export function backoffMs(retryNo: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.retryMaxDelayMs, settings.retryDelayMs * 2 ** (retryNo - 1));
  return Math.round(random() * ceiling);
}

/** Statuses whose Retry-After fanout honours (RFC 9110 §10.2.3: a 503's, and RFC 6585's 429). */
export const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * The wait before retry number `retryNo` of an attempt that ended with `status` (or none) and `retryAfter` (the
 * response's Retry-After header, or null): what the server asked for on a 429 or 503, else the back-off; capped by
 * --retry-max-delay either way. `now`: Date.now(), for a Retry-After given as a date.
 */
export function retryWaitMs(
  retryNo: number,
  response: { status: number | null; retryAfter: string | null },
  settings: BackoffSettings,
  now: number,
  random: () => number = Math.random,
): number {
  const asked =
    response.status !== null && RETRY_AFTER_STATUSES.has(response.status) && response.retryAfter !== null
      ? parseRetryAfter(response.retryAfter, now)
      : null;
  return asked === null ? backoffMs(retryNo, settings, random) : Math.min(asked, settings.retryMaxDelayMs);
}

const DELTA_SECONDS = /^\d+$/;
// RFC 9110 §5.6.7: IMF-fixdate (what senders must send), and the obsolete RFC 850 and asctime forms a recipient
// must accept. Checked by shape first: Date.parse alone takes "1" or "Foo 12" for dates.
const IMF_FIXDATE = /^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/;
const RFC850_DATE = /^[A-Z][a-z]+, \d{2}-[A-Z][a-z]{2}-\d{2} \d{2}:\d{2}:\d{2} GMT$/;
const ASCTIME_DATE = /^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/**
 * Retry-After (delta-seconds or an HTTP-date) as milliseconds from `now` (Date.now()); a date in the past is 0 (retry
 * at once); null for a value that is neither, which the caller treats as no header.
 */
export function parseRetryAfter(value: string, now: number): number | null {
  const text = value.trim();
  if (DELTA_SECONDS.test(text)) return Number(text) * 1000;
  let at = NaN;
  if (IMF_FIXDATE.test(text) || RFC850_DATE.test(text)) at = Date.parse(text);
  // asctime has no zone and means GMT; Date.parse would read it in the local one.
  else if (ASCTIME_DATE.test(text)) at = Date.parse(`${text} GMT`);
  return Number.isFinite(at) ? Math.max(0, at - now) : null;
}
