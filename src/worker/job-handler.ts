// fanout's job handler: what a worker does with one `fanout.http` job. It decodes the payload (wire-payload.ts),
// runs the batch with the shared batch executor, streams the records back and returns the WORK_COMPLETE body
// (wire-results.ts). It owns the meaning of a job only: packets, connections and the grab cycle belong to the
// generic worker (src/gearman/worker.ts), the shared limiter and the agents to the fanout worker, which injects
// them, so the handler runs without gearmand (a fake JobIo, a scripted dispatcher) in tests.
//
// Decisions:
// - A job runs at min(its own concurrency, the worker's), so it never queues more requests than the worker
//   could run, and under the worker's limiter, shared by all its jobs.
// - One WORK_DATA per chunk of records the executor yields (NDJSON; cut at whole records past 4 MiB) and one
//   WORK_STATUS (records so far, hosts in the job) after it; each waits for the socket to take more.
// - Errors become the WORK_EXCEPTION text: `invalid job payload: <reason>` for a payload that does not decode
//   (nothing else is sent, the worker carries on), `worker error: <message>` for anything unexpected. An aborted
//   job gets neither: nothing more may be sent for it, so its error is passed on as it is.
// - Lockdown (docs/gearman.md §9): the envelope is opened first (a job refused there is answered like an invalid
//   payload: WORK_EXCEPTION, nothing sent), and hosts no --allow rule allows get a `denied` record, sent before
//   the batch of the others starts; the guard's resolver stands behind the same rules at connect time.
// - A job whose run its client stopped (stopped-jobs.ts) is not aborted: it stops starting hosts (drain), or also
//   aborts those in flight (abort), and still sends every record, `not_attempted` for the hosts never started,
//   then WORK_COMPLETE, so its client learns the truth about each host.

import type { LimitFunction } from 'p-limit';
import type { Dispatcher } from 'undici';
import type { JobHandler, JobIo, WorkerJob } from '../gearman/worker.js';
import type { HostGuard } from '../http/allow-guard.js';
import { executeBatch } from '../jobs/execute-batch.js';
import { openJob, openOptions } from '../jobs/job-envelope.js';
import type { OpenedJob } from '../jobs/job-envelope.js';
import { prepareSpec } from '../jobs/prepared-spec.js';
import { resultWithoutResponse } from '../jobs/to-host-result.js';
import { decodeJobPayload } from '../jobs/wire-payload.js';
import { encodeCompletion, encodeRecordLines } from '../jobs/wire-results.js';
import type { RequestSpec } from '../jobs/request-spec.js';
import type { Target } from '../hosts/target.js';
import type { HostResult } from '../record/host-result.js';
import type { StoppedJobs } from './stopped-jobs.js';

export interface JobHandlerOptions {
  /** The worker's id, put in each record's `worker`. */
  workerId: string;
  /** The worker's request limit: no job runs more requests at once. */
  concurrency: number;
  /** The limiter every job of the worker shares (at most `concurrency` requests in flight across jobs). */
  limit: LimitFunction;
  /** The agent for a job's connect options (the worker's DispatcherPool). */
  dispatcher: (connectTimeoutMs: number, insecure: boolean) => Dispatcher;
  /** The payload decoded: the batch of `hosts` hosts starts now. Not called for a refused payload. */
  onStart?: (job: WorkerJob, hosts: number) => void;
  /** A chunk of records came back (so request slots were freed); `records` and `ok` count the job's so far. */
  onRecords?: (job: WorkerJob, records: number, ok: number) => void;
  // ---- lockdown
  /** The --allow rules: hosts they refuse get `denied` (its resolver must be the one the dispatcher connects with). */
  guard?: HostGuard | undefined;
  /** Jobs must be signed or encrypted with this secret (--secret); null or absent: any job runs. */
  secret?: string | null | undefined;
  /** A signed job older than this is refused (--max-job-age). */
  maxJobAgeMs?: number | undefined;
  /** The clock the job age is judged by (ms since the epoch); default Date.now. */
  now?: (() => number) | undefined;
  /** A signed job was run without checking its signature (this worker has no secret). */
  onUnverified?: ((job: WorkerJob) => void) | undefined;
  /** The runs the worker's clients stopped: a job of one starts no more hosts. */
  stops?: StoppedJobs;
}

