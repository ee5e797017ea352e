import { describe, expect, it } from 'vitest';
import { AsyncQueue } from '../../src/run/async-queue.js';

async function drain<T>(queue: AsyncQueue<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of queue) items.push(item);
  return items;
}

/** Lets every pending promise callback run (setImmediate comes after the microtask queue is empty). */
function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Whether `promise` has settled by the time everything already queued has run. */
async function isSettled(promise: Promise<unknown>): Promise<boolean> {
  let settled = false;
  void promise.then(
    () => (settled = true),
    () => (settled = true),
  );
  await settle();
  return settled;
}

describe('AsyncQueue', () => {
  it('yields the items pushed before anyone iterates, in order, and ends after end()', async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1);
    queue.push(2, 3);
    queue.end();
    expect(await drain(queue)).toEqual([1, 2, 3]);
  });

  it('wakes a consumer that is waiting when items are pushed, and keeps it waiting until then', async () => {
    const queue = new AsyncQueue<string>();
    const iterator = queue[Symbol.asyncIterator]();
    const first = iterator.next();
    expect(await isSettled(first)).toBe(false);
    queue.push('a');
    expect(await first).toEqual({ value: 'a', done: false });

    const second = iterator.next();
    expect(await isSettled(second)).toBe(false);
    queue.push('b', 'c', 'd'); // one wake-up for several items: none is lost
    expect(await second).toEqual({ value: 'b', done: false });
    expect(await iterator.next()).toEqual({ value: 'c', done: false });
    expect(await iterator.next()).toEqual({ value: 'd', done: false });

    const last = iterator.next();
    expect(await isSettled(last)).toBe(false);
    queue.end();
    expect(await last).toEqual({ value: undefined, done: true });
  });

  it('mixes items pushed before and after the consumer waits, in push order', async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1, 2);
    const consumed = drain(queue);
    await settle(); // the consumer has taken 1 and 2 and waits for more
    expect(queue.size).toBe(0);
    queue.push(3);
    queue.push(4);
    await settle();
    queue.push(5);
    queue.end();
    expect(await consumed).toEqual([1, 2, 3, 4, 5]);
  });

  it('end() with items still queued delivers them all before the end', async () => {
    const queue = new AsyncQueue<number>();
    queue.push(1, 2, 3);
    queue.end();
    expect(queue.size).toBe(3);
    const iterator = queue[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ value: 1, done: false });
    expect(queue.size).toBe(2);
    expect(await drainIterator(iterator)).toEqual([2, 3]);
    expect(queue.size).toBe(0);
  });

  it('ends at once for a consumer that comes after end() of an empty queue', async () => {
    const queue = new AsyncQueue<number>();
    queue.end();
    expect(await drain(queue)).toEqual([]);
  });

  it('counts in size what is pushed and not yet taken, and keeps what a consumer that stops early left', async () => {
    const queue = new AsyncQueue<number>();
    expect(queue.size).toBe(0);
    queue.push(1, 2, 3, 4);
    expect(queue.size).toBe(4);
    for await (const item of queue) {
      if (item === 2) break;
    }
    expect(queue.size).toBe(2);
    queue.end();
    expect(await drain(queue)).toEqual([3, 4]);
    expect(queue.size).toBe(0);
  });

  // Past 1024 consumed items the queue drops its consumed prefix: order and size must not notice.
  it('keeps order and size across many compactions of a long backlog, with pushes in between', async () => {
    const queue = new AsyncQueue<number>();
    const iterator = queue[Symbol.asyncIterator]();
    let pushed = 0;
    let taken = 0;
    const push = (count: number): void => {
      queue.push(...Array.from({ length: count }, () => pushed++));
    };
    const take = async (count: number): Promise<void> => {
      for (let i = 0; i < count; i++) {
        const next = await iterator.next();
        expect(next).toEqual({ value: taken, done: false });
        taken++;
        expect(queue.size).toBe(pushed - taken);
      }
    };
    push(5000);
    await take(3000); // compacts once 2501 are taken, 2499 still queued; four more times below, the last at 1025
    push(1500);
    await take(2000);
    push(4000);
    await take(pushed - taken);
    expect(queue.size).toBe(0);
    queue.end();
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('keeps order through compaction when the consumer keeps up, one item at a time', async () => {
    const queue = new AsyncQueue<number>();
    const iterator = queue[Symbol.asyncIterator]();
    for (let i = 0; i < 3000; i++) {
      const next = iterator.next(); // waits on an empty queue: the compaction at 1025 leaves nothing behind
      queue.push(i);
      expect(await next).toEqual({ value: i, done: false });
      expect(queue.size).toBe(0);
    }
    queue.push(3000, 3001);
    queue.end();
    expect(await drainIterator(iterator)).toEqual([3000, 3001]);
  });
});

async function drainIterator<T>(iterator: AsyncIterator<T>): Promise<T[]> {
  const items: T[] = [];
  for (let next = await iterator.next(); next.done !== true; next = await iterator.next()) items.push(next.value);
  return items;
}
