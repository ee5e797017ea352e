// The batch executor with a scripted dispatcher: its guarantees without sockets or timing.
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import type { Target } from '../../src/hosts/target.js';
import { executeBatch } from '../../src/jobs/execute-batch.js';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';
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

  it('on drain: a host waiting to retry keeps the failure it had, and is not tried again', async () => {
    const dispatcher = new ScriptedDispatcher();
    const drainRun = new AbortController();
    const records: HostResult[] = [];
    const done = drain(
      executeBatch({ ...DEFAULT_SPEC, retries: 3 }, [{ host: '10.0.0.1:80', index: 0 }], {
        concurrency: 1,
        dispatcher: dispatcher as unknown as Dispatcher,
        drain: drainRun.signal,
      }),
      records,
    );
    await dispatcher.whenPending(1);
    dispatcher.refuse();
    await tick();
    drainRun.abort();
    await done;
    expect(records).toEqual([expect.objectContaining({ code: 'refused', attempts: 1 })]);
  });

  it('retries a refused connect up to --retries, and counts the attempts', async () => {
    const dispatcher = new ScriptedDispatcher();
    const records: HostResult[] = [];
    const done = drain(
      executeBatch({ ...DEFAULT_SPEC, retries: 2 }, [{ host: '10.0.0.1:80', index: 0 }], {
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

  it('never retries a failure after the request left (a push must not be repeated)', async () => {
    const dispatcher = new ScriptedDispatcher();
    const records: HostResult[] = [];
    const done = drain(
      executeBatch({ ...DEFAULT_SPEC, retries: 3 }, [{ host: '10.0.0.1:80', index: 0 }], {
        concurrency: 1,
        dispatcher: dispatcher as unknown as Dispatcher,
      }),
      records,
    );
    await tick();
    dispatcher.answer(503);
    await done;
    expect(records).toEqual([expect.objectContaining({ code: 'http_status', status: 503, attempts: 1 })]);
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
