import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DeadlineQueue } from '../../src/http/deadline-queue.js';

const TIMEOUT = 100;

describe('DeadlineQueue', () => {
  let expired: string[];
  let queue: DeadlineQueue;
  const add = (name: string) => queue.add(() => expired.push(name));

  beforeEach(() => {
    vi.useFakeTimers({ now: 0 });
    expired = [];
    queue = new DeadlineQueue(TIMEOUT, () => Date.now());
  });

  afterEach(() => {
    queue.clear();
    vi.useRealTimers();
    vi.restoreAllMocks();
  });

  it('expires each entry timeoutMs after it was added, in start order', () => {
    add('a');
    vi.advanceTimersByTime(10);
    add('b');
    vi.advanceTimersByTime(10);
    add('c');

    vi.advanceTimersByTime(79); // t=99
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1); // t=100
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(10);
    expect(expired).toEqual(['a', 'b']);
    vi.advanceTimersByTime(10);
    expect(expired).toEqual(['a', 'b', 'c']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('expires an entry only once', () => {
    add('a');
    vi.advanceTimersByTime(10 * TIMEOUT);
    expect(expired).toEqual(['a']);
  });

  it.each([
    ['head', 'a', ['b', 'c']],
    ['middle', 'b', ['a', 'c']],
    ['tail', 'c', ['a', 'b']],
  ])('never expires an entry removed from the %s', (_where, removed, rest) => {
    const entries = new Map([['a', add('a')]]);
    vi.advanceTimersByTime(1);
    entries.set('b', add('b'));
    vi.advanceTimersByTime(1);
    entries.set('c', add('c'));

    queue.remove(entries.get(removed)!);
    vi.advanceTimersByTime(TIMEOUT);
    expect(expired).toEqual(rest);
  });

  it('keeps working after removing every entry and adding new ones', () => {
    const a = add('a');
    const b = add('b');
    queue.remove(b);
    queue.remove(a);
    vi.advanceTimersByTime(50);
    add('c');
    vi.advanceTimersByTime(TIMEOUT);
    expect(expired).toEqual(['c']);
  });

  it('ignores a second removal of the same entry', () => {
    const a = add('a');
    add('b');
    queue.remove(a);
    queue.remove(a);
    add('c');
    vi.advanceTimersByTime(TIMEOUT);
    expect(expired).toEqual(['b', 'c']);
  });

  it('tolerates an expire callback that removes its own entry, as a finishing request does', () => {
    const entries: ReturnType<DeadlineQueue['add']>[] = [];
    for (const name of ['a', 'b', 'c']) {
      const index = entries.length;
      entries.push(
        queue.add(() => {
          expired.push(name);
          queue.remove(entries[index]!);
        }),
      );
    }
    vi.advanceTimersByTime(TIMEOUT);
    expect(expired).toEqual(['a', 'b', 'c']);
  });

  it('arms an entry added from inside an expire callback', () => {
    queue.add(() => {
      expired.push('a');
      add('retry');
    });
    vi.advanceTimersByTime(TIMEOUT);
    expect(expired).toEqual(['a']);
    vi.advanceTimersByTime(TIMEOUT);
    expect(expired).toEqual(['a', 'retry']);
  });

  it('puts a shorter deadline (a host deadline cutting an attempt short) in its place, and fires it on time', () => {
    add('a'); // t=0 → 100
    vi.advanceTimersByTime(10);
    add('b'); // t=10 → 110
    queue.add(() => expired.push('short-middle'), 95); // t=10 → 105
    queue.add(() => expired.push('short-head'), 20); // t=10 → 30: before the timer armed for a
    const removed = queue.add(() => expired.push('removed'), 50);
    queue.remove(removed);
    vi.advanceTimersByTime(19); // t=29
    expect(expired).toEqual([]);
    vi.advanceTimersByTime(1); // t=30
    expect(expired).toEqual(['short-head']);
    vi.advanceTimersByTime(70); // t=100
    expect(expired).toEqual(['short-head', 'a']);
    vi.advanceTimersByTime(5); // t=105
    expect(expired).toEqual(['short-head', 'a', 'short-middle']);
    add('c'); // t=105 → 205: still the tail
    vi.advanceTimersByTime(5);
    expect(expired).toEqual(['short-head', 'a', 'short-middle', 'b']);
    vi.advanceTimersByTime(TIMEOUT);
    expect(expired).toEqual(['short-head', 'a', 'short-middle', 'b', 'c']);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('holds one timer however many entries are pending', () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 1000; i++) {
      add(`h${i}`);
      if (i % 20 === 19) vi.advanceTimersByTime(1); // distinct deadlines, the first one not yet due
    }
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(1);
  });

  it('expires many entries that fall due together with a single timer', () => {
    const setTimeoutSpy = vi.spyOn(globalThis, 'setTimeout');
    for (let i = 0; i < 500; i++) add(`h${i}`);
    vi.advanceTimersByTime(TIMEOUT);
    expect(expired).toHaveLength(500);
    expect(expired[0]).toBe('h0');
    expect(expired[499]).toBe('h499');
    expect(setTimeoutSpy).toHaveBeenCalledTimes(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('clear() stops the timer and no pending deadline ever fires', () => {
    add('a');
    add('b');
    queue.clear();
    expect(vi.getTimerCount()).toBe(0);
    vi.advanceTimersByTime(10 * TIMEOUT);
    expect(expired).toEqual([]);
  });

  it('stays usable after clear(), even when cleared entries are removed late', () => {
    const a = add('a');
    const b = add('b');
    queue.clear();
    // A request that was in flight finishes after the batch cleared its deadlines.
    queue.remove(b);
    queue.remove(a);
    add('c');
    vi.advanceTimersByTime(TIMEOUT);
    expect(expired).toEqual(['c']);
  });

  it('defaults to the performance clock', () => {
    vi.useRealTimers();
    const realQueue = new DeadlineQueue(1000);
    const entry = realQueue.add(() => undefined);
    const expected = performance.now() + 1000;
    expect(entry.at).toBeGreaterThan(expected - 50);
    expect(entry.at).toBeLessThanOrEqual(expected);
    realQueue.clear();
  });
});
