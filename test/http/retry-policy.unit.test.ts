import { describe, expect, it } from 'vitest';
import { RESULT_CODES } from '../../src/record/host-result.js';
import { isRetryable, retryDelayMs } from '../../src/http/retry-policy.js';

describe('isRetryable', () => {
  it('retries only failures where the request never left this machine', () => {
    expect(RESULT_CODES.filter(isRetryable)).toEqual(['connect_timeout', 'refused', 'dns']);
  });

  it.each(['timeout', 'reset', 'http_status', 'tls', 'aborted'] as const)('never retries %s: the server may have seen it', (code) => {
    expect(isRetryable(code)).toBe(false);
  });
});

describe('retryDelayMs', () => {
  const lowest = (): number => 0;
  const highest = (): number => 1 - Number.EPSILON;

  it('doubles the window per attempt, between half and all of it', () => {
    expect([1, 2, 3, 4, 5].map((n) => [retryDelayMs(n, lowest), retryDelayMs(n, highest)])).toEqual([
      [50, 100],
      [100, 200],
      [200, 400],
      [400, 800],
      [800, 1600],
    ]);
  });

  it('never waits more than 2 s however many attempts', () => {
    for (const n of [6, 10, 50, 2000]) {
      expect(retryDelayMs(n, lowest)).toBe(1000);
      expect(retryDelayMs(n, highest)).toBe(2000);
    }
  });

  it('spreads the delay with the random source', () => {
    expect(retryDelayMs(1, () => 0.5)).toBe(75);
    expect(retryDelayMs(3, () => 0.25)).toBe(250);
  });

  it('stays within bounds with the default random source', () => {
    for (let i = 0; i < 200; i++) {
      const delay = retryDelayMs(2);
      expect(delay).toBeGreaterThanOrEqual(100);
      expect(delay).toBeLessThanOrEqual(200);
    }
  });
});
