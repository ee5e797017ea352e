import { describe, expect, it } from 'vitest';
import { decodeCompletion, encodeCompletion, encodeRecordLines } from '../../src/jobs/wire-results.js';
import type { HostResult } from '../../src/record/host-result.js';
import { checkRecords } from '../helpers/schemas.js';
import { makeResult } from '../report/make-result.js';

const record = (host: string, body?: string): HostResult =>
  makeResult({ host, url: `http://${host}/`, method: 'GET', durationMs: 1, bytes: 2, ...(body === undefined ? {} : { body }) });

const lines = (bodies: string[]): string[] => bodies.flatMap((body) => body.slice(0, -1).split('\n'));

describe('encodeRecordLines', () => {
  it('puts a chunk of records in one body, one JSON line each', () => {
    const records = [record('a'), record('b'), record('c')];
    const bodies = encodeRecordLines(records);
    expect(bodies).toHaveLength(1);
    expect(bodies[0]?.endsWith('\n')).toBe(true);
    expect(checkRecords(lines(bodies).map((line) => JSON.parse(line) as unknown))).toEqual(records);
  });

  it('cuts a large chunk at whole records, keeping order, and never leaves a body empty', () => {
    const records = [record('a', 'x'.repeat(300)), record('b'), record('c', 'y'.repeat(500)), record('d')];
    const bodies = encodeRecordLines(records, 400);
    expect(bodies.length).toBeGreaterThan(1);
    expect(bodies.every((body) => body.endsWith('\n') && body !== '\n')).toBe(true);
    // A record longer than the limit goes alone; others are packed up to it.
    expect(bodies.every((body) => body.length <= 400 || body.split('\n').length === 2)).toBe(true);
    expect(checkRecords(lines(bodies).map((line) => JSON.parse(line) as unknown)).map((r) => r.host)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('gives no body for no records', () => {
    expect(encodeRecordLines([])).toEqual([]);
  });
});

describe('the WORK_COMPLETE body', () => {
  it('is one JSON line with a newline, so the gearman CLI keeps its output line-separated', () => {
    expect(encodeCompletion({ hosts: 3, ok: 2, failed: 1 })).toBe('{"hosts":3,"ok":2,"failed":1}\n');
  });

  it('decodes what a fanout worker sent, and nothing else', () => {
    expect(decodeCompletion(Buffer.from(encodeCompletion({ hosts: 3, ok: 2, failed: 1 })))).toEqual({ hosts: 3, ok: 2, failed: 1 });
    expect(decodeCompletion('done')).toBeNull();
    expect(decodeCompletion('{"hosts":-1,"ok":0,"failed":0}')).toBeNull();
    expect(decodeCompletion('')).toBeNull();
  });
});
