import { describe, expect, it } from 'vitest';
import { backoffDelay, ServerPool } from '../../src/gearman/server-pool.js';

const options = { minDelayMs: 100, maxDelayMs: 1_000, jitter: 0.5 };

describe('backoffDelay', () => {
  it('starts at the minimum, doubles per failure and stops at the maximum', () => {
    const delays = [0, 1, 2, 3, 4, 5, 6, 50].map((failures) => backoffDelay(failures, options, () => 0));
    expect(delays).toEqual([100, 100, 200, 400, 800, 1_000, 1_000, 1_000]);
  });

  it('takes off at most `jitter` of the delay', () => {
    expect(backoffDelay(3, options, () => 1)).toBe(200);
    expect(backoffDelay(3, options, () => 0.5)).toBe(300);
    expect(backoffDelay(3, { ...options, jitter: 0 }, () => 0.9)).toBe(400);
  });

  it('spreads delays when drawn with Math.random', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(4, options)));
    expect(delays.size).toBeGreaterThan(1);
    for (const delay of delays) {
      expect(delay).toBeGreaterThanOrEqual(400);
      expect(delay).toBeLessThanOrEqual(800);
    }
  });
});

describe('ServerPool', () => {
  it('refuses an empty server list', () => {
    expect(() => new ServerPool([])).toThrow(/at least one server/);
  });
});
