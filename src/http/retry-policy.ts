// When a failed request is tried again. Pure: only failures where the request never left this machine
// (nothing reached the server) are retried, so a retry can never repeat a push.
import type { ResultCode } from '../record/host-result.js';

const NEVER_LEFT: ReadonlySet<ResultCode> = new Set<ResultCode>(['refused', 'connect_timeout', 'dns']);

export function isRetryable(code: ResultCode): boolean {
  return NEVER_LEFT.has(code);
}

/** Exponential back-off with equal jitter: attempt 1 waits 50-100 ms, attempt 2 100-200 ms, … at most 2 s. */
export function retryDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(2000, 100 * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
