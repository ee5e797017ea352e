// What a worker knows of stopped runs: the jobs its clients asked it to stop (wire-control.ts), and for each job
// it runs, the signals that stop it. A stop reaches the jobs in hand at once; it is also remembered for a while, so
// that a job of that run still queued in gearmand and taken after the stop (a drain waits for those) starts no host.
// Pure bookkeeping: no sockets; the clock is injected for tests.
//
// Decisions:
// - A remembered stop is kept for REMEMBER_MS (10 min) and at most MAX_REMEMBERED jobs, oldest first out: a drain
//   waits for its queued jobs, which a busy cluster may hand out minutes later, while a client that has gone
//   leaves its queued jobs abandoned (gearmand discards them unrun, docs/gearman.md §5.3).
// - `abort` overrides `drain`, never the other way: a Ctrl-C after --max-failures aborts what is in flight.
import type { StopMode, StopRequest, StoppedJob } from '../jobs/wire-control.js';

const REMEMBER_MS = 10 * 60 * 1000;
const MAX_REMEMBERED = 100_000;

/** The signals of one running job; call release() when it ends. */
export interface JobStop {
  /** Stop starting hosts; in flight finish normally. */
  readonly drain: AbortSignal;
  /** Abort the requests in flight too. */
  readonly abort: AbortSignal;
  release(): void;
}

interface Watched {
  job: StoppedJob;
  drain: AbortController;
  abort: AbortController;
}

export class StoppedJobs {
  readonly #running = new Set<Watched>();
  /** Key → (mode, when), oldest first (a Map keeps insertion order). */
  readonly #remembered = new Map<string, { mode: StopMode; at: number }>();

  constructor(
    private readonly now: () => number = () => performance.now(),
    private readonly rememberMs = REMEMBER_MS,
  ) {}

  /** Signals for a job taken now, already aborted when its run was stopped before. */
  watch(job: StoppedJob): JobStop {
    const watched: Watched = { job, drain: new AbortController(), abort: new AbortController() };
    this.#forget();
    const mode = this.#remembered.get(keyOf(job))?.mode ?? this.#remembered.get(keyOf({ unique: job.unique, handle: null }))?.mode;
    if (mode !== undefined) applyMode(watched, mode);
    this.#running.add(watched);
    return { drain: watched.drain.signal, abort: watched.abort.signal, release: () => this.#running.delete(watched) };
  }

  /** Stops the named jobs in hand and remembers the rest; returns how many jobs in hand it reached. */
  stop(request: StopRequest): number {
    this.#forget();
    const at = this.now();
    for (const job of request.jobs) {
      const key = keyOf(job);
      const before = this.#remembered.get(key)?.mode;
      this.#remembered.delete(key); // re-inserted at the end: the newest
      this.#remembered.set(key, { mode: before === 'abort' ? 'abort' : request.mode, at });
    }
    while (this.#remembered.size > MAX_REMEMBERED) this.#remembered.delete(this.#remembered.keys().next().value as string);
    let reached = 0;
    for (const watched of this.#running) {
      if (!request.jobs.some((named) => matches(named, watched.job))) continue;
      applyMode(watched, request.mode);
      reached++;
    }
    return reached;
  }

  #forget(): void {
    const cutoff = this.now() - this.rememberMs;
    for (const [key, { at }] of this.#remembered) {
      if (at >= cutoff) break;
      this.#remembered.delete(key);
    }
  }
}

function applyMode(watched: Watched, mode: StopMode): void {
  watched.drain.abort();
  if (mode === 'abort') watched.abort.abort();
}

function keyOf(job: StoppedJob): string {
  return job.handle === null ? job.unique : `${job.unique}\0${job.handle}`;
}

function matches(named: StoppedJob, job: StoppedJob): boolean {
  return named.unique === job.unique && (named.handle === null || named.handle === job.handle);
}
