import { describe, expect, it } from 'vitest';
import { createSummaryBuilder } from '../../src/report/summary.js';
import { makeFailure, makeResult } from './make-result.js';

const START = Date.UTC(2025, 5, 1, 12, 0, 0);

describe('createSummaryBuilder', () => {
  it('counts hosts, ok, failed, codes, statuses, retries and rate', () => {
    const builder = createSummaryBuilder({ startedAt: START, duplicates: 3 });
    builder.add(makeResult({ host: 'a1' }));
    builder.add(makeResult({ host: 'a2', attempts: 3 }));
    builder.add(makeFailure('a3', 'http_status', { status: 503, attempts: 2 }));
    builder.add(makeFailure('a4', 'http_status', { status: 404 }));
    builder.add(makeFailure('a5', 'http_status', { status: 503 }));
    builder.add(makeFailure('a6', 'refused'));
    builder.add(makeFailure('b1', 'not_attempted', { attempts: 0, durationMs: 0 }));
    builder.add(makeResult({ host: 'a7', ok: false, code: 'body_too_large', status: 200, error: 'body over 1 MiB' }));

    expect(builder.counts()).toEqual({ done: 8, ok: 2, failed: 5, aborted: 0, notAttempted: 1 });
    const summary = builder.finish(START + 2000);
    expect(summary).toMatchObject({
      hosts: 8,
      ok: 2,
      failed: 5,
      aborted: 0,
      notAttempted: 1,
      byCode: { ok: 2, http_status: 3, refused: 1, body_too_large: 1, not_attempted: 1 },
      // A body_too_large after a 200 is counted under its code, not as a 200.
      byStatus: { '404': 1, '503': 2 },
      retries: 3,
      duplicates: 3,
      wallMs: 2000,
      hostsPerSecond: 3.5, // the 7 hosts whose request ran, over 2 s
      startedAt: '2025-06-01T12:00:00.000Z',
      finishedAt: '2025-06-01T12:00:02.000Z',
      failedHosts: ['a[3-7]'],
      failedHostsOmitted: 0,
      interrupted: false,
    });
    // byCode keys follow RESULT_CODES, so the JSON reads the same from run to run.
    expect(Object.keys(summary.byCode)).toEqual(['ok', 'http_status', 'refused', 'body_too_large', 'not_attempted']);
  });

  it("does not count a stopped run's hosts as failed: aborted and not attempted apart, the rate over the hosts that ran", () => {
    // Ctrl-C after 7.5 s of a 2,000-host run: 25 answered, 20 were in flight, 1,955 were never tried.
    const builder = createSummaryBuilder({ startedAt: START });
    for (let i = 1; i <= 25; i++) builder.add(makeResult({ host: `web${i}` }));
    for (let i = 26; i <= 45; i++) builder.add(makeFailure(`web${i}`, 'aborted', { error: 'interrupted while in flight' }));
    for (let i = 46; i <= 2000; i++)
      builder.add(makeFailure(`web${i}`, 'not_attempted', { attempts: 0, durationMs: 0, error: 'interrupted before the request started' }));

    // The progress line reads done, ok and failed: done is every record, failed the real failures only.
    expect(builder.counts()).toEqual({ done: 2000, ok: 25, failed: 0, aborted: 20, notAttempted: 1955 });
    expect(builder.finish(START + 7500, { interrupted: true })).toMatchObject({
      hosts: 2000,
      ok: 25,
      failed: 0,
      aborted: 20,
      notAttempted: 1955,
      byCode: { ok: 25, aborted: 20, not_attempted: 1955 },
      wallMs: 7500,
      hostsPerSecond: 6, // 45 hosts in 7.5 s, not 2,000
      failedHosts: [],
      failedHostsOmitted: 0,
      interrupted: true,
    });
  });

  it('counts job_lost and worker_error as failed, names only real failures, and rates only hosts that sent a request', () => {
    const builder = createSummaryBuilder({ startedAt: START });
    builder.add(makeFailure('w1', 'job_lost', { attempts: 0 }));
    builder.add(makeFailure('w2', 'worker_error', { attempts: 0 }));
    builder.add(makeFailure('w3', 'aborted'));
    builder.add(makeFailure('w4', 'not_attempted', { attempts: 0 }));
    builder.add(makeFailure('w5', 'timeout'));
    // w1 and w2 never reached a worker (attempts 0): of the five, only w3 and w5 made a request in the second.
    expect(builder.finish(START + 1000)).toMatchObject({
      failed: 3,
      aborted: 1,
      notAttempted: 1,
      failedHosts: ['w[1-2,5]'],
      hostsPerSecond: 2,
    });
  });

  it("takes the rate from the run's start to finish(now), whenever the records came", () => {
    // `| head -1`: one host answered, then the reader left and the rest were never tried, 66 ms into the run.
    const builder = createSummaryBuilder({ startedAt: START });
    builder.add(makeResult({ host: 'web1' }));
    for (let i = 2; i <= 2000; i++) builder.add(makeFailure(`web${i}`, 'not_attempted', { attempts: 0, durationMs: 0 }));
    const summary = builder.finish(START + 66);
    expect(summary.wallMs).toBe(66);
    expect(summary.hostsPerSecond).toBeCloseTo(1000 / 66, 6); // was 2000 hosts / 66 ms = 30303 hosts/s
  });

  it('takes duplicates and the interrupted flag at finish, when they are only known at the end', () => {
    const builder = createSummaryBuilder({ startedAt: START });
    builder.add(makeFailure('web1', 'aborted'));
    expect(builder.finish(START + 10, { duplicates: 7, interrupted: true })).toMatchObject({ duplicates: 7, interrupted: true });
  });

  it('carries the hosts --resume skipped and the --max-failures stop, only when there are some', () => {
    const plain = createSummaryBuilder({ startedAt: START }).finish(START);
    expect(plain).not.toHaveProperty('skipped');
    expect(plain).not.toHaveProperty('stopped');
    const builder = createSummaryBuilder({ startedAt: START, skipped: 12 });
    builder.add(makeFailure('a1', 'refused'));
    const stopped = { by: 'max-failures', limit: '0', failed: 1, finished: 1 } as const;
    const summary = builder.finish(START + 10, { stopped });
    // skipped hosts are in no other count: hosts = ok + failed + aborted + notAttempted still holds
    expect(summary).toMatchObject({ hosts: 1, ok: 0, failed: 1, skipped: 12, stopped });
  });

  it('takes latency over records that made a request only, within 1% of the exact percentiles', () => {
    const builder = createSummaryBuilder({ startedAt: START });
    // 1..1000 ms: exact nearest-rank p50 = 500, p90 = 900, p99 = 990.
    for (let ms = 1; ms <= 1000; ms++) builder.add(makeResult({ host: `h${ms}`, durationMs: ms }));
    for (let i = 0; i < 1000; i++) builder.add(makeFailure(`n${i}`, 'not_attempted', { attempts: 0, durationMs: 0 }));
    const latency = builder.finish(START + 1000).latencyMs;
    expect(latency?.count).toBe(1000);
    expect(latency?.max).toBe(1000);
    expect(latency?.p50).toBeCloseTo(500, -1);
    expect(Math.abs(latency!.p50 - 500) / 500).toBeLessThanOrEqual(0.01);
    expect(Math.abs(latency!.p90 - 900) / 900).toBeLessThanOrEqual(0.01);
    expect(Math.abs(latency!.p99 - 990) / 990).toBeLessThanOrEqual(0.01);
  });

  it('reports no latency and no rate when nothing was sent in no time', () => {
    const builder = createSummaryBuilder({ startedAt: START });
    builder.add(makeFailure('web1', 'invalid_target', { attempts: 0 }));
    const summary = builder.finish(START);
    expect(summary.latencyMs).toBeNull();
    expect(summary.hostsPerSecond).toBe(0);
    expect(summary.retries).toBe(0);
  });

  it('names failed hosts up to the cap and counts the rest', () => {
    const builder = createSummaryBuilder({ startedAt: START, failedHostsCap: 3 });
    for (let i = 1; i <= 5; i++) builder.add(makeFailure(`web${i}`, 'timeout'));
    builder.add(makeFailure('web9', 'not_attempted', { attempts: 0 })); // neither named nor counted as omitted
    const summary = builder.finish(START + 1);
    expect(summary.failed).toBe(5);
    expect(summary.failedHosts).toEqual(['web[1-3]']);
    expect(summary.failedHostsOmitted).toBe(2);
  });
});
