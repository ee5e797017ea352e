// Gearman mode: batches of targets become foreground jobs on gearmand (through the Gearman client of
// src/gearman), `fanout worker` processes run them, and their records stream back in WORK_DATA into the same
// sinks as local mode. This module owns what fanout does with jobs: batching, resubmission, the one record
// per host, and when the run gives up; the client owns connections and which packet belongs to which job.
//
// What `-c` means here: the request limit each job carries to its worker (at most the batch size). A worker
// runs several jobs at once up to its own --concurrency, so the load on the fleet is at most
// min(jobs running × c, sum of the workers' --concurrency).
//
// Failures (docs/gearman.md §5.9): a server that dies loses its foreground jobs without a word, so their hosts that
// have no record yet are resubmitted to another server that is up; when none is up for --server-timeout, they
// (and every host not yet submitted) are job_lost and the run fails (exit 3). No progress for the stall limit
// (no worker, or workers stuck) fails the run the same way (watchdog.ts decides). WORK_FAIL/WORK_EXCEPTION make
// the job's hosts without records worker_error. A requeued job re-sends records: the JobBook keeps the first.
import { fetchStatus } from '../../gearman/admin-client.js';
import { GearmanClient, type ClientJob, type ClientStatusEvent } from '../../gearman/client.js';
import { formatServerAddress } from '../../gearman/server-address.js';
import type { BackoffOptions } from '../../gearman/server-pool.js';
import { GEARMAN_DEFAULTS } from '../../defaults.js';
import type { Target } from '../../hosts/target.js';
import { prepareSpec, type PreparedSpec } from '../../jobs/prepared-spec.js';
import type { RequestSpec } from '../../jobs/request-spec.js';
import { resultWithoutResponse } from '../../jobs/to-host-result.js';
import { sealJob } from '../../jobs/job-envelope.js';
import { encodeJobPayload } from '../../jobs/wire-payload.js';
import { decodeCompletion, decodeRecordLines } from '../../jobs/wire-results.js';
import type { HostResult, ResultCode } from '../../record/host-result.js';
import { AsyncQueue } from '../async-queue.js';
import type { Backend, BackendEvent } from '../backend.js';
import type { GearmanRunOptions } from '../run-config.js';
import { startEmbeddedWorkers, type EmbeddedWorkers } from './embedded-workers.js';
import { JobBook, type BookedJob } from './job-book.js';
import { busyStallLimitMs, cannotConnectMessage, judgeRun, noWorkerYetMessage, verdictMessage } from './watchdog.js';

/** Events waiting for the consumer beyond which no new job is submitted. */
const MAX_QUEUED_EVENTS = 64;
const WATCH_INTERVAL_MS = 100;
const QUEUE_FULL_RETRY_MS = 250;
const ADMIN_TIMEOUT_MS = 1000;

export interface GearmanBackendOptions extends GearmanRunOptions {
  runId: string;
  /** The request limit of each embedded worker of --local-workers. */
  embeddedWorkerConcurrency: number;
  /** Tells a person what is going on (stderr); never data. */
  log: (line: string) => void;
  backoff?: Partial<BackoffOptions> | undefined;
}

export function createGearmanBackend(options: GearmanBackendOptions): Backend {
  const closers: Array<() => Promise<void>> = [];
  return {
    run(spec, plan, { concurrency, signal }) {
      const run = new GearmanRun(options, spec, plan.targets(), Math.min(concurrency, options.batchSize), signal);
      closers.push(() => run.close());
      return run.events();
    },
    async close() {
      await Promise.all(closers.splice(0).map((close) => close()));
    },
  };
}

