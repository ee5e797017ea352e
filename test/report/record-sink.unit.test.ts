import { PassThrough, Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { describe, expect, it, vi } from 'vitest';
import type { HostResult } from '../../src/record/host-result.js';
import { createNdjsonSink, createTextFailureSink, SinkWriteError } from '../../src/report/record-sink.js';
import { makeFailure, makeResult } from './make-result.js';

function records(n: number): HostResult[] {
  return Array.from({ length: n }, (_, i) => makeResult({ host: `web${i}`, url: `http://web${i}/` }));
}

function ndjson(results: HostResult[]): string {
  return results.map((r) => `${JSON.stringify(r)}\n`).join('');
}

/** A Writable that keeps what it gets and hands each chunk to `onChunk` to decide when (and whether) it is done. */
function recorder(onChunk: (callback: (error?: Error) => void) => void = (cb) => cb(), highWaterMark = 16 * 1024) {
  const chunks: string[] = [];
  let maxQueued = 0;
  const stream = new Writable({
    highWaterMark,
    decodeStrings: false,
    write(chunk: string, _encoding, callback) {
      maxQueued = Math.max(maxQueued, stream.writableLength);
      chunks.push(chunk);
      onChunk(callback);
    },
  });
  return { stream, chunks, text: () => chunks.join(''), maxQueued: () => maxQueued };
}

function systemError(code: string): Error {
  return Object.assign(new Error(`write ${code}`), { code, syscall: 'write' });
}

describe('createNdjsonSink', () => {
  it('writes one exact JSON line per record, and leaves a non-owned stream open on close', async () => {
    const stream = new PassThrough();
    const sink = createNdjsonSink(stream, { end: false });
    const written = [makeResult(), makeFailure('web02', 'timeout'), makeResult({ body: { a: [1, 'é'] }, worker: 'w1' })];
    for (const r of written) expect(sink.write(r)).toBeUndefined();
    await sink.close();
    expect((stream.read() as Buffer | null)?.toString()).toBe(ndjson(written));
    expect(stream.writableEnded).toBe(false);
  });

  it('batches the records of one event-loop turn into a few large writes', async () => {
    const target = recorder();
    const sink = createNdjsonSink(target.stream, { end: false });
    const written = records(1000);
    for (const r of written) void sink.write(r);
    expect(target.chunks).toHaveLength(Math.floor(ndjson(written).length / (64 * 1024)));
    await nextTurn();
    expect(target.chunks.length).toBeLessThanOrEqual(Math.ceil(ndjson(written).length / (64 * 1024)));
    expect(target.text()).toBe(ndjson(written));
    await sink.close();
  });

  it('hands the stream whole lines only, and each record by the next event-loop turn: a kill -9 can cut only the last line', async () => {
    const target = recorder();
    const sink = createNdjsonSink(target.stream, { end: true, flushAt: 700 });
    const written = records(400).map((r, i) => (i % 7 === 0 ? { ...r, body: 'x'.repeat(i * 13) } : r));
    for (const [i, r] of written.entries()) {
      void sink.write(r);
      if (i % 50 === 0) {
        await nextTurn(); // a record written in a quiet moment is not held back for a later batch
        expect(target.text(), `record ${i}`).toBe(ndjson(written.slice(0, i + 1)));
      }
    }
    await sink.close();
    expect(target.chunks.filter((chunk) => chunk !== '' && !chunk.endsWith('\n'))).toEqual([]);
    expect(target.text()).toBe(ndjson(written));
  });

  it('makes a fast producer wait for a slow reader, which gets everything in order', async () => {
    const target = recorder((callback) => setTimeout(callback, 1), 1024);
    const flushAt = 2048;
    const sink = createNdjsonSink(target.stream, { end: true, flushAt });
    const written = records(3000);
    let waits = 0;
    for (const r of written) {
      const wait = sink.write(r);
      if (wait !== undefined) {
        waits += 1;
        await wait;
      }
    }
    await sink.close();
    expect(waits).toBeGreaterThan(0);
    expect(target.text()).toBe(ndjson(written));
    // Nothing beyond one batch is pushed onto a stream that asked to wait.
    expect(target.maxQueued()).toBeLessThan(1024 + flushAt + JSON.stringify(written[0]).length * 2);
  });

  it('waits for "finish" when it owns the stream', async () => {
    const stream = new Writable({
      write: (_chunk, _encoding, callback) => callback(),
      final: (callback) => setTimeout(callback, 20),
    });
    const sink = createNdjsonSink(stream, { end: true });
    void sink.write(makeResult());
    await sink.close();
    expect(stream.writableFinished).toBe(true);
  });

  it('treats EPIPE as the reader leaving: no throw, later records dropped, close resolves', async () => {
    const target = recorder((callback) => callback(systemError('EPIPE')));
    const onReaderClosed = vi.fn();
    const sink = createNdjsonSink(target.stream, { end: false, onReaderClosed });
    void sink.write(makeResult());
    expect(sink.closedByReader).toBe(false);
    await nextTurn();
    await nextTurn();
    expect(sink.closedByReader).toBe(true);
    expect(onReaderClosed).toHaveBeenCalledTimes(1);
    expect(() => sink.write(makeResult())).not.toThrow();
    await nextTurn();
    expect(target.chunks).toHaveLength(1);
    await expect(sink.close()).resolves.toBeUndefined();
    expect(onReaderClosed).toHaveBeenCalledTimes(1);
  });

  it('releases a producer waiting for drain when the reader leaves', async () => {
    let fail: (error: Error) => void = () => {};
    const target = recorder((callback) => (fail = callback), 16);
    const sink = createNdjsonSink(target.stream, { end: false, flushAt: 1 });
    const wait = sink.write(makeResult());
    expect(wait).toBeInstanceOf(Promise);
    fail(systemError('EPIPE'));
    await expect(wait).resolves.toBeUndefined();
    expect(sink.closedByReader).toBe(true);
  });

  it('turns any other write error into a SinkWriteError for the next write and for close', async () => {
    const target = recorder((callback) => callback(systemError('ENOSPC')));
    const sink = createNdjsonSink(target.stream, { end: true });
    void sink.write(makeResult());
    await nextTurn();
    await nextTurn();
    expect(sink.closedByReader).toBe(false);
    expect(() => sink.write(makeResult())).toThrow(SinkWriteError);
    const error = await sink.close().then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SinkWriteError);
    expect(error).toMatchObject({ code: 'ENOSPC', message: 'cannot write output: write ENOSPC' });
  });

  it('rejects a producer waiting for drain when the output fails', async () => {
    let fail: (error: Error) => void = () => {};
    const target = recorder((callback) => (fail = callback), 16);
    const sink = createNdjsonSink(target.stream, { end: false, flushAt: 1 });
    const wait = sink.write(makeResult());
    fail(systemError('EIO'));
    await expect(wait).rejects.toThrow(SinkWriteError);
  });

  it('refuses records after close', async () => {
    const sink = createNdjsonSink(new PassThrough(), { end: false });
    await sink.close();
    expect(() => sink.write(makeResult())).toThrow(/after close/);
  });
});

