// The gearman run's watchdog on a fake clock: the decision is a pure function of (now, state), so every
// moment is a number the test chooses.
import { describe, expect, it } from 'vitest';
import {
  busyStallLimitMs,
  cannotConnectMessage,
  judgeRun,
  noWorkerYetMessage,
  verdictMessage,
  type WatchState,
} from '../../../src/run/gearman/watchdog.js';

const limits = { serverTimeoutMs: 10_000, stallMs: 60_000, busyStallMs: 60_000 };
const start: WatchState = { now: 0, noServerSince: 0, lastProgressAt: 0, outstandingJobs: 0, workerSeen: false };
const at = (now: number, state: Partial<WatchState> = {}): WatchState => ({ ...start, now, ...state });

describe('judgeRun', () => {
  it('waits for a job server until --server-timeout has passed, then gives up', () => {
    expect(judgeRun(at(10_000), limits)).toEqual({ kind: 'wait' });
    expect(judgeRun(at(10_001), limits)).toEqual({ kind: 'no-server', waitedMs: 10_000 });
  });

  it('never gives up on servers while one is up, however long ago the run started', () => {
    expect(judgeRun(at(3_600_000, { noServerSince: null }), limits)).toEqual({ kind: 'wait' });
  });

  it('counts the outage from when the last server went down, not from the start of the run', () => {
    expect(judgeRun(at(100_000, { noServerSince: 95_000, lastProgressAt: 99_000 }), limits)).toEqual({ kind: 'wait' });
    expect(judgeRun(at(105_001, { noServerSince: 95_000, lastProgressAt: 105_000 }), limits).kind).toBe('no-server');
  });

  it('calls a run stalled only with jobs outstanding and no progress for the stall limit', () => {
    const quiet = { noServerSince: null, lastProgressAt: 1_000 };
    expect(judgeRun(at(61_000, { ...quiet, outstandingJobs: 3 }), limits)).toEqual({ kind: 'wait' });
    expect(judgeRun(at(61_001, { ...quiet, outstandingJobs: 3 }), limits)).toEqual({
      kind: 'stalled',
      workerSeen: false,
      waitedMs: 60_000,
    });
    expect(judgeRun(at(500_000, { ...quiet, outstandingJobs: 0 }), limits)).toEqual({ kind: 'wait' });
  });

  it('a record resets the stall clock', () => {
    const state = { noServerSince: null, outstandingJobs: 1 };
    expect(judgeRun(at(70_000, { ...state, lastProgressAt: 10_001 }), limits)).toEqual({ kind: 'wait' });
    expect(judgeRun(at(70_000, { ...state, lastProgressAt: 9_999 }), limits).kind).toBe('stalled');
  });

  it('takes what the admin port said about workers as an input to the verdict', () => {
    const state = { noServerSince: null, outstandingJobs: 2, lastProgressAt: 0 };
    expect(judgeRun(at(30_000, { ...state, workerSeen: false }), limits)).toEqual({ kind: 'wait' });
    expect(judgeRun(at(60_001, { ...state, workerSeen: true }), limits)).toEqual({ kind: 'stalled', workerSeen: true, waitedMs: 60_000 });
  });

  it('with no worker seen, gives up after --stall-timeout exactly; with one, waits for jobs of hung hosts', () => {
    const short = { serverTimeoutMs: 10_000, stallMs: 3_000, busyStallMs: 11_000 };
    const state = { noServerSince: null, outstandingJobs: 2, lastProgressAt: 0 };
    expect(judgeRun(at(3_001, { ...state, workerSeen: false }), short)).toEqual({ kind: 'stalled', workerSeen: false, waitedMs: 3_000 });
    expect(judgeRun(at(3_001, { ...state, workerSeen: true }), short)).toEqual({ kind: 'wait' });
    expect(judgeRun(at(11_001, { ...state, workerSeen: true }), short)).toEqual({ kind: 'stalled', workerSeen: true, waitedMs: 11_000 });
  });
});

describe('busyStallLimitMs', () => {
  const spec = { timeoutMs: 10_000, retries: 0, retryMaxDelayMs: 10_000, deadlineMs: null };

  it("is --stall-timeout unless a job of hung hosts needs longer to report (the host's deadline, plus a second)", () => {
    expect(busyStallLimitMs(60_000, spec)).toBe(60_000);
    expect(busyStallLimitMs(3_000, spec)).toBe(11_000);
    // Three attempts of 10 s and two back-offs of at most 10 s.
    expect(busyStallLimitMs(3_000, { ...spec, retries: 2 })).toBe(51_000);
  });

  it('follows a --deadline given', () => {
    expect(busyStallLimitMs(3_000, { ...spec, retries: 2, deadlineMs: 15_000 })).toBe(16_000);
    expect(busyStallLimitMs(60_000, { ...spec, retries: 2, deadlineMs: 15_000 })).toBe(60_000);
  });
});

describe('verdictMessage', () => {
  const context = { servers: ['127.0.0.1:4730', '127.0.0.2:4730'], functionName: 'fanout.http', outstandingJobs: 4 };

  it('says which servers could not be reached and for how long', () => {
    expect(verdictMessage({ kind: 'no-server', waitedMs: 10_000 }, context)).toBe(
      'no job server reachable (127.0.0.1:4730, 127.0.0.2:4730) for 10000 ms',
    );
  });

  it("names the system's reason for each server it could not connect to", () => {
    const connectErrors = new Map([['127.0.0.1:4730', 'ECONNREFUSED']]);
    expect(verdictMessage({ kind: 'no-server', waitedMs: 3_000 }, { ...context, connectErrors })).toBe(
      'no job server reachable (127.0.0.1:4730: ECONNREFUSED, 127.0.0.2:4730) for 3000 ms',
    );
    expect(cannotConnectMessage('127.0.0.1:1', 'ECONNREFUSED', 3_000)).toBe(
      'cannot reach job server 127.0.0.1:1 (ECONNREFUSED): retrying for up to 3.0 s (--server-timeout)',
    );
  });

  it('says at once that no worker is registered yet, and how long the run will wait for one', () => {
    expect(noWorkerYetMessage(context, 60_000)).toBe(
      'no worker has registered function "fanout.http" on 127.0.0.1:4730,127.0.0.2:4730 yet: waiting up to 60.0 s ' +
        '(--stall-timeout) for one; start one with: fanout worker --gearman 127.0.0.1:4730,127.0.0.2:4730',
    );
  });

  it('with no worker registered, says how to start one', () => {
    expect(verdictMessage({ kind: 'stalled', workerSeen: false, waitedMs: 11_000 }, context)).toBe(
      'no worker registered for function "fanout.http" on 127.0.0.1:4730,127.0.0.2:4730 (waited 11.0 s); ' +
        'start one with: fanout worker --gearman 127.0.0.1:4730,127.0.0.2:4730',
    );
  });

  it('with workers registered, blames the workers that send nothing', () => {
    expect(verdictMessage({ kind: 'stalled', workerSeen: true, waitedMs: 60_000 }, context)).toBe(
      'no progress for 60.0 s: 4 jobs outstanding on workers that send nothing',
    );
  });
});
