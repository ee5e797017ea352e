// Whole-request deadlines with one timer for a whole batch instead of one per request. Almost every request of a
// batch has the same timeout, so deadlines arrive in start order: a FIFO (doubly linked, O(1) removal) holds them
// sorted, and a single timer is armed for the head. A shorter one (a host's last attempt cut short by its
// deadline) is put in its place by walking back from the tail: O(1) for the common case, rare otherwise.

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

  /**
   * Starts a deadline `timeoutMs` from now (the queue's timeout unless given); `expire` runs once unless the deadline
   * is removed first.
   */
  add(expire: () => void, timeoutMs: number = this.timeoutMs): Deadline {
    const at = this.now() + timeoutMs;
    let after = this.#tail;
    while (after !== null && after.at > at) after = after.prev;
    const before = after === null ? this.#head : after.next;
    const entry: Deadline = { at, expire, prev: after, next: before };
    if (after) after.next = entry;
    else this.#head = entry;
    if (before) before.prev = entry;
    else this.#tail = entry;
    // A new head may be due before the timer armed for the old one.
    if (this.#timer === null || entry === this.#head) this.#arm();
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
