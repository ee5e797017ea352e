// fanout's job handler without gearmand: a fake JobIo that records what would be sent, and a scripted undici
// dispatcher whose requests complete only when the test says so. Every wait is for a call or a dispatch.
import pLimit from 'p-limit';
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import type { JobIo, WorkerJob } from '../../src/gearman/worker.js';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';
import type { RequestSpec } from '../../src/jobs/request-spec.js';
import { decodeJobPayload, encodeJobPayload } from '../../src/jobs/wire-payload.js';
import { encodeCompletion, WORK_DATA_MAX_CHARS } from '../../src/jobs/wire-results.js';
import type { HostResult } from '../../src/record/host-result.js';
import { createJobHandler } from '../../src/worker/job-handler.js';
import { createHostGuard } from '../../src/http/allow-guard.js';
import { parseAllowRules } from '../../src/http/allow-rules.js';
import { systemResolver } from '../../src/http/resolver.js';
import { sealJob } from '../../src/jobs/job-envelope.js';
import type { JobHandlerOptions } from '../../src/worker/job-handler.js';
import { StoppedJobs } from '../../src/worker/stopped-jobs.js';
import { checkRecords } from '../helpers/schemas.js';
import { ScriptedDispatcher } from '../helpers/scripted-dispatcher.js';

type Call = ['data', string] | ['status', number, number] | ['warning', string];

/** A JobIo that records every call; `fail` makes data() reject with it. */
function fakeIo(fail?: Error): { io: JobIo; calls: Call[]; whenStatus: (records: number) => Promise<void> } {
  const calls: Call[] = [];
  const waiters: { records: number; resolve: () => void }[] = [];
  const io: JobIo = {
    data: (body) => {
      calls.push(['data', body.toString()]);
      return fail ? Promise.reject(fail) : Promise.resolve();
    },
    status: (numerator, denominator) => {
      calls.push(['status', numerator, denominator]);
      for (const waiter of waiters.filter((w) => numerator >= w.records)) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve();
      }
      return Promise.resolve();
    },
    warning: (body) => {
      calls.push(['warning', body.toString()]);
      return Promise.resolve();
    },
  };
  const whenStatus = (records: number): Promise<void> => new Promise((resolve) => waiters.push({ records, resolve }));
  return { io, calls, whenStatus };
}

const SPEC: RequestSpec = { ...DEFAULT_SPEC, connectTimeoutMs: 1_234, insecure: true };

const hosts = (count: number): { host: string; index: number }[] =>
  Array.from({ length: count }, (_, index) => ({ host: `10.0.0.${index + 1}:80`, index }));

const jobOf = (payload: string): WorkerJob => ({
  server: '127.0.0.1:4730',
  handle: 'H:test:1',
  unique: 'u-1',
  functionName: 'fanout.http',
  payload: Buffer.from(payload),
});

/** A handler on a scripted dispatcher, with the calls of its hooks. */
function handlerWith(options: Partial<JobHandlerOptions> = {}) {
  const dispatcher = new ScriptedDispatcher();
  const agents: [number, boolean][] = [];
  const starts: number[] = [];
  const progress: number[] = [];
  const handler = createJobHandler({
    workerId: 'worker-1',
    concurrency: 10,
    limit: pLimit(10),
    dispatcher: (connectTimeoutMs, insecure) => {
      agents.push([connectTimeoutMs, insecure]);
      return dispatcher as unknown as Dispatcher;
    },
    onStart: (_job, count) => starts.push(count),
    onRecords: (_job, records) => progress.push(records),
    ...options,
  });
  return { handler, dispatcher, agents, starts, progress };
}

const linesOf = (calls: readonly Call[]): HostResult[] =>
  calls.flatMap((call) =>
    call[0] === 'data'
      ? call[1]
          .slice(0, -1)
          .split('\n')
          .map((line) => checkRecords([JSON.parse(line) as unknown])[0]!)
      : [],
  );

