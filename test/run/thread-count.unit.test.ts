import { describe, expect, it } from 'vitest';
import { shareConcurrency, threadCount } from '../../src/run/threads/thread-count.js';

describe('threadCount', () => {
  it.each([
    // requested, cores, hosts, concurrency → threads
    [undefined, 2, 100_000, 500, 1], // 2 cores: one thread (measured: a second one does not pay there)
    [undefined, 1, 100_000, 500, 1],
    [undefined, 8, 100_000, 500, 7], // one core stays for the main thread
    [undefined, 8, 3_000, 500, 2], // ~2,000 hosts per thread at least
    [undefined, 8, 10, 500, 1],
    [4, 2, 100_000, 500, 4], // --threads wins
    [4, 2, 100_000, 3, 3], // never more threads than request slots
    [4, 2, 2, 500, 2], // or hosts
  ])('--threads %s, %i cores, %i hosts, -c %i → %i', (requested, cores, hosts, concurrency, threads) => {
    expect(threadCount(requested, cores, hosts, concurrency)).toBe(threads);
  });
});

describe('shareConcurrency', () => {
  it('splits -c as evenly as possible, every share at least 1', () => {
    expect(shareConcurrency(500, 2)).toEqual([250, 250]);
    expect(shareConcurrency(5, 2)).toEqual([3, 2]);
    expect(shareConcurrency(7, 3)).toEqual([3, 2, 2]);
    expect(shareConcurrency(2, 2)).toEqual([1, 1]);
  });
});