class GearmanRun {
  readonly #out = new AsyncQueue<BackendEvent>();
  readonly #client: GearmanClient;
  readonly #book: JobBook;
  readonly #retry: Target[] = [];
  readonly #source: AsyncIterator<Target>;
  readonly #prepared: PreparedSpec;
  readonly #servers: string[];
  readonly #busyStallMs: number;
  /** Why each server's last connection attempt failed, until it comes up: for the log and the final message. */
  readonly #connectErrors = new Map<string, string>();
  readonly #embedded: EmbeddedWorkers | null;
  readonly #watch: NodeJS.Timeout;
  /** Hosts handed back by jobs lost with their server since it went down, for one log line per outage. */
  readonly #orphansByServer = new Map<string, number>();
  #sourceDone = false;
  /** The submit loop while it runs: one at a time, since it reads the target stream. */
  #pumping: Promise<void> | null = null;
  #pumpAgain = false;
  #ended = false;
  #stopped = false;
  #lastProgressAt = performance.now();
  #noServerSince: number | null = performance.now();
  #workerSeen = false;
  #lookingForWorkers = false;
  #saidNoWorker = false;

  constructor(
    private readonly options: GearmanBackendOptions,
    private readonly spec: RequestSpec,
    targets: AsyncIterable<Target>,
    private readonly jobConcurrency: number,
    private readonly signal: AbortSignal,
  ) {
    this.#prepared = prepareSpec(spec);
    this.#busyStallMs = busyStallLimitMs(options.stallTimeoutMs, spec);
    this.#servers = options.servers.map(formatServerAddress);
    this.#source = targets[Symbol.asyncIterator]();
    this.#book = new JobBook(options.runId);
    this.#embedded =
      options.localWorkers > 0
        ? startEmbeddedWorkers(
            options.servers,
            options.localWorkers,
            options.functionName,
            options.embeddedWorkerConcurrency,
            options.jobSecret,
          )
        : null;
    this.#client = new GearmanClient(options.servers, options.backoff ? { backoff: options.backoff } : {});
    this.#client.on('status', (event) => this.#onServerStatus(event));
    this.#client.start();
    this.#watch = setInterval(() => this.#watchTick(), WATCH_INTERVAL_MS);
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  async *events(): AsyncGenerator<BackendEvent> {
    for await (const event of this.#out) {
      yield event;
      this.#pump();
    }
  }

  async close(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#watch);
    this.signal.removeEventListener('abort', this.#onAbort);
    await this.#source.return?.();
    await this.#client.close();
    await this.#embedded?.stop();
  }

  // ---- job servers

  #onServerStatus(event: ClientStatusEvent): void {
    if (event.type === 'up') {
      this.#noServerSince = null;
      this.#connectErrors.delete(event.server);
      this.#pump();
    } else if (event.type === 'connect-failed') {
      const why = connectFailure(event.error);
      if (!this.#connectErrors.has(event.server)) this.options.log(cannotConnectMessage(event.server, why, this.options.serverTimeoutMs));
      this.#connectErrors.set(event.server, why);
    } else if (event.type === 'down') {
      if (this.#client.upServers.length === 0) this.#noServerSince ??= performance.now();
      const orphans = this.#orphansByServer.get(event.server) ?? 0;
      this.#orphansByServer.delete(event.server);
      if (orphans > 0)
        this.options.log(`job server ${event.server} went away (${event.error.message}): resubmitting ${orphans} hosts elsewhere`);
      this.#pump();
    }
  }

  // ---- submitting

  #pump(): void {
    if (this.#pumping) {
      this.#pumpAgain = true;
      return;
    }
    this.#pumping = this.#pumpLoop().finally(() => {
      this.#pumping = null;
      this.#maybeEnd();
    });
  }

  async #pumpLoop(): Promise<void> {
    do {
      this.#pumpAgain = false;
      while (!this.#stopped && this.#book.outstanding < GEARMAN_DEFAULTS.maxOutstandingJobs && this.#out.size < MAX_QUEUED_EVENTS) {
        if (this.#client.upServers.length === 0) return;
        const batch = await this.#nextBatch();
        if (batch.length === 0) return;
        if (this.#stopped) {
          this.#settleWithout(batch, 'not_attempted', 'the run ended before this host was submitted');
          return;
        }
        this.#submit(batch);
      }
    } while (this.#pumpAgain);
  }

  async #nextBatch(): Promise<Target[]> {
    const size = this.options.batchSize;
    const batch = this.#retry.splice(0, size);
    while (batch.length < size && !this.#sourceDone) {
      const next = await this.#source.next();
      if (next.done === true) this.#sourceDone = true;
      else batch.push(next.value);
    }
    return batch;
  }

