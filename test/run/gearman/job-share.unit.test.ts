import { describe, expect, it } from 'vitest';
import { hasShareLeft, maxOutstandingJobs, nextJobConcurrency, type ShareState } from '../../../src/run/gearman/job-share.js';

/**
 * Submits jobs of `hosts` hosts while the share allows and jobs are left, as the backend does, and returns each
 * job's request limit. `jobs`: how many the run's hosts make.
 */
function fill(cap: number, maxJobs: number, jobs = 1000, hosts = 250): number[] {
  const state: ShareState = { cap, held: 0, outstanding: 0, maxJobs, jobsLeft: jobs };
  const limits: number[] = [];
  while (hasShareLeft(state) && state.jobsLeft > 0) {
    const limit = nextJobConcurrency(state, hosts);
    limits.push(limit);
    state.held += limit;
    state.outstanding++;
    state.jobsLeft--;
  }
  return limits;
}

const sum = (values: readonly number[]): number => values.reduce((a, b) => a + b, 0);

describe('splitting -c over the jobs of a gearman run', () => {
  it.each([
    [1, 16, [1]],
    [4, 16, [1, 1, 1, 1]],
    [20, 16, [2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1]],
    [100, 16, [7, 7, 7, 7, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6, 6]],
  ])('-c %i over %i job slots: %j', (cap, maxJobs, expected) => {
    expect(fill(cap, maxJobs)).toEqual(expected);
  });

  it('shares -c among the jobs still to come when they are fewer than the job slots', () => {
    // 2,000 hosts in batches of 250 (scenario A of the bench): 8 jobs, all of -c 200 in use.
    expect(fill(200, 16, 8)).toEqual([25, 25, 25, 25, 25, 25, 25, 25]);
    expect(fill(100, 16, 3)).toEqual([34, 33, 33]);
    // The last job of a run takes what is free, up to its hosts.
    expect(nextJobConcurrency({ cap: 500, held: 300, outstanding: 10, maxJobs: 16, jobsLeft: 1 }, 250)).toBe(200);
    expect(nextJobConcurrency({ cap: 500, held: 0, outstanding: 0, maxJobs: 16, jobsLeft: 1 }, 120)).toBe(120);
  });

  it('never gives the jobs more than -c in all, and uses all of it while job slots are left', () => {
    for (const cap of [1, 2, 3, 15, 16, 17, 20, 33, 100, 999, 2000, 4000]) {
      const limits = fill(cap, 16);
      expect(sum(limits)).toBe(Math.min(cap, 16 * 250));
      for (const jobs of [1, 3, 8, 15]) expect(sum(fill(cap, 16, jobs))).toBe(Math.min(cap, jobs * 250));
      expect(Math.min(...limits)).toBeGreaterThanOrEqual(1);
    }
  });

  it('gives a small job no more than its hosts, and a job slot freed gets what its job held', () => {
    expect(nextJobConcurrency({ cap: 100, held: 0, outstanding: 0, maxJobs: 1, jobsLeft: 5 }, 3)).toBe(3);
    expect(nextJobConcurrency({ cap: 20, held: 18, outstanding: 15, maxJobs: 16, jobsLeft: 5 }, 250)).toBe(2);
    expect(hasShareLeft({ cap: 20, held: 20, outstanding: 15, maxJobs: 16, jobsLeft: 5 })).toBe(false);
  });

  it('allows more jobs than the default only when -c fills more full batches', () => {
    expect(maxOutstandingJobs(20, 250, 16)).toBe(16);
    expect(maxOutstandingJobs(10_000, 250, 16)).toBe(40);
    expect(sum(fill(10_000, 40))).toBe(10_000);
  });
});
