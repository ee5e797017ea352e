// The supervisor of `fanout worker --processes N`: keeps N worker processes running, the role Supervisor
// (supervisord) plays beside PHP Gearman workers. It owns the children's lifecycle only: spawning, restarting
// one that died on its own with exponential back-off (reset once it has run stably), and forwarding a stop
// signal. What a child runs is the caller's business (command and arguments per slot).
//
// Children get their own process group (detached), so a Ctrl-C at the terminal reaches only the supervisor,
// which forwards one SIGTERM: a child that also saw the terminal's SIGINT would take the forwarded signal for
// a second one and quit at once. The IPC channel lets a child notice that its supervisor is gone (killed
// with SIGKILL) and stop instead of running on as an orphan.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { backoffDelay } from '../gearman/server-pool.js';
import type { BackoffOptions } from '../gearman/server-pool.js';
import type { LogLevel } from './fanout-worker.js';

export interface SupervisorOptions {
  processes: number;
  /** Executable of a child, e.g. process.execPath. */
  command: string;
  /** Arguments of the child in slot 0..processes-1. */
  args: (slot: number) => string[];
  env?: NodeJS.ProcessEnv;
  /** Delays between restarts of one slot after consecutive early deaths. */
  backoff?: Partial<BackoffOptions>;
  /** A child that ran at least this long before dying is restarted after the shortest delay. */
  stableAfterMs?: number;
  log?: (line: string, level: LogLevel) => void;
}

export interface SupervisorEvents {
  spawn: [slot: number, pid: number];
  exit: [slot: number, pid: number, code: number | null, signal: NodeJS.Signals | null];
}

export const DEFAULT_RESTART_BACKOFF: BackoffOptions = { minDelayMs: 500, maxDelayMs: 60_000, jitter: 0.2 };
const DEFAULT_STABLE_AFTER_MS = 30_000;

interface Slot {
  index: number;
  child: ChildProcess | undefined;
  startedAt: number;
  /** Consecutive deaths before stableAfterMs. */
  failures: number;
  restart: NodeJS.Timeout | undefined;
}

export class Supervisor extends EventEmitter<SupervisorEvents> {
  /** Resolves once stop() was called and every child has exited. */
  readonly done: Promise<void>;

  #options: SupervisorOptions;
  #backoff: BackoffOptions;
  #slots: Slot[];
  #stopping = false;
  #resolveDone: () => void = () => undefined;

  constructor(options: SupervisorOptions) {
    super();
    if (!Number.isSafeInteger(options.processes) || options.processes < 1) {
      throw new RangeError(`expected processes to be a positive integer, got ${options.processes}`);
    }
    this.#options = options;
    this.#backoff = { ...DEFAULT_RESTART_BACKOFF, ...options.backoff };
    this.#slots = Array.from({ length: options.processes }, (_, index) => ({
      index,
      child: undefined,
      startedAt: 0,
      failures: 0,
      restart: undefined,
    }));
    this.done = new Promise((resolve) => (this.#resolveDone = resolve));
  }

  start(): void {
    for (const slot of this.#slots) if (slot.child === undefined && slot.restart === undefined) this.#spawn(slot);
  }

  /** Pids of the children running now, by slot. */
  pids(): number[] {
    return this.#slots.flatMap((slot) => (slot.child?.pid === undefined ? [] : [slot.child.pid]));
  }

  /**
   * Restarts nothing more and sends `signal` to every child (again on a second call: a worker takes a second
   * signal as "quit at once"). Resolves when every child has exited.
   */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    this.#stopping = true;
    for (const slot of this.#slots) {
      clearTimeout(slot.restart);
      slot.restart = undefined;
      slot.child?.kill(signal);
    }
    this.#settleIfDone();
    await this.done;
  }

  #spawn(slot: Slot): void {
    slot.restart = undefined;
    const child = spawn(this.#options.command, this.#options.args(slot.index), {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      detached: true,
      env: this.#options.env ?? process.env,
    });
    slot.child = child;
    slot.startedAt = Date.now();
    let ended = false;
    const onEnd = (code: number | null, signal: NodeJS.Signals | null, error?: Error): void => {
      if (ended) return;
      ended = true;
      this.#onExit(slot, child, code, signal, error);
    };
    child.once('exit', (code, signal) => onEnd(code, signal));
    child.once('error', (error) => onEnd(null, null, error));
    if (child.pid !== undefined) {
      this.#log(`started worker process ${child.pid} (${slot.index + 1} of ${this.#slots.length})`, 'info');
      this.emit('spawn', slot.index, child.pid);
    }
  }

  #onExit(slot: Slot, child: ChildProcess, code: number | null, signal: NodeJS.Signals | null, error: Error | undefined): void {
    slot.child = undefined;
    const pid = child.pid ?? 0;
    this.emit('exit', slot.index, pid, code, signal);
    if (this.#stopping) {
      this.#settleIfDone();
      return;
    }
    if (Date.now() - slot.startedAt >= (this.#options.stableAfterMs ?? DEFAULT_STABLE_AFTER_MS)) slot.failures = 0;
    slot.failures++;
    const delayMs = backoffDelay(slot.failures, this.#backoff);
    const how =
      error !== undefined ? `could not start (${error.message})` : signal !== null ? `was killed by ${signal}` : `exited with code ${code}`;
    this.#log(`worker process ${pid || '?'} ${how}; restarting it in ${delayMs} ms`, 'warn');
    slot.restart = setTimeout(() => this.#spawn(slot), delayMs);
  }

  #settleIfDone(): void {
    if (this.#stopping && this.#slots.every((slot) => slot.child === undefined)) this.#resolveDone();
  }

  #log(line: string, level: LogLevel): void {
    this.#options.log?.(line, level);
  }
}