  #submit(batch: Target[]): void {
    const booked = this.#book.open(batch);
    const payload = sealJob(encodeJobPayload(this.spec, batch, this.jobConcurrency), this.options.jobSecret ?? null, Date.now());
    const job = this.#client.submit(this.options.functionName, booked.unique, payload);
    if (job === null) {
      // The last server went down while the batch was being read: it waits for the next one.
      this.#retry.push(...this.#book.close(booked));
      return;
    }
    this.#follow(job, booked);
  }

  /** Turns a job's packets into records and its end into the fate of the hosts it still owes. */
  #follow(job: ClientJob, booked: BookedJob): void {
    const live = (handler: () => void): void => {
      if (this.#book.isOpen(booked)) handler();
    };
    job.on('created', () => live(() => this.#progress()));
    job.on('data', (data) => live(() => this.#onData(job, booked, data)));
    job.on('status', () => live(() => this.#progress()));
    job.on('warning', (data) => live(() => this.options.log(`worker warning for job ${job.unique}: ${data.toString('utf8')}`)));
    job.on('complete', (data) => live(() => this.#finishJob(booked, this.#completedWithout(booked, data))));
    job.on('fail', () => live(() => this.#finishJob(booked, 'the job failed (WORK_FAIL): its worker failed it or died too often')));
    job.on('exception', (data) => live(() => this.#finishJob(booked, `worker exception: ${data.toString('utf8')}`)));
    job.on('lost', () =>
      live(() => {
        // Its server went away (or closed before JOB_CREATED): what the job still owes goes to another server.
        const left = this.#book.close(booked);
        this.#orphansByServer.set(job.server, (this.#orphansByServer.get(job.server) ?? 0) + left.length);
        this.#retry.push(...left);
        this.#pump();
      }),
    );
    job.on('refused', (error) =>
      live(() => {
        const left = this.#book.close(booked);
        if (error.code === 'QUEUE_ERROR') {
          this.options.log(`${job.server}: job queue full, retrying`);
          setTimeout(() => {
            this.#retry.push(...left);
            this.#pump();
          }, QUEUE_FULL_RETRY_MS);
          return;
        }
        this.#settleWithout(left, 'job_lost', `${job.server} refused the job: ${error.message}`);
        this.#pump();
      }),
    );
  }

  #onData(job: ClientJob, booked: BookedJob, data: Buffer): void {
    const { records, malformed } = decodeRecordLines(data);
    if (malformed > 0) {
      this.options.log(`job ${job.unique} on ${job.server}: ignored ${malformed} line(s) of worker output that are not records`);
    }
    this.#emit(this.#book.settle(booked, records, malformed).kept);
    this.#progress();
  }

  /** A worker that is not fanout's shows itself by lines that are not records, or a completion that is not ours. */
  #completedWithout(booked: BookedJob, completion: Buffer): string {
    const text = 'the worker completed the job without a record for this host';
    if (booked.malformed > 0) return `${text} (it sent lines that are not fanout records: is it a fanout worker?)`;
    return decodeCompletion(completion) === null ? `${text} (its WORK_COMPLETE is not a fanout worker's: is it one?)` : text;
  }

  #finishJob(booked: BookedJob, error: string): void {
    this.#progress();
    this.#settleWithout(this.#book.close(booked), 'worker_error', error);
    this.#pump();
  }

  #emit(records: HostResult[]): void {
    if (records.length > 0) this.#out.push({ type: 'records', records });
  }

  #settleWithout(targets: readonly Target[], code: ResultCode, error: string): void {
    const { method } = this.spec;
    this.#emit(
      targets.map((target) =>
        resultWithoutResponse(
          { host: target.host, url: this.#prepared.urlOrHost(target).url, method, attempts: 0, durationMs: 0 },
          code,
          error,
        ),
      ),
    );
  }

  #progress(): void {
    this.#lastProgressAt = performance.now();
  }

  #maybeEnd(): void {
    if (this.#ended || this.#pumping) return;
    if (this.#sourceDone && this.#retry.length === 0 && this.#book.outstanding === 0) {
      this.#ended = true;
      this.#stopped = true;
      clearInterval(this.#watch);
      this.#out.push({ type: 'dropped', ...this.#book.dropped });
      this.#out.end();
    }
  }

  // ---- run-level failures

  #watchTick(): void {
    if (this.#stopped) return;
    if (!this.#workerSeen) void this.#lookForWorkers();
    const state = {
      now: performance.now(),
      noServerSince: this.#noServerSince,
      lastProgressAt: this.#lastProgressAt,
      outstandingJobs: this.#book.outstanding,
      workerSeen: this.#workerSeen,
    };
    const limits = { serverTimeoutMs: this.options.serverTimeoutMs, stallMs: this.options.stallTimeoutMs, busyStallMs: this.#busyStallMs };
    const verdict = judgeRun(state, limits);
    if (verdict.kind === 'wait') return;
    const context = {
      servers: this.#servers,
      connectErrors: this.#connectErrors,
      functionName: this.options.functionName,
      outstandingJobs: state.outstandingJobs,
    };
    void this.#abandon('job_lost', verdictMessage(verdict, context), true);
  }

  /** The admin port's word on registered workers: an input to the watchdog's message, polled until a worker is seen. */
  async #lookForWorkers(): Promise<void> {
    if (this.#lookingForWorkers) return;
    this.#lookingForWorkers = true;
    try {
      let asked = 0;
      for (const address of this.options.servers) {
        if (!this.#client.upServers.includes(formatServerAddress(address))) continue;
        const status = await fetchStatus(address, { timeoutMs: ADMIN_TIMEOUT_MS });
        asked++;
        if (status.some((s) => s.function === this.options.functionName && s.workers > 0)) this.#workerSeen = true;
      }
      // Embedded workers register within milliseconds of the start: only a run without them can be told at once.
      if (asked > 0 && !this.#workerSeen && !this.#saidNoWorker && this.options.localWorkers === 0) {
        this.#saidNoWorker = true;
        this.options.log(
          noWorkerYetMessage({ servers: this.#servers, functionName: this.options.functionName }, this.options.stallTimeoutMs),
        );
      }
    } catch {
      // a server that does not answer its admin port now: asked again on the next tick
    } finally {
      this.#lookingForWorkers = false;
    }
  }

  readonly #onAbort = (): void => {
    void this.#abandon('aborted', 'interrupted after its job was submitted: a worker may have sent the request', false);
  };

  /** Ends the run now: hosts of outstanding jobs get `inFlight`, the rest not_attempted (or job_lost on failure). */
  async #abandon(inFlight: ResultCode, message: string, isFailure: boolean): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#watch);
    if (isFailure) this.#out.push({ type: 'failure', message });
    const rest: ResultCode = isFailure ? 'job_lost' : 'not_attempted';
    const restMessage = isFailure ? message : 'interrupted before this host was submitted';
    this.#settleWithout(this.#book.closeAll(), inFlight, message);
    this.#settleWithout(this.#retry.splice(0), rest, restMessage);
    await this.#pumping; // it may be reading the target stream, which is ours alone to read
    for (;;) {
      const batch = await this.#nextBatch();
      if (batch.length === 0) break;
      this.#settleWithout(batch, rest, restMessage);
    }
    this.#maybeEnd();
  }
}

/** The system's reason a connection failed (`ECONNREFUSED`), else the error's own words. */
function connectFailure(error: Error): string {
  const cause = error.cause;
  const code = typeof cause === 'object' && cause !== null && 'code' in cause ? cause.code : undefined;
  return typeof code === 'string' ? code : error.message;
}
