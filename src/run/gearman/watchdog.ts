// When a gearman run must give up, decided as a pure function of (now, what the run has seen): no job server
// reachable for --server-timeout, or no progress for the stall limit while jobs are outstanding. Whether any
// worker is registered (the admin port's `status`, polled by the backend) picks the limit: with none seen,
// --stall-timeout exactly (a worker that registers late gets its chance until then, and not a second longer);
// once one has been seen, long enough for a job of hung hosts to report (busyStallLimitMs).
import { hostDeadlineMs, type DeadlineFields } from '../../jobs/request-spec.js';

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
  /** --stall-timeout: the limit while no worker has been seen. */
  stallMs: number;
  /** The limit once a worker has been seen (busyStallLimitMs). */
  busyStallMs: number;
}

export type Verdict =
  { kind: 'wait' } | { kind: 'no-server'; waitedMs: number } | { kind: 'stalled'; workerSeen: boolean; waitedMs: number };

export function judgeRun(state: WatchState, limits: WatchLimits): Verdict {
  if (state.noServerSince !== null && state.now - state.noServerSince > limits.serverTimeoutMs) {
    return { kind: 'no-server', waitedMs: limits.serverTimeoutMs };
  }
  const stallMs = state.workerSeen ? limits.busyStallMs : limits.stallMs;
  if (state.outstandingJobs > 0 && state.now - state.lastProgressAt > stallMs) {
    return { kind: 'stalled', workerSeen: state.workerSeen, waitedMs: stallMs };
  }
  return { kind: 'wait' };
}

/**
 * The stall limit with workers at work: --stall-timeout, but never less than a job of hung hosts needs to report,
 * since such a job sends nothing until its hosts reach their deadline (every attempt and back-off), plus a second
 * of slack.
 */
export function busyStallLimitMs(stallTimeoutMs: number, spec: DeadlineFields): number {
  return Math.max(stallTimeoutMs, hostDeadlineMs(spec) + 1000);
}

export interface VerdictContext {
  /** The job servers as the user gave them, `host:port`. */
  servers: readonly string[];
  /** Why each server that could not be reached could not (`ECONNREFUSED`), by server. */
  connectErrors?: ReadonlyMap<string, string>;
  functionName: string;
  outstandingJobs: number;
}

/** The one-line reason the run failed, for stderr. */
export function verdictMessage(verdict: Exclude<Verdict, { kind: 'wait' }>, context: VerdictContext): string {
  if (verdict.kind === 'no-server') {
    const servers = context.servers.map((server) => {
      const why = context.connectErrors?.get(server);
      return why === undefined ? server : `${server}: ${why}`;
    });
    return `no job server reachable (${servers.join(', ')}) for ${verdict.waitedMs} ms`;
  }
  const seconds = (verdict.waitedMs / 1000).toFixed(1);
  if (verdict.workerSeen) return `no progress for ${seconds} s: ${context.outstandingJobs} jobs outstanding on workers that send nothing`;
  const list = context.servers.join(',');
  return (
    `no worker registered for function "${context.functionName}" on ${list} ` +
    `(waited ${seconds} s); start one with: fanout worker --gearman ${list}`
  );
}

/** Said as soon as the admin port shows no worker for the function: the run waits, and the user should know why. */
export function noWorkerYetMessage(context: Pick<VerdictContext, 'servers' | 'functionName'>, stallMs: number): string {
  const list = context.servers.join(',');
  return (
    `no worker has registered function "${context.functionName}" on ${list} yet: waiting up to ` +
    `${(stallMs / 1000).toFixed(1)} s (--stall-timeout) for one; start one with: fanout worker --gearman ${list}`
  );
}

/** Said at a job server's first failed connection: which one, and the system's reason (`ECONNREFUSED`). */
export function cannotConnectMessage(server: string, why: string, serverTimeoutMs: number): string {
  return `cannot reach job server ${server} (${why}): retrying for up to ${(serverTimeoutMs / 1000).toFixed(1)} s (--server-timeout)`;
}