describe('the fanout job handler', () => {
  it('streams every record as NDJSON WORK_DATA, a WORK_STATUS per chunk, and returns the completion body', async () => {
    const { handler, dispatcher, agents, starts, progress } = handlerWith({ concurrency: 2, limit: pLimit(2) });
    const { io, calls } = fakeIo();
    const result = handler(jobOf(encodeJobPayload(SPEC, hosts(3), 10)), io, new AbortController().signal);

    await dispatcher.whenPending(2);
    dispatcher.answer();
    await dispatcher.whenPending(2);
    dispatcher.answer();
    dispatcher.answer();

    expect(await result).toBe(encodeCompletion({ hosts: 3, ok: 3, failed: 0 }));
    expect(await result).toBe('{"hosts":3,"ok":3,"failed":0}\n');
    expect(agents).toEqual([[1_234, true]]);
    expect(starts).toEqual([3]);
    expect(dispatcher.maxInFlight).toBe(2);
    // Each chunk: its WORK_DATA body (whole lines), then WORK_STATUS with the records so far of the 3 hosts.
    let records = 0;
    const expected: Call[] = [];
    for (const call of calls) {
      if (call[0] !== 'data') continue;
      expect(call[1].endsWith('\n')).toBe(true);
      records += call[1].split('\n').length - 1;
      expected.push(call, ['status', records, 3]);
    }
    expect(calls).toEqual(expected);
    expect(progress).toEqual(calls.flatMap((call) => (call[0] === 'status' ? [call[1]] : [])));
    const lines = linesOf(calls);
    expect(lines.map((record) => record.host).sort()).toEqual(hosts(3).map((target) => target.host));
    expect(lines.every((record) => record.ok && record.code === 'ok' && record.worker === 'worker-1')).toBe(true);
  });

  it('runs a job at most at the worker concurrency, and under the limiter it shares with other jobs', async () => {
    const capped = handlerWith({ concurrency: 3, limit: pLimit(100) });
    const shared = handlerWith({ concurrency: 100, limit: pLimit(1) });
    const payload = encodeJobPayload(SPEC, hosts(6), 50);
    const runs = (
      [
        [capped, 3],
        [shared, 1],
      ] as const
    ).map(async ([{ handler, dispatcher }, most]) => {
      const result = handler(jobOf(payload), fakeIo().io, new AbortController().signal);
      await dispatcher.whenPending(most);
      for (let answered = 0; answered < 6; answered++) {
        await dispatcher.whenPending(1);
        dispatcher.answer();
      }
      return result;
    });
    expect(await Promise.all(runs)).toEqual([
      encodeCompletion({ hosts: 6, ok: 6, failed: 0 }),
      encodeCompletion({ hosts: 6, ok: 6, failed: 0 }),
    ]);
    expect([capped.dispatcher.maxInFlight, shared.dispatcher.maxInFlight]).toEqual([3, 1]);
  });

  it('refuses a payload that does not decode with "invalid job payload: <reason>", sending nothing', async () => {
    for (const payload of ['{not json', JSON.stringify({ v: 99, hosts: ['a'] }), JSON.stringify({ v: 1, spec: {} })]) {
      const { handler, agents, starts } = handlerWith();
      const { io, calls } = fakeIo();
      let reason = '';
      try {
        decodeJobPayload(payload);
      } catch (error) {
        reason = (error as Error).message;
      }
      await expect(handler(jobOf(payload), io, new AbortController().signal)).rejects.toThrow(new Error(`invalid job payload: ${reason}`));
      expect(reason).not.toBe('');
      expect([calls, agents, starts]).toEqual([[], [], []]);
    }
  });

  it("--allow: sends the denied hosts' records first and runs only the others; the completion counts them all", async () => {
    const guard = createHostGuard(parseAllowRules(['10.0.0.1/32,10.0.0.2:80']), systemResolver);
    const { handler, dispatcher, starts } = handlerWith({ guard });
    const { io, calls } = fakeIo();
    const result = handler(jobOf(encodeJobPayload(SPEC, hosts(3), 10)), io, new AbortController().signal);

    await dispatcher.whenPending(2);
    const origins = dispatcher.pending.map((entry) => entry.origin).sort();
    dispatcher.answer();
    dispatcher.answer();

    expect(await result).toBe(encodeCompletion({ hosts: 3, ok: 2, failed: 1 }));
    expect(origins).toEqual(['http://10.0.0.1:80', 'http://10.0.0.2:80']);
    expect(starts).toEqual([3]);
    expect(calls.slice(0, 2)).toEqual([
      ['data', expect.stringContaining('"host":"10.0.0.3:80"') as string],
      ['status', 1, 3],
    ]);
    expect(linesOf(calls)[0]).toMatchObject({ code: 'denied', attempts: 0, error: 'no --allow rule of this worker allows 10.0.0.3:80' });
  });

  it('--secret: opens a signed job by the injected clock; refuses an expired one with "job refused: <reason>", sending nothing', async () => {
    const now = Date.UTC(2026, 0, 1);
    const payload = encodeJobPayload(SPEC, hosts(1), 10);
    const sealed = (at: number): WorkerJob => ({
      ...jobOf(''),
      payload: Buffer.from(sealJob(payload, { secret: 's', encrypt: false }, at)),
    });
    const { handler, agents, starts } = handlerWith({ secret: 's', maxJobAgeMs: 1000, now: () => now });
    const { io, calls } = fakeIo();
    await expect(handler(sealed(now - 1001), io, new AbortController().signal)).rejects.toThrow(
      /^job refused: job too old: sealed 1.0 s ago/,
    );
    expect([calls, agents, starts]).toEqual([[], [], []]);

    const fresh = handlerWith({ secret: 's', maxJobAgeMs: 1000, now: () => now });
    const run = fresh.handler(sealed(now - 1000), fakeIo().io, new AbortController().signal);
    await fresh.dispatcher.whenPending(1);
    fresh.dispatcher.answer();
    expect(await run).toBe(encodeCompletion({ hosts: 1, ok: 1, failed: 0 }));
  });

  it('turns an unexpected error into "worker error: <message>"', async () => {
    const { handler, dispatcher } = handlerWith();
    const { io } = fakeIo(new Error('socket exploded'));
    const result = handler(jobOf(encodeJobPayload(SPEC, hosts(1), 1)), io, new AbortController().signal);
    await dispatcher.whenPending(1);
    dispatcher.answer();
    await expect(result).rejects.toThrow(new Error('worker error: socket exploded'));
  });

  it('sends nothing once aborted mid-batch, and rejects with the abort reason', async () => {
    const { handler, dispatcher } = handlerWith();
    const { io, calls, whenStatus } = fakeIo();
    const abort = new AbortController();
    const result = handler(jobOf(encodeJobPayload(SPEC, hosts(5), 5)), io, abort.signal);
    await dispatcher.whenPending(5);
    dispatcher.answer();
    dispatcher.answer();
    await whenStatus(2);
    const sentBefore = [...calls];

    const reason = new Error('connection closed');
    abort.abort(reason);
    await expect(result).rejects.toBe(reason);
    expect(calls).toEqual(sentBefore);
    expect(linesOf(calls)).toHaveLength(2);
    expect(dispatcher.pending).toEqual([]);
  });

  it('a stopped run (abort): in flight aborted, never started not_attempted, every record sent, then WORK_COMPLETE', async () => {
    const stops = new StoppedJobs();
    const { handler, dispatcher } = handlerWith({ concurrency: 2, limit: pLimit(2), stops });
    const { io, calls, whenStatus } = fakeIo();
    const job = jobOf(encodeJobPayload(SPEC, hosts(6), 2));
    const result = handler(job, io, new AbortController().signal);
    await dispatcher.whenPending(2);
    dispatcher.answer();
    await whenStatus(1);
    await dispatcher.whenPending(2);
    const requested = dispatcher.pending.length + 1;

    expect(stops.stop({ run: 'u', mode: 'abort', jobs: [{ unique: job.unique, handle: job.handle }] })).toBe(1);
    expect(await result).toBe(encodeCompletion({ hosts: 6, ok: 1, failed: 5 }));
    const codes = linesOf(calls).map((record) => record.code);
    expect(codes.sort()).toEqual(['aborted', 'aborted', 'not_attempted', 'not_attempted', 'not_attempted', 'ok']);
    expect(requested).toBe(3); // the 3 not_attempted hosts were never dispatched
    expect(dispatcher.pending).toEqual([]);
  });

  it('a job taken after its run was stopped (drain) sends nothing but not_attempted, at once', async () => {
    const stops = new StoppedJobs();
    const { handler, dispatcher } = handlerWith({ stops });
    const { io, calls } = fakeIo();
    const job = jobOf(encodeJobPayload(SPEC, hosts(4), 4));
    stops.stop({ run: 'u', mode: 'drain', jobs: [{ unique: job.unique, handle: job.handle }] });
    expect(await handler(job, io, new AbortController().signal)).toBe(encodeCompletion({ hosts: 4, ok: 0, failed: 4 }));
    expect(linesOf(calls).map((record) => record.code)).toEqual(Array(4).fill('not_attempted'));
    expect(dispatcher.maxInFlight).toBe(0);
  });

  it('cuts a chunk of records past 4 MiB into several WORK_DATA bodies of whole records, with one WORK_STATUS', async () => {
    const { handler, dispatcher } = handlerWith();
    const { io, calls } = fakeIo();
    const spec: RequestSpec = { ...SPEC, captureBody: true, maxBodyBytes: 2 * 1024 * 1024 };
    const result = handler(jobOf(encodeJobPayload(spec, hosts(3), 3)), io, new AbortController().signal);
    await dispatcher.whenPending(3);
    // Answered in one go, the three records come back as one chunk of ~4.5 MiB.
    const body = 'x'.repeat(1.5 * 1024 * 1024);
    for (let i = 0; i < 3; i++) dispatcher.answer(200, body, 'text/plain');

    expect(await result).toBe(encodeCompletion({ hosts: 3, ok: 3, failed: 0 }));
    expect(calls.map((call) => call[0])).toEqual(['data', 'data', 'status']);
    expect(calls.at(-1)).toEqual(['status', 3, 3]);
    const bodies = calls.flatMap((call) => (call[0] === 'data' ? [call[1]] : []));
    expect(bodies.every((text) => text.length <= WORK_DATA_MAX_CHARS && text.endsWith('\n'))).toBe(true);
    expect(linesOf(calls).map((record) => record.body)).toEqual([body, body, body]);
  });
});
