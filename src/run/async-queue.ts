// A pushable async iterable: one side push()es items and end()s, the other iterates with for-await.
// Bridges message-driven input (a thread's port, a socket) into the pull-based batch executor.

export class AsyncQueue<T> implements AsyncIterable<T> {
  #items: T[] = [];
  #head = 0;
  #ended = false;
  #waiter: (() => void) | null = null;

  get size(): number {
    return this.#items.length - this.#head;
  }

  push(...items: T[]): void {
    for (const item of items) this.#items.push(item);
    this.#wake();
  }

  end(): void {
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = null;
    waiter?.();
  }

  async *[Symbol.asyncIterator](): AsyncGenerator<T> {
    for (;;) {
      if (this.#head < this.#items.length) {
        const item = this.#items[this.#head++] as T;
        if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
          this.#items = this.#items.slice(this.#head); // drop the consumed prefix now and then, not per item
          this.#head = 0;
        }
        yield item;
      } else if (this.#ended) {
        return;
      } else {
        await new Promise<void>((resolve) => (this.#waiter = resolve));
      }
    }
  }
}
