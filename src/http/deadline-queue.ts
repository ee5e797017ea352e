// Whole-request deadlines with one timer for a whole batch instead of one per request. Every request of a
// batch has the same timeout, so deadlines arrive in start order: a FIFO (doubly linked, O(1) removal) holds them
// sorted, and a single timer is armed for the head.

export interface Deadline {
  readonly at: number;
  expire(): void;
  prev: Deadline | null;
  next: Deadline | null;
}

export class DeadlineQueue {
  #head: Deadline | null = null;
  #tail: Deadline | null = null;
  #timer: NodeJS.Timeout | null = null;
  #armedFor = Infinity;

  constructor(
    private readonly timeoutMs: number,
    private readonly now: () => number = performance.now.bind(performance),
  ) {}

  /** Starts a deadline `timeoutMs` from now; `expire` runs once unless the deadline is removed first. */
  add(expire: () => void): Deadline {
    const entry: Deadline = { at: this.now() + this.timeoutMs, expire, prev: this.#tail, next: null };
    if (this.#tail) this.#tail.next = entry;
    else this.#head = entry;
    this.#tail = entry;
    if (this.#timer === null) this.#arm();
    return entry;
  }

  remove(entry: Deadline): void {
    if (entry.prev) entry.prev.next = entry.next;
    else if (this.#head === entry) this.#head = entry.next;
    else return; // already removed
    if (entry.next) entry.next.prev = entry.prev;
    else this.#tail = entry.prev;
    entry.prev = null;
    entry.next = null;
  }

  /** Stops the timer; pending deadlines never fire. */
  clear(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    // Unlink every entry: a late remove() of one still linked to its neighbours would make it the tail again.
    while (this.#head) this.remove(this.#head);
  }

  #arm(): void {
    const head = this.#head;
    if (!head) {
      this.#timer = null;
      this.#armedFor = Infinity;
      return;
    }
    if (this.#timer && this.#armedFor <= head.at) return;
    if (this.#timer) clearTimeout(this.#timer);
    this.#armedFor = head.at;
    this.#timer = setTimeout(() => this.#fire(), Math.max(0, head.at - this.now()));
  }

  #fire(): void {
    this.#timer = null;
    const now = this.now();
    while (this.#head && this.#head.at <= now + 1) {
      const entry = this.#head;
      this.remove(entry);
      entry.expire();
    }
    this.#arm();
  }
}
