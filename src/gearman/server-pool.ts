// Keeps one connection open to each job server of a pool: an explicit reconnect loop per server
// with its own count of consecutive failures and exponential back-off with jitter, and a status
// event for every step, for the caller (and tests) to observe. It decides nothing about what a
// connection is for: the client and worker react to 'connected' (register CAN_DO, send OPTION_REQ)
// and 'disconnected' (resubmit elsewhere) themselves.

import { EventEmitter } from 'node:events';
import { setTimeout as sleep } from 'node:timers/promises';
import { GearmanConnection } from './connection.js';
import type { ConnectOptions } from './connection.js';
import type { GearmanConnectionError } from './errors.js';
import { formatServerAddress } from './server-address.js';
import type { ServerAddress } from './server-address.js';

export interface BackoffOptions {
  /** Delay before the first retry; doubled after each further failure. */
  minDelayMs: number;
  /** Upper bound of the delay. */
  maxDelayMs: number;
  /** Fraction of the delay drawn at random (0 = none, 1 = anywhere from 0 to the delay), so that workers
   * cut off together do not reconnect together. */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { minDelayMs: 100, maxDelayMs: 10_000, jitter: 0.5 };

/**
 * The wait before the next connect attempt after `failures` consecutive failed attempts (0 after
 * a disconnect): minDelayMs × 2^(failures−1), capped at maxDelayMs, minus up to `jitter` of it.
 */
export function backoffDelay(failures: number, options: BackoffOptions, random: () => number = Math.random): number {
  const base = Math.min(options.maxDelayMs, options.minDelayMs * 2 ** Math.max(0, failures - 1));
  return Math.round(base * (1 - options.jitter * random()));
}

export type PoolEvent =
  /** `attempt` counts from 1 since the last successful connection. */
  | { type: 'connecting'; server: string; attempt: number }
  | { type: 'connected'; server: string; attempt: number; connection: GearmanConnection }
  | { type: 'connect-failed'; server: string; attempt: number; error: GearmanConnectionError }
  /** A connection that was up has closed (also on pool.close(), with reason CLOSED_LOCALLY). */
  | { type: 'disconnected'; server: string; error: GearmanConnectionError }
  /** Waiting `delayMs` before the next attempt; `failures` is the count the delay was computed from. */
  | { type: 'backoff'; server: string; failures: number; delayMs: number };

export interface ServerPoolOptions {
  backoff?: Partial<BackoffOptions>;
  connect?: Omit<ConnectOptions, 'signal'>;
  /** Random source for the jitter, replaceable in tests. */
  random?: () => number;
}

interface Slot {
  readonly server: string;
  readonly address: ServerAddress;
  /** Consecutive failed connect attempts; 0 once connected. */
  failures: number;
  connection: GearmanConnection | undefined;
}

export class ServerPool extends EventEmitter<{ status: [event: PoolEvent] }> {
  #slots: Slot[];
  #backoff: BackoffOptions;
  #connectOptions: ConnectOptions;
  #random: () => number;
  #stopper = new AbortController();
  #loops: Promise<void>[] = [];

  constructor(servers: readonly ServerAddress[], options: ServerPoolOptions = {}) {
    super();
    if (servers.length === 0) throw new TypeError('a server pool needs at least one server');
    this.#slots = servers.map((address) => ({
      address,
      server: formatServerAddress(address),
      failures: 0,
      connection: undefined,
    }));
    this.#backoff = { ...DEFAULT_BACKOFF, ...options.backoff };
    this.#connectOptions = { ...options.connect, signal: this.#stopper.signal };
    this.#random = options.random ?? Math.random;
  }

  /** Starts one connect loop per server; call after attaching 'status' listeners. Idempotent. */
  start(): void {
    if (this.#loops.length > 0 || this.#stopper.signal.aborted) return;
    this.#loops = this.#slots.map((slot) => this.#run(slot));
  }

  /** Stops every loop and closes every connection; resolves when all are done. */
  async close(): Promise<void> {
    this.#stopper.abort();
    await Promise.all(this.#slots.flatMap((slot) => (slot.connection === undefined ? [] : [slot.connection.close()])));
    await Promise.all(this.#loops);
  }

  async #run(slot: Slot): Promise<void> {
    const { server } = slot;
    while (!this.#stopped) {
      const attempt = slot.failures + 1;
      this.emit('status', { type: 'connecting', server, attempt });
      let connection: GearmanConnection;
      try {
        connection = await GearmanConnection.connect(slot.address, this.#connectOptions);
      } catch (error) {
        if (this.#stopped) break;
        slot.failures++;
        this.emit('status', { type: 'connect-failed', server, attempt, error: error as GearmanConnectionError });
        await this.#wait(slot);
        continue;
      }
      if (this.#stopped) {
        await connection.close();
        break;
      }
      slot.failures = 0;
      slot.connection = connection;
      this.emit('status', { type: 'connected', server, attempt, connection });
      const error = await connection.closed;
      slot.connection = undefined;
      this.emit('status', { type: 'disconnected', server, error });
      await this.#wait(slot);
    }
  }

  get #stopped(): boolean {
    return this.#stopper.signal.aborted;
  }

  async #wait(slot: Slot): Promise<void> {
    if (this.#stopped) return;
    const delayMs = backoffDelay(slot.failures, this.#backoff, this.#random);
    this.emit('status', { type: 'backoff', server: slot.server, failures: slot.failures, delayMs });
    await sleep(delayMs, undefined, { signal: this.#stopper.signal }).catch(() => undefined);
  }
}