describe('createTextFailureSink', () => {
  it('writes the failure line of failed hosts only, calling beforeFlush before each batch', async () => {
    const stream = new PassThrough();
    const order: string[] = [];
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      order.push('data');
      text += chunk.toString();
    });
    const sink = createTextFailureSink(stream, { end: false, beforeFlush: () => order.push('beforeFlush') });
    void sink.write(makeResult({ host: 'web01' }));
    await nextTurn();
    expect(order).toEqual([]);
    void sink.write(makeFailure('web02', 'refused', { error: 'connect ECONNREFUSED' }));
    void sink.write(makeResult({ host: 'web03' }));
    void sink.write(makeFailure('web04', 'timeout', { error: 'no response in 5s' }));
    await sink.close();
    expect(text).toBe(
      'web02                  refused          connect ECONNREFUSED\n' + 'web04                  timeout          no response in 5s\n',
    );
    expect(order).toEqual(['beforeFlush', 'data']);
  });

  it('with --body, shows each ok host’s body on one line, cut to the width; without it, nothing for ok hosts', async () => {
    const withBody = (bodies: boolean): Promise<string> => {
      const stream = new PassThrough();
      let text = '';
      stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
      const sink = createTextFailureSink(stream, { end: false, width: 60, bodies });
      void sink.write(makeResult({ host: 'web01', status: 200, body: { version: '2.4.1', uptime: 86400, notes: 'x'.repeat(80) } }));
      void sink.write(makeResult({ host: 'web02', status: 200, body: 'ok\n  fine' }));
      void sink.write(makeFailure('web03', 'refused', { error: 'connect ECONNREFUSED' }));
      return sink.close().then(() => text);
    };
    expect(await withBody(true)).toBe(
      'web01                  200              {"version":"2.4.1"…\n' +
        'web02                  200              ok fine\n' +
        'web03                  refused          connect ECONNREFUSED\n',
    );
    expect(await withBody(false)).toBe('web03                  refused          connect ECONNREFUSED\n');
  });

  it('writes no line for hosts never tried, which stay in the NDJSON', async () => {
    const stopped = [
      makeFailure('web01', 'not_attempted', { attempts: 0, error: 'interrupted before the request started' }),
      makeFailure('web02', 'refused', { error: 'connect ECONNREFUSED 10.0.0.2:80' }),
      makeFailure('web03', 'not_attempted', { attempts: 0, error: 'interrupted before the request started' }),
    ];
    const text = recorder();
    const sink = createTextFailureSink(text.stream, { end: false });
    for (const r of stopped) void sink.write(r);
    await sink.close();
    expect(text.text()).toBe('web02                  refused          connect ECONNREFUSED 10.0.0.2:80\n');

    const json = recorder();
    const ndjsonSink = createNdjsonSink(json.stream, { end: false });
    for (const r of stopped) void ndjsonSink.write(r);
    await ndjsonSink.close();
    expect(json.text()).toBe(ndjson(stopped));
  });

  it('shows the failures of one batch that read the same as one entry: 2,000 lost hosts are one, not 2,000', async () => {
    const lost = 'no job server reachable for 30 s';
    const target = recorder();
    const sink = createTextFailureSink(target.stream, { end: false, width: 70 });
    void sink.write(makeFailure('db1', 'refused', { error: 'connect ECONNREFUSED 10.0.9.1:80' }));
    for (let i = 0; i < 2000; i++) {
      const host = `127.0.${Math.floor(i / 250)}.${(i % 250) + 1}:8080`;
      void sink.write(makeFailure(host, 'job_lost', { attempts: 0, error: lost }));
      if (i === 999) void sink.write(makeFailure('db2', 'timeout', { error: 'no complete response within 10000 ms' }));
    }
    await nextTurn();
    expect(target.text()).toBe(
      [
        'db1                    refused          connect ECONNREFUSED 10.0.9.1:80',
        'job_lost 2000: the reason follows the summary — 127.0.0.[1-250]:8080',
        '    127.0.1.[1-250]:8080 127.0.2.[1-250]:8080 127.0.3.[1-250]:8080',
        '    127.0.4.[1-250]:8080 127.0.5.[1-250]:8080 127.0.6.[1-250]:8080',
        '    127.0.7.[1-250]:8080',
        'db2                    timeout          no complete response within 10000 ms',
        '',
      ].join('\n'),
    );
    // The next batch starts afresh: its one aborted host is its usual line.
    void sink.write(makeFailure('web9', 'aborted', { error: 'interrupted while in flight' }));
    await sink.close();
    expect(target.text().split('\n').at(-2)).toBe('web9                   aborted          interrupted while in flight');
  });

  it("wraps a group's hosts to the terminal's width when the stream has one", async () => {
    const target = recorder();
    Object.assign(target.stream, { columns: 30 });
    const sink = createTextFailureSink(target.stream, { end: false });
    for (const host of ['web1.east', 'db1.west', 'web2.east', 'db2.west']) {
      void sink.write(makeFailure(host, 'aborted', { error: 'interrupted while in flight' }));
    }
    await sink.close();
    expect(target.text()).toBe('aborted 4: interrupted while in flight —\n    db[1-2].west web[1-2].east\n');
    const narrow = recorder();
    Object.assign(narrow.stream, { columns: 20 });
    const narrowSink = createTextFailureSink(narrow.stream, { end: false });
    for (const host of ['web1.east', 'db1.west', 'web2.east', 'db2.west'])
      void narrowSink.write(makeFailure(host, 'aborted', { error: 'gone' }));
    await narrowSink.close();
    expect(narrow.text()).toBe('aborted 4: gone —\n    db[1-2].west\n    web[1-2].east\n');
  });
});
