// When a gearman run must give up, decided as a pure function of (now, what the run has seen): no job server
// reachable for --server-timeout, or no progress for the stall limit while jobs are outstanding. Whether any
// worker is registered (the admin port's `status`, polled by the backend) is an input that changes only the
// message, never the moment: a worker that registers late still gets its chance until the limit.

export interface WatchState {
  /** performance.now() of this check. */
  now: number;
  /** Since when no job server has been up (the run starts without one); null while one is. */
  noServerSince: number | null;
  /** When a record, status or job end last arrived (or the run started). */
  lastProgressAt: number;
  outstandingJobs: number;
  /** A worker for the function has been seen on some server's admin port. */
  workerSeen: boolean;
}

export interface WatchLimits {
  serverTimeoutMs: number;
  stallMs: number;
}

export type Verdict =
  { kind: 'wait' } | { kind: 'no-server'; waitedMs: number } | { kind: 'stalled'; workerSeen: boolean; waitedMs: number };

export function judgeRun(state: WatchState, limits: WatchLimits): Verdict {
  if (state.noServerSince !== null && state.now - state.noServerSince > limits.serverTimeoutMs) {
    return { kind: 'no-server', waitedMs: limits.serverTimeoutMs };
  }
  if (state.outstandingJobs > 0 && state.now - state.lastProgressAt > limits.stallMs) {
    return { kind: 'stalled', workerSeen: state.workerSeen, waitedMs: limits.stallMs };
  }
  return { kind: 'wait' };
}

/**
 * The stall limit: --stall-timeout, but never less than a job of hung hosts needs to report, since such a job
 * sends nothing until its hosts time out (each attempt, plus a second of slack).
 */
export function stallLimitMs(stallTimeoutMs: number, timeoutMs: number, retries: number): number {
  return Math.max(stallTimeoutMs, (timeoutMs + 1000) * (retries + 1));
}

export interface VerdictContext {
  /** The job servers as the user gave them, `host:port`. */
  servers: readonly string[];
  functionName: string;
  outstandingJobs: number;
}

/** The one-line reason the run failed, for stderr. */
export function verdictMessage(verdict: Exclude<Verdict, { kind: 'wait' }>, context: VerdictContext): string {
  if (verdict.kind === 'no-server') {
    return `no job server reachable (${context.servers.join(', ')}) for ${verdict.waitedMs} ms`;
  }
  const seconds = (verdict.waitedMs / 1000).toFixed(1);
  if (verdict.workerSeen) return `no progress for ${seconds} s: ${context.outstandingJobs} jobs outstanding on workers that send nothing`;
  const list = context.servers.join(',');
  return (
    `no worker registered for function "${context.functionName}" on ${list} ` +
    `(waited ${seconds} s); start one with: fanout worker --gearman ${list}`
  );
}
