// A scripted undici dispatcher for unit tests: its requests complete only when the test says so, and a test
// can wait for a number of them to be in flight. Pass it where a Dispatcher is wanted (`as unknown as Dispatcher`).
import { STATUS_CODES } from 'node:http';
import type { Dispatcher } from 'undici';

export interface Pending {
  origin: string;
  /** What the request was dispatched with (path, method, headers, body). */
  options: Dispatcher.DispatchOptions;
  handler: Dispatcher.DispatchHandler;
  controller: Dispatcher.DispatchController;
}

/** A dispatcher whose requests complete only when the test says so. */
export class ScriptedDispatcher {
  readonly pending: Pending[] = [];
  maxInFlight = 0;
  #waiters: { count: number; resolve: () => void }[] = [];

  dispatch(options: Dispatcher.DispatchOptions, handler: Dispatcher.DispatchHandler): boolean {
    const entry: Pending = {
      origin: String(options.origin),
      options,
      handler,
      controller: {
        aborted: false,
        paused: false,
        reason: null,
        abort: (reason: Error) => {
          this.#remove(entry);
          handler.onResponseError?.(entry.controller, reason);
        },
        pause: () => undefined,
        resume: () => undefined,
      },
    };
    this.pending.push(entry);
    this.maxInFlight = Math.max(this.maxInFlight, this.pending.length);
    handler.onRequestStart?.(entry.controller, {});
    for (const waiter of this.#waiters.filter((w) => this.pending.length >= w.count)) {
      this.#waiters.splice(this.#waiters.indexOf(waiter), 1);
      waiter.resolve();
    }
    return true;
  }

  /** Resolves once `count` requests are in flight at the same time. */
  whenPending(count: number): Promise<void> {
    if (this.pending.length >= count) return Promise.resolve();
    return new Promise((resolve) => this.#waiters.push({ count, resolve }));
  }

  /** Answers the oldest pending request with `status` and `body` (and more `headers`). */
  answer(status = 200, body = '{"ok":true}', contentType = 'application/json', headers: Record<string, string> = {}): void {
    const entry = this.#next();
    entry.handler.onResponseStart?.(entry.controller, status, { 'content-type': contentType, ...headers }, STATUS_CODES[status] ?? '');
    entry.handler.onResponseData?.(entry.controller, Buffer.from(body));
    entry.handler.onResponseEnd?.(entry.controller, {});
  }

  /** Fails the oldest pending request as a refused connect. */
  refuse(): void {
    this.#fail('connect ECONNREFUSED', 'ECONNREFUSED');
  }

  /** Fails the oldest pending request as a connection reset (after the request was written). */
  reset(): void {
    this.#fail('read ECONNRESET', 'ECONNRESET');
  }

  #fail(message: string, code: string): void {
    const entry = this.#next();
    entry.handler.onResponseError?.(entry.controller, Object.assign(new Error(message), { code }));
  }

  #next(): Pending {
    const entry = this.pending.shift();
    if (!entry) throw new Error('nothing pending');
    return entry;
  }

  #remove(entry: Pending): void {
    const i = this.pending.indexOf(entry);
    if (i !== -1) this.pending.splice(i, 1);
  }
}
