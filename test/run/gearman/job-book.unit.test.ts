import { describe, expect, it } from 'vitest';
import { JobBook } from '../../../src/run/gearman/job-book.js';
import { decodeRecordLines, encodeRecordLines } from '../../../src/jobs/wire-results.js';
import { makeFailure, makeResult } from '../../report/make-result.js';

const targets = (...hosts: string[]) => hosts.map((host, index) => ({ host, index }));

describe('JobBook', () => {
  it('keeps the first record per host and drops repeats and strangers (a requeued job re-sends records)', () => {
    const book = new JobBook('run1');
    const job = book.open(targets('a', 'b', 'c'), 1);
    const first = book.settle(job, [makeResult({ host: 'a' }), makeResult({ host: 'b' })]);
    expect(first.kept.map((r) => r.host)).toEqual(['a', 'b']);
    expect(first.repeats).toBe(0);
    const again = book.settle(job, [makeResult({ host: 'a' }), makeResult({ host: 'zz' }), makeResult({ host: 'c' })]);
    expect(again.kept.map((r) => r.host)).toEqual(['c']);
    expect(again.repeats).toBe(2);
    expect(book.close(job)).toEqual([]);
    expect(book.outstanding).toBe(0);
    expect(book.isOpen(job)).toBe(false);
  });

  it('counts what it drops over all jobs, and the lines that were not records per job', () => {
    const book = new JobBook('r');
    const one = book.open(targets('a'), 1);
    const two = book.open(targets('b'), 1);
    book.settle(one, [makeResult({ host: 'a' }), makeResult({ host: 'a' })], 2);
    book.settle(two, [makeResult({ host: 'b' })]);
    expect(book.dropped).toEqual({ malformed: 2, repeats: 1 });
    expect([one.malformed, two.malformed]).toEqual([2, 0]);
    book.closeAll();
    expect(book.dropped).toEqual({ malformed: 2, repeats: 1 }); // closing a job forgets nothing it counted
  });

  it('gives every submission a fresh unique id of at most 63 bytes', () => {
    const book = new JobBook('x'.repeat(40));
    const uniques = [book.open(targets('a'), 1), book.open(targets('a'), 1)].map((j) => j.unique);
    expect(new Set(uniques).size).toBe(2);
    for (const u of uniques) expect(Buffer.byteLength(u)).toBeLessThanOrEqual(63);
  });

  it('hands back what a job still owed, and only once', () => {
    const book = new JobBook('r');
    const job = book.open(targets('a', 'b'), 1);
    book.open(targets('c'), 1);
    book.settle(job, [makeFailure('a', 'timeout')]);
    expect(book.close(job).map((t) => t.host)).toEqual(['b']);
    expect(book.close(job)).toEqual([]);
    expect(book.closeAll().map((t) => t.host)).toEqual(['c']);
    expect(book.outstanding).toBe(0);
  });

  it('sums the request limits of the jobs outstanding, each counted off once when it closes', () => {
    const book = new JobBook('r');
    const one = book.open(targets('a', 'b'), 2);
    book.open(targets('c'), 1);
    expect(book.concurrencyHeld).toBe(3);
    book.close(one);
    book.close(one);
    expect(book.concurrencyHeld).toBe(1);
    book.closeAll();
    expect(book.concurrencyHeld).toBe(0);
  });
});

describe('record lines', () => {
  it('round-trips records and counts lines that are not records without failing', () => {
    const records = [makeResult({ host: 'a' }), makeFailure('b', 'refused')];
    const text = `${encodeRecordLines(records).join('')}not json\n{"host":"c","ok":true,"code":"weird"}\n`;
    expect(decodeRecordLines(Buffer.from(text))).toEqual({ records, malformed: 2 });
  });
});