type Batch = ReturnType<typeof decodeJobPayload>;

export function createJobHandler(options: JobHandlerOptions): JobHandler {
  return async (job, io, signal) => {
    let opened: OpenedJob;
    try {
      opened = openJob(job.payload, openOptions(options.secret, options.maxJobAgeMs, (options.now ?? Date.now)()));
    } catch (error) {
      throw new Error(`job refused: ${messageOf(error)}`, { cause: error });
    }
    if (opened.form === 'signed' && !opened.verified) options.onUnverified?.(job);
    let batch: Batch;
    try {
      batch = decodeJobPayload(opened.payload);
    } catch (error) {
      throw new Error(`invalid job payload: ${messageOf(error)}`, { cause: error });
    }
    options.onStart?.(job, batch.targets.length);
    try {
      return await runBatch(options, job, batch, io, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      throw new Error(`worker error: ${messageOf(error)}`, { cause: error });
    }
  };
}

/** Streams the batch's records; resolves with the WORK_COMPLETE body, rejects with the abort reason once aborted. */
async function runBatch(
  options: JobHandlerOptions,
  job: WorkerJob,
  { spec, targets, concurrency }: Batch,
  io: JobIo,
  signal: AbortSignal,
): Promise<string> {
  let records = 0;
  let ok = 0;
  const admission = admitTargets(options, spec, targets);
  const stop = options.stops?.watch({ unique: job.unique, handle: job.handle });
  try {
    const batch = executeBatch(spec, admission.allowed, {
      concurrency: Math.min(concurrency, options.concurrency),
      dispatcher: options.dispatcher(spec.connectTimeoutMs, spec.insecure),
      signal: stop === undefined ? signal : AbortSignal.any([signal, stop.abort]),
      drain: stop?.drain,
      limit: options.limit,
      worker: options.workerId,
    });
    for await (const chunk of deniedFirst(admission, batch)) {
      // On abort the executor still yields a record per host (aborted, not_attempted): none of them is sent.
      if (signal.aborted) break;
      for (const body of encodeRecordLines(chunk)) await io.data(body);
      records += chunk.length;
      ok += chunk.reduce((n, record) => (record.ok ? n + 1 : n), 0);
      options.onRecords?.(job, records, ok);
      await io.status(records, targets.length);
    }
  } finally {
    stop?.release();
  }
  signal.throwIfAborted();
  return encodeCompletion({ hosts: records, ok, failed: records - ok });
}

interface Admitted {
  allowed: Target[];
  denied: HostResult[];
  release: () => void;
}

/** Splits the targets by the --allow rules: records for the refused ones, the rest to fetch until release(). */
function admitTargets(options: JobHandlerOptions, spec: RequestSpec, targets: readonly Target[]): Admitted {
  if (options.guard === undefined) return { allowed: [...targets], denied: [], release: () => undefined };
  const prepared = prepareSpec(spec);
  const urls = targets.map((target) => prepared.urlOrHost(target));
  // A target that makes no URL is left to the executor, which records it invalid_target.
  const admission = options.guard.admit(urls.map(({ url, error }) => (error === null ? url : null)));
  const allowed: Target[] = [];
  const denied: HostResult[] = [];
  targets.forEach((target, i) => {
    const refusal = admission.refusals[i] ?? null;
    if (refusal === null) allowed.push(target);
    else {
      const context = { host: target.host, url: urls[i]?.url ?? target.host, method: spec.method, attempts: 0, durationMs: 0 };
      denied.push(resultWithoutResponse({ ...context, worker: options.workerId }, 'denied', refusal));
    }
  });
  return { allowed, denied, release: () => admission.release() };
}

/** The denied hosts' records as the first chunk, then the batch's; the admitted names are released when it ends. */
async function* deniedFirst({ denied, release }: Admitted, batch: AsyncGenerator<HostResult[]>): AsyncGenerator<HostResult[]> {
  try {
    if (denied.length > 0) yield denied;
    yield* batch;
  } finally {
    release();
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
