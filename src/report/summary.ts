// The run summary (README "The record", schema/summary.schema.json) as a pure accumulator: records go in one at a time, a Summary comes out.
// Owns what is counted and how; rendering is render-summary.ts, the JSON contract schema/summary.schema.json.
// Memory stays bounded for any number of hosts: latency is a fixed-size histogram and failed host names are
// kept only up to a cap, beyond which they are counted.
//
// Choices the design leaves open:
// - Latency is over records that made at least one request (attempts > 0), failures included: a timeout's
//   duration is part of what the fleet costs. Records never sent (not_attempted, invalid_target, job_lost
//   before any attempt) would only drag the percentiles toward zero.
// - byStatus counts the statuses of http_status records (a response with an unexpected status); a reset after a
//   200's headers is counted under its code, not as a 200.
// - A stopped run is not a failed one: `aborted` (in flight when the run stopped) and `not_attempted` (never
//   started) have their own counts and are neither in `failed` nor in failedHosts, so hosts = ok + failed +
//   aborted + notAttempted. job_lost and worker_error are failures: the run failed those hosts.
// - The rate is over the hosts whose request ran: attempts > 0, the records latency is over (in local mode
//   ok + failed + aborted), never not_attempted nor a host that sent nothing (job_lost, worker_error,
//   invalid_target, a gearman job's aborted hosts), per second from the run's start to `finish(now)`: hosts
//   never tried would make a stopped run look fast.

import { foldHosts } from './fold-hosts.js';
import type { HostResult, ResultCode } from '../record/host-result.js';
import { RESULT_CODES } from '../record/host-result.js';
import { LatencyHistogram } from './latency-histogram.js';

/** Codes of hosts a stop left without an outcome: counted apart, never as failed. */
const STOPPED: ReadonlySet<ResultCode> = new Set<ResultCode>(['aborted', 'not_attempted']);

/** True for a code counted in `failed`: not ok, and not a host the run stopped before its outcome. */
export function isFailureCode(code: ResultCode): boolean {
  return code !== 'ok' && !STOPPED.has(code);
}

/** Failed host names kept for folding; ~100 bytes each, so the cap is ~10 MB at worst. */
export const DEFAULT_FAILED_HOSTS_CAP = 100_000;

export interface SummaryInit {
  /** Epoch milliseconds at which the run started. */
  startedAt: number;
  /** The run id (--run-id, or the one made up): a retry that passes it again reuses the pushes' Idempotency-Keys. */
  runId?: string;
  /** Input entries dropped as repeats, when already known (else give it to finish). */
  duplicates?: number;
  failedHostsCap?: number;
  /** --resume: hosts left out because the resumed file already has an ok record for them (Summary.skipped). */
  skipped?: number;
}

export interface SummaryCounts {
  /** Records seen so far, whatever their code. */
  done: number;
  ok: number;
  /** Hosts tried that failed: not aborted, not not_attempted (see Summary.failed). */
  failed: number;
}

/** What counts() gives: SummaryCounts (all the progress line needs) and the hosts a stop left without an outcome. */
export interface RunCounts extends SummaryCounts {
  aborted: number;
  notAttempted: number;
}

