// The batch executor with a scripted dispatcher: its guarantees without sockets or timing.
import pLimit from 'p-limit';
import type { Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { Target } from '../../src/hosts/target.js';
import { executeBatch } from '../../src/jobs/execute-batch.js';
import { DEFAULT_SPEC, type RequestSpec } from '../../src/jobs/request-spec.js';
import type { HostResult } from '../../src/record/host-result.js';
import { ScriptedDispatcher } from '../helpers/scripted-dispatcher.js';

/** Targets that count how far the executor has read. */
function countingTargets(n: number): { targets: AsyncIterable<Target>; pulled: () => number } {
  let pulled = 0;
  return {
    pulled: () => pulled,
    // Async with nothing to await, on purpose: the executor must read it through for-await, as it reads a file.
    // eslint-disable-next-line @typescript-eslint/require-await
    targets: (async function* () {
      for (let i = 0; i < n; i++) {
        pulled += 1;
        yield { host: `10.0.${Math.floor(i / 250)}.${(i % 250) + 1}:80`, index: i };
      }
    })(),
  };
}

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

const HOST: Target = { host: '10.0.0.1:80', index: 0 };
/** Back-offs of a millisecond or two: retries without waiting in real time. */
const QUICK_RETRIES = { ...DEFAULT_SPEC, retryDelayMs: 1, retryMaxDelayMs: 2 };

async function drain(iterator: AsyncGenerator<HostResult[]>, into: HostResult[]): Promise<void> {
  for await (const chunk of iterator) into.push(...chunk);
}

describe('executeBatch', () => {
  it('keeps hostsInFlight to the hosts started and not yet recorded', async () => {
    const dispatcher = new ScriptedDispatcher();
    const hostsInFlight = new Set<string>();
    const targets = ['a:1', 'b:1', 'c:1'].map((host, index) => ({ host, index }));
    const records: HostResult[] = [];
    const done = drain(
      executeBatch(DEFAULT_SPEC, targets, { concurrency: 2, dispatcher: dispatcher as unknown as Dispatcher, hostsInFlight }),
      records,
    );
    await dispatcher.whenPending(2);
    expect([...hostsInFlight]).toEqual(['a:1', 'b:1']);
    dispatcher.answer();
    await dispatcher.whenPending(2);
    expect([...hostsInFlight].sort()).toEqual(['b:1', 'c:1']);
    dispatcher.answer();
    dispatcher.answer();
    await done;
    expect(records).toHaveLength(3);
    expect(hostsInFlight.size).toBe(0);
  });

  it('reads the input only as slots free up, and yields one record per host', async () => {
    const dispatcher = new ScriptedDispatcher();
    const { targets, pulled } = countingTargets(1000);
    const records: HostResult[] = [];
    const done = drain(executeBatch(DEFAULT_SPEC, targets, { concurrency: 10, dispatcher: dispatcher as unknown as Dispatcher }), records);
    for (let answered = 0; answered < 1000; answered++) {
      await tick();
      expect(pulled() - answered).toBeLessThanOrEqual(11); // in flight plus the one being read
      dispatcher.answer();
    }
    await done;
    expect(dispatcher.maxInFlight).toBe(10);
    expect(records).toHaveLength(1000);
    expect(new Set(records.map((r) => r.host)).size).toBe(1000);
    expect(records.every((r) => r.ok && r.status === 200)).toBe(true);
  });

  it('on abort: in flight → aborted, never started → not_attempted, still one record per host', async () => {
    const dispatcher = new ScriptedDispatcher();
    const { targets } = countingTargets(50);
    const stop = new AbortController();
    const records: HostResult[] = [];
    const done = drain(
      executeBatch(DEFAULT_SPEC, targets, { concurrency: 5, dispatcher: dispatcher as unknown as Dispatcher, signal: stop.signal }),
      records,
    );
    await tick();
    dispatcher.answer();
    dispatcher.answer();
    await tick();
    stop.abort();
    await done;
    expect(records).toHaveLength(50);
    const count = (code: string) => records.filter((r) => r.code === code).length;
    expect(count('ok')).toBe(2);
    expect(count('aborted')).toBe(5);
    expect(count('not_attempted')).toBe(43);
    expect(records.filter((r) => r.code === 'not_attempted').every((r) => r.attempts === 0)).toBe(true);
  });

  it('on drain: requests in flight finish normally, hosts not started → not_attempted, one record per host', async () => {
    const dispatcher = new ScriptedDispatcher();
    const { targets } = countingTargets(50);
    const drainRun = new AbortController();
    const records: HostResult[] = [];
    const done = drain(
      executeBatch(DEFAULT_SPEC, targets, { concurrency: 5, dispatcher: dispatcher as unknown as Dispatcher, drain: drainRun.signal }),
      records,
    );
    await dispatcher.whenPending(5);
    drainRun.abort();
    await tick();
    expect(dispatcher.pending).toHaveLength(5); // nothing new started, nothing in flight cut
    for (let i = 0; i < 5; i++) dispatcher.answer();
    await done;
    expect(records).toHaveLength(50);
    const count = (code: string) => records.filter((r) => r.code === code).length;
    expect(count('ok')).toBe(5);
    expect(count('not_attempted')).toBe(45);
    expect(dispatcher.maxInFlight).toBe(5);
  });

  it('retries a refused connect up to --retries, and counts the attempts', async () => {
    const dispatcher = new ScriptedDispatcher();
    const records: HostResult[] = [];
    const done = drain(
      executeBatch({ ...QUICK_RETRIES, retries: 2 }, [HOST], {
        concurrency: 1,
        dispatcher: dispatcher as unknown as Dispatcher,
      }),
      records,
    );
    for (let attempt = 0; attempt < 3; attempt++) {
      await dispatcher.whenPending(1); // the next attempt reached the dispatcher
      dispatcher.refuse();
    }
    await done;
    expect(records).toEqual([expect.objectContaining({ code: 'refused', attempts: 3, ok: false })]);
  });

  it('retries a maybe-processed failure (503) of a GET, and keeps one record for the host', async () => {
    const dispatcher = new ScriptedDispatcher();
    const records: HostResult[] = [];
    const done = drain(
      executeBatch({ ...QUICK_RETRIES, retries: 3 }, [HOST], { concurrency: 1, dispatcher: dispatcher as unknown as Dispatcher }),
      records,
    );
    await dispatcher.whenPending(1);
    dispatcher.answer(503);
    await dispatcher.whenPending(1);
    dispatcher.answer(200);
    await done;
    expect(records).toEqual([expect.objectContaining({ code: 'ok', status: 200, attempts: 2 })]);
  });

  it.each([
    ['a reset', (d: ScriptedDispatcher) => d.reset(), 'reset'],
    ['a 503', (d: ScriptedDispatcher) => d.answer(503), 'http_status'],
  ])('never repeats a POST without an Idempotency-Key after %s (it may have been processed)', async (_what, fail, code) => {
    const dispatcher = new ScriptedDispatcher();
    const records: HostResult[] = [];
    const done = drain(
      executeBatch({ ...QUICK_RETRIES, method: 'POST', retries: 3 }, [HOST], {
        concurrency: 1,
        dispatcher: dispatcher as unknown as Dispatcher,
      }),
      records,
    );
    await dispatcher.whenPending(1);
    fail(dispatcher);
    await done;
    expect(records).toEqual([expect.objectContaining({ code, attempts: 1 })]);
  });

  it('repeats a POST after a reset when it carries an Idempotency-Key, under the same key', async () => {
    const dispatcher = new ScriptedDispatcher();
    const records: HostResult[] = [];
    const keys: unknown[] = [];
    const keyOf = (): unknown => {
      const headers = dispatcher.pending[0]!.options.headers as string[];
      return headers[headers.indexOf('idempotency-key') + 1];
    };
    const done = drain(
      executeBatch({ ...QUICK_RETRIES, method: 'POST', retries: 3, idempotencyKeyPrefix: 'run1' }, [HOST], {
        concurrency: 1,
        dispatcher: dispatcher as unknown as Dispatcher,
      }),
      records,
    );
    await dispatcher.whenPending(1);
    keys.push(keyOf());
    dispatcher.reset();
    await dispatcher.whenPending(1);
    keys.push(keyOf());
    dispatcher.answer(201);
    await done;
    expect(keys).toEqual(['run1-10.0.0.1:80', 'run1-10.0.0.1:80']);
    expect(records).toEqual([expect.objectContaining({ code: 'ok', attempts: 2 })]);
  });

  it('repeats a POST with a key given as a header, or with --retry-unsafe', async () => {
    for (const spec of [
      { ...QUICK_RETRIES, method: 'POST', retries: 1, headers: [['Idempotency-Key', 'mine']] as Array<[string, string]> },
      { ...QUICK_RETRIES, method: 'POST', retries: 1, retryUnsafe: true },
    ]) {
      const dispatcher = new ScriptedDispatcher();
      const records: HostResult[] = [];
      const done = drain(executeBatch(spec, [HOST], { concurrency: 1, dispatcher: dispatcher as unknown as Dispatcher }), records);
      await dispatcher.whenPending(1);
      dispatcher.answer(502);
      await dispatcher.whenPending(1);
      dispatcher.answer(502);
      await done;
      expect(records).toEqual([expect.objectContaining({ code: 'http_status', status: 502, attempts: 2 })]);
    }
  });

  it('never retries a final failure (500), whatever the method', async () => {
    const dispatcher = new ScriptedDispatcher();
    const records: HostResult[] = [];
    const done = drain(
      executeBatch({ ...QUICK_RETRIES, retries: 3 }, [HOST], { concurrency: 1, dispatcher: dispatcher as unknown as Dispatcher }),
      records,
    );
    await dispatcher.whenPending(1);
    dispatcher.answer(500);
    await done;
    expect(records).toEqual([expect.objectContaining({ code: 'http_status', status: 500, attempts: 1 })]);
  });

  it.each(['drain', 'signal'] as const)('on %s: a host waiting to retry keeps the failure it had, and is not tried again', async (how) => {
    const dispatcher = new ScriptedDispatcher();
    const stop = new AbortController();
    const records: HostResult[] = [];
    const done = drain(
      executeBatch({ ...DEFAULT_SPEC, retries: 3 }, [HOST], {
        concurrency: 1,
        dispatcher: dispatcher as unknown as Dispatcher,
        [how]: stop.signal,
      }),
      records,
    );
    await dispatcher.whenPending(1);
    dispatcher.refuse();
    await tick();
    stop.abort();
    await done;
    expect(records).toEqual([expect.objectContaining({ code: 'refused', attempts: 1 })]);
    expect(dispatcher.pending).toHaveLength(0);
  });

  it('gives an entry that cannot make a URL an invalid_target record and goes on', async () => {
    const dispatcher = new ScriptedDispatcher();
    const records: HostResult[] = [];
    const targets = [
      { host: 'bad host', index: 0 },
      { host: '10.0.0.2:80', index: 1 },
    ];
    const done = drain(executeBatch(DEFAULT_SPEC, targets, { concurrency: 2, dispatcher: dispatcher as unknown as Dispatcher }), records);
    await tick();
    dispatcher.answer();
    await done;
    expect(records.map((r) => [r.host, r.code])).toEqual([
      ['bad host', 'invalid_target'],
      ['10.0.0.2:80', 'ok'],
    ]);
  });
});

// The deadline and the waits between attempts on a fake clock (timers, Date and performance.now): exact times, no sleeping.
describe('executeBatch: back-off and the host deadline', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    vi.spyOn(Math, 'random').mockReturnValue(0.5);
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  /** Runs one host; `records` fills as the executor yields. */
  function runOne(spec: RequestSpec, dispatcher: ScriptedDispatcher): { records: HostResult[]; done: Promise<void> } {
    const records: HostResult[] = [];
    return {
      records,
      done: drain(executeBatch(spec, [HOST], { concurrency: 1, dispatcher: dispatcher as unknown as Dispatcher }), records),
    };
  }

  it('a host that hangs never outlives its deadline: the last attempt gets the time left and says so', async () => {
    const dispatcher = new ScriptedDispatcher();
    const spec = { ...DEFAULT_SPEC, retries: 2, timeoutMs: 1000, deadlineMs: 2500, retryDelayMs: 100, retryMaxDelayMs: 100 };
    const started: number[] = [];
    const { records, done } = runOne(spec, dispatcher);
    for (let attempt = 0; attempt < 3; attempt++) {
      await dispatcher.whenPending(1);
      started.push(performance.now());
      await vi.advanceTimersToNextTimerAsync(); // the attempt's deadline (nothing ever answers), then its back-off
      if (attempt < 2) await vi.advanceTimersToNextTimerAsync();
    }
    await done;
    // Timeouts at 1000 and 2050, back-offs of 50 ms (half of 100: Math.random is 0.5), the third attempt cut at 2500.
    expect(started).toEqual([0, 1050, 2100]);
    expect(performance.now()).toBe(2500);
    expect(records).toEqual([
      expect.objectContaining({
        code: 'timeout',
        attempts: 3,
        error: "no complete response before the host's deadline (2500 ms, attempt 3)",
      }),
    ]);
    expect(records[0]!.durationMs).toBe(2500);
  });

  it('gives a first attempt the whole timeout when the deadline is the timeout (no retries), whatever the clock reads', async () => {
    vi.advanceTimersByTime(1234.5678); // (now + 1500) - now is a hair under 1500 here
    const dispatcher = new ScriptedDispatcher();
    const { records, done } = runOne({ ...DEFAULT_SPEC, timeoutMs: 1500 }, dispatcher);
    await dispatcher.whenPending(1);
    await vi.advanceTimersByTimeAsync(1500);
    await done;
    expect(records).toEqual([expect.objectContaining({ code: 'timeout', attempts: 1, error: 'no complete response within 1500 ms' })]);
  });

  it('does not wait out a back-off that would end past the deadline: the host ends at once with its failure', async () => {
    const dispatcher = new ScriptedDispatcher();
    const spec = { ...DEFAULT_SPEC, retries: 2, timeoutMs: 1000, deadlineMs: 1500, retryDelayMs: 2000, retryMaxDelayMs: 2000 };
    const { records, done } = runOne(spec, dispatcher);
    await dispatcher.whenPending(1);
    await vi.advanceTimersByTimeAsync(1000);
    await done;
    expect(performance.now()).toBe(1000);
    expect(records).toEqual([
      expect.objectContaining({
        code: 'timeout',
        attempts: 1,
        error: "no complete response within 1000 ms; not retried: the host's deadline (1500 ms) leaves no time for another attempt",
      }),
    ]);
  });

  it('ends a retry that waited past the deadline for a slot it shares with other jobs with the failure it had', async () => {
    const dispatcher = new ScriptedDispatcher();
    const shared = pLimit(1); // a worker's --concurrency 1, held by another job's hung host
    const options = { concurrency: 1, dispatcher: dispatcher as unknown as Dispatcher, limit: shared };
    const records: HostResult[] = [];
    const retried = drain(
      executeBatch({ ...DEFAULT_SPEC, retries: 2, retryDelayMs: 100, retryMaxDelayMs: 100, deadlineMs: 500 }, [HOST], options),
      records,
    );
    await dispatcher.whenPending(1);
    const other = drain(executeBatch({ ...DEFAULT_SPEC, timeoutMs: 1000 }, [{ host: '10.0.0.2:80', index: 0 }], options), []);
    dispatcher.refuse(); // at 0: the other job's host takes the slot and hangs until its timeout at 1000
    await vi.advanceTimersByTimeAsync(1000);
    await Promise.all([retried, other]);
    expect(dispatcher.maxInFlight).toBe(1);
    expect(records).toEqual([
      expect.objectContaining({
        code: 'refused',
        attempts: 1,
        error: "connect ECONNREFUSED; not retried: the host's deadline (500 ms) leaves no time for another attempt",
      }),
    ]);
  });

  it('waits what Retry-After asks on a 503, capped by --retry-max-delay', async () => {
    for (const [retryAfter, expectedWait] of [
      ['2', 2000],
      ['600', 5000],
    ] as const) {
      vi.setSystemTime(0);
      const dispatcher = new ScriptedDispatcher();
      const spec = { ...DEFAULT_SPEC, retries: 1, retryDelayMs: 1, retryMaxDelayMs: 5000, timeoutMs: 1000 };
      const { records, done } = runOne(spec, dispatcher);
      await dispatcher.whenPending(1);
      const first = performance.now();
      dispatcher.answer(503, 'busy', 'text/plain', { 'retry-after': retryAfter });
      await vi.advanceTimersByTimeAsync(expectedWait - 1);
      expect(dispatcher.pending).toHaveLength(0);
      await vi.advanceTimersByTimeAsync(1);
      expect(dispatcher.pending).toHaveLength(1);
      expect(performance.now() - first).toBe(expectedWait);
      dispatcher.answer(200);
      await done;
      expect(records).toEqual([expect.objectContaining({ code: 'ok', attempts: 2 })]);
    }
  });

  it('backs off exponentially with full jitter between attempts', async () => {
    const dispatcher = new ScriptedDispatcher();
    const spec = { ...DEFAULT_SPEC, retries: 3, retryDelayMs: 200, retryMaxDelayMs: 10_000 };
    const { records, done } = runOne(spec, dispatcher);
    const started: number[] = [];
    for (let attempt = 0; attempt < 4; attempt++) {
      await dispatcher.whenPending(1);
      started.push(performance.now());
      dispatcher.refuse();
      if (attempt < 3) await vi.advanceTimersToNextTimerAsync();
    }
    await done;
    // Half (Math.random 0.5) of 200, 400, 800.
    expect(started).toEqual([0, 100, 300, 700]);
    expect(records).toEqual([expect.objectContaining({ code: 'refused', attempts: 4 })]);
  });
});
