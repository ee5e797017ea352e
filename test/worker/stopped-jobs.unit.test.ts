import { describe, expect, it } from 'vitest';
import { StoppedJobs } from '../../src/worker/stopped-jobs.js';

describe('StoppedJobs', () => {
  it('drains or aborts the jobs in hand a stop names, and no other', () => {
    const stops = new StoppedJobs();
    const named = stops.watch({ unique: 'r:0', handle: 'H:a:1' });
    const other = stops.watch({ unique: 'r:1', handle: 'H:a:2' });
    const sameUniqueOtherHandle = stops.watch({ unique: 'r:0', handle: 'H:a:9' });
    expect(stops.stop({ run: 'r', mode: 'drain', jobs: [{ unique: 'r:0', handle: 'H:a:1' }] })).toBe(1);
    expect([named.drain.aborted, named.abort.aborted]).toEqual([true, false]);
    expect(other.drain.aborted).toBe(false);
    expect(sameUniqueOtherHandle.drain.aborted).toBe(false); // a later run that reused the run id
    expect(stops.stop({ run: 'r', mode: 'abort', jobs: [{ unique: 'r:0', handle: 'H:a:1' }] })).toBe(1);
    expect(named.abort.aborted).toBe(true);
  });

  it('names a job without a handle by its unique alone', () => {
    const stops = new StoppedJobs();
    const job = stops.watch({ unique: 'r:3', handle: 'H:a:3' });
    stops.stop({ run: 'r', mode: 'abort', jobs: [{ unique: 'r:3', handle: null }] });
    expect(job.abort.aborted).toBe(true);
  });

  it('stops a job taken after its stop at once, until the stop is forgotten; abort is never lowered to drain', () => {
    let now = 0;
    const stops = new StoppedJobs(() => now, 1000);
    stops.stop({ run: 'r', mode: 'abort', jobs: [{ unique: 'r:5', handle: 'H:a:5' }] });
    stops.stop({ run: 'r', mode: 'drain', jobs: [{ unique: 'r:5', handle: 'H:a:5' }] });
    const late = stops.watch({ unique: 'r:5', handle: 'H:a:5' });
    expect([late.drain.aborted, late.abort.aborted]).toEqual([true, true]);
    late.release();
    now = 1001;
    const muchLater = stops.watch({ unique: 'r:5', handle: 'H:a:5' });
    expect(muchLater.drain.aborted).toBe(false);
  });

  it('forgets a released job: a later stop does not count it', () => {
    const stops = new StoppedJobs();
    const job = stops.watch({ unique: 'r:0', handle: 'H:a:1' });
    job.release();
    expect(stops.stop({ run: 'r', mode: 'drain', jobs: [{ unique: 'r:0', handle: 'H:a:1' }] })).toBe(0);
  });
});