export interface LatencySummary {
  /** Records the percentiles are over: those with attempts > 0. */
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

export interface Summary {
  /** Every record: ok + failed + aborted + notAttempted. */
  hosts: number;
  ok: number;
  /** Hosts that were tried and failed: every code but ok, aborted and not_attempted. */
  failed: number;
  /** Requests in flight when the run stopped (code aborted). */
  aborted: number;
  /** Hosts never tried because the run stopped first (code not_attempted). */
  notAttempted: number;
  /** Records per code, for codes that occurred, in RESULT_CODES order. */
  byCode: Partial<Record<ResultCode, number>>;
  /** http_status records (a response with an unexpected status), per status. */
  byStatus: Record<string, number>;
  /** Milliseconds, within 1% (latency-histogram.ts); null when no record made a request. */
  latencyMs: LatencySummary | null;
  /** Requests beyond the first, over all hosts. */
  retries: number;
  duplicates: number;
  startedAt: string;
  finishedAt: string;
  /** From the run's start to finish(now). */
  wallMs: number;
  /** Hosts whose request ran (attempts > 0: latencyMs.count) per second of wallMs; 0 when wallMs is 0. */
  hostsPerSecond: number;
  /** Failed hosts (as counted in failed) folded into ranges (fold-hosts.ts), natural order. */
  failedHosts: string[];
  /** Failed hosts beyond the cap, counted but not named in failedHosts. */
  failedHostsOmitted: number;
  interrupted: boolean;
  /** Gearman mode only: worker output the run did not use (see SummaryBuilder.addDropped). */
  droppedRecords?: DroppedRecords;
  /** See SummaryInit.runId. */
  runId?: string;
  /** --resume only: hosts not run because an earlier run recorded them ok; neither in hosts nor in any count. */
  skipped?: number;
  /** Present when --max-failures stopped the run from starting hosts: the counts that crossed the limit. */
  stopped?: FailureStop;
}

/** Why a run stopped starting hosts: `failed` of `finished` (ok + failed) hosts went past --max-failures `limit`. */
export interface FailureStop {
  by: 'max-failures';
  /** The flag's value as normalized: `30` (a count) or `10%`. */
  limit: string;
  failed: number;
  finished: number;
}

export interface DroppedRecords {
  /** WORK_DATA lines that are not a record (a foreign or broken worker). */
  malformed: number;
  /** Records for a host that already had one (a requeued job sends its records again), or that the job never had. */
  repeats: number;
}

export interface SummaryFinal {
  duplicates?: number;
  interrupted?: boolean;
  stopped?: FailureStop | undefined;
}

export interface SummaryBuilder {
  add(result: HostResult): void;
  /** Counts worker output that was dropped; from the first call on, the summary has droppedRecords. */
  addDropped(malformed: number, repeats: number): void;
  counts(): RunCounts;
  /** `now` in epoch milliseconds. Can be called more than once; each call reflects the records so far. */
  finish(now: number, final?: SummaryFinal): Summary;
}

export function createSummaryBuilder(init: SummaryInit): SummaryBuilder {
  const cap = init.failedHostsCap ?? DEFAULT_FAILED_HOSTS_CAP;
  const latency = new LatencyHistogram();
  const byCode = new Map<ResultCode, number>();
  const byStatus = new Map<number, number>();
  const failedHosts: string[] = [];
  let hosts = 0;
  let ok = 0;
  let aborted = 0;
  let notAttempted = 0;
  let retries = 0;
  let failedHostsOmitted = 0;
  let dropped: DroppedRecords | null = null;

  return {
    add(result) {
      hosts += 1;
      byCode.set(result.code, (byCode.get(result.code) ?? 0) + 1);
      if (result.attempts > 0) {
        latency.record(result.durationMs);
        retries += result.attempts - 1;
      }
      if (result.ok) {
        ok += 1;
        return;
      }
      if (result.code === 'aborted') {
        aborted += 1;
        return;
      }
      if (result.code === 'not_attempted') {
        notAttempted += 1;
        return;
      }
      if (result.code === 'http_status' && result.status !== null) byStatus.set(result.status, (byStatus.get(result.status) ?? 0) + 1);
      if (failedHosts.length < cap) failedHosts.push(result.host);
      else failedHostsOmitted += 1;
    },

    addDropped(malformed, repeats) {
      dropped ??= { malformed: 0, repeats: 0 };
      dropped.malformed += malformed;
      dropped.repeats += repeats;
    },

    counts() {
      return { done: hosts, ok, failed: hosts - ok - aborted - notAttempted, aborted, notAttempted };
    },

    finish(now, final = {}) {
      const wallMs = Math.max(0, now - init.startedAt);
      return {
        hosts,
        ok,
        failed: hosts - ok - aborted - notAttempted,
        aborted,
        notAttempted,
        byCode: Object.fromEntries(RESULT_CODES.filter((c) => byCode.has(c)).map((c) => [c, byCode.get(c)])),
        byStatus: Object.fromEntries([...byStatus].sort(([a], [b]) => a - b)),
        latencyMs:
          latency.count === 0
            ? null
            : {
                count: latency.count,
                p50: latency.quantile(0.5),
                p90: latency.quantile(0.9),
                p99: latency.quantile(0.99),
                max: latency.max,
              },
        retries,
        duplicates: final.duplicates ?? init.duplicates ?? 0,
        startedAt: new Date(init.startedAt).toISOString(),
        finishedAt: new Date(now).toISOString(),
        wallMs,
        hostsPerSecond: wallMs > 0 ? (latency.count * 1000) / wallMs : 0,
        failedHosts: foldHosts(failedHosts),
        failedHostsOmitted,
        interrupted: final.interrupted ?? false,
        ...(dropped === null ? {} : { droppedRecords: { ...dropped } }),
        ...(init.runId === undefined ? {} : { runId: init.runId }),
        ...(init.skipped === undefined ? {} : { skipped: init.skipped }),
        ...(final.stopped === undefined ? {} : { stopped: { ...final.stopped } }),
      };
    },
  };
}
