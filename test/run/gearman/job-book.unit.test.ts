import { describe, expect, it } from 'vitest';
import { JobBook } from '../../../src/run/gearman/job-book.js';
import { decodeRecordLines, encodeRecordLines } from '../../../src/jobs/wire-results.js';
import { makeFailure, makeResult } from '../../report/make-result.js';

const targets = (...hosts: string[]) => hosts.map((host, index) => ({ host, index }));

describe('JobBook', () => {
  it('keeps the first record per host and drops repeats and strangers (a requeued job re-sends records)', () => {
    const book = new JobBook<string>('run1');
    const job = book.open('s1', targets('a', 'b', 'c'));
    book.created(job, 'H:x:1');
    expect(book.find('s1', 'H:x:1')).toBe(job);
    const first = book.settle(job, [makeResult({ host: 'a' }), makeResult({ host: 'b' })]);
    expect(first.map((r) => r.host)).toEqual(['a', 'b']);
    const again = book.settle(job, [makeResult({ host: 'a' }), makeResult({ host: 'zz' }), makeResult({ host: 'c' })]);
    expect(again.map((r) => r.host)).toEqual(['c']);
    expect(book.dropped).toBe(2);
    expect(book.close(job)).toEqual([]);
    expect(book.outstanding).toBe(0);
    expect(book.find('s1', 'H:x:1')).toBeUndefined();
  });

  it('keys jobs by server and handle: two servers may hand out the same handle', () => {
    const book = new JobBook<string>('r');
    const one = book.open('s1', targets('a'));
    const two = book.open('s2', targets('b'));
    book.created(one, 'H:h:1');
    book.created(two, 'H:h:1');
    expect(book.find('s1', 'H:h:1')).toBe(one);
    expect(book.find('s2', 'H:h:1')).toBe(two);
  });

  it('gives every submission a fresh unique id of at most 63 bytes', () => {
    const book = new JobBook<string>('x'.repeat(40));
    const uniques = [book.open('s', targets('a')), book.open('s', targets('a'))].map((j) => j.unique);
    expect(new Set(uniques).size).toBe(2);
    for (const u of uniques) expect(Buffer.byteLength(u)).toBeLessThanOrEqual(63);
  });

  it('hands back what a lost server still owed, and only once', () => {
    const book = new JobBook<string>('r');
    const job = book.open('s1', targets('a', 'b'));
    book.open('s2', targets('c'));
    book.settle(job, [makeFailure('a', 'timeout')]);
    expect(book.closeServer('s1').map((t) => t.host)).toEqual(['b']);
    expect(book.close(job)).toEqual([]);
    expect(book.closeAll().map((t) => t.host)).toEqual(['c']);
  });
});

describe('record lines', () => {
  it('round-trips records and counts lines that are not records without failing', () => {
    const records = [makeResult({ host: 'a' }), makeFailure('b', 'refused')];
    const text = `${encodeRecordLines(records).join('')}not json\n{"host":"c","ok":true,"code":"weird"}\n`;
    expect(decodeRecordLines(Buffer.from(text))).toEqual({ records, malformed: 2 });
  });
});
