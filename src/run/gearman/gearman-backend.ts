// Gearman mode: batches of targets become foreground jobs on gearmand (through the Gearman client of
// src/gearman), `fanout worker` processes run them, and their records stream back in WORK_DATA into the same
// sinks as local mode. This module owns what fanout does with jobs: batching, resubmission, the one record
// per host, and when the run gives up; the client owns connections and which packet belongs to which job.
//
// What `-c` means here: a cap for the whole run. Each job carries a share of it as its request limit, and the
// shares of the jobs outstanding never sum to more than -c (job-share.ts says how -c is split); the workers'
// own --concurrency may lower it further.
//
// Stopping (docs/gearman.md §10): gearmand cannot cancel a job a worker holds. When the run stops (the abort signal:
// Ctrl-C, stdout's reader gone; or the drain signal: --max-failures), no job is submitted any more, hosts never
// submitted are not_attempted, and every worker that may hold a job of the run (those whose records came back and
// those registered with a control function on the servers) gets a high-priority stop job naming the run's jobs
// (wire-control.ts). Its worker stops starting their hosts, sends not_attempted for them, and completes the jobs.
// On drain the run then waits for every job, as the watchdog allows; on abort it waits STOP_GRACE_MS for those
// records and only then records what is still owed `aborted`.
//
// Failures (docs/gearman.md §5.9): a server that dies loses its foreground jobs without a word, so their hosts that
// have no record yet are resubmitted to another server that is up; when none is up for --server-timeout, they
// (and every host not yet submitted) are job_lost and the run fails (exit 3). No progress for the stall limit
// (no worker, or workers stuck) fails the run the same way (watchdog.ts decides). WORK_FAIL/WORK_EXCEPTION make
// the job's hosts without records worker_error. A requeued job re-sends records: the JobBook keeps the first.
import { randomBytes } from 'node:crypto';
import { fetchStatus, fetchWorkers } from '../../gearman/admin-client.js';
import { GearmanClient, type ClientJob, type ClientStatusEvent } from '../../gearman/client.js';
import { formatServerAddress } from '../../gearman/server-address.js';
import type { BackoffOptions } from '../../gearman/server-pool.js';
import { GEARMAN_DEFAULTS } from '../../defaults.js';
import type { Target } from '../../hosts/target.js';
import { prepareSpec, type PreparedSpec } from '../../jobs/prepared-spec.js';
import type { RequestSpec } from '../../jobs/request-spec.js';
import { resultWithoutResponse } from '../../jobs/to-host-result.js';
import { errorCode } from '../../http/classify-error.js';
import { sealJob } from '../../jobs/job-envelope.js';
import { controlFunctionName, encodeStopRequest, workerOfControlFunction, type StopMode } from '../../jobs/wire-control.js';
import { encodeJobPayload } from '../../jobs/wire-payload.js';
import { decodeCompletion, decodeRecordLines } from '../../jobs/wire-results.js';
import type { HostResult, ResultCode } from '../../record/host-result.js';
import { AsyncQueue } from '../async-queue.js';
import type { Backend, BackendEvent } from '../backend.js';
import type { GearmanRunOptions } from '../run-config.js';
import { startEmbeddedWorkers, type EmbeddedWorkers } from './embedded-workers.js';
import { JobBook, type BookedJob } from './job-book.js';
import { hasShareLeft, maxOutstandingJobs, nextJobConcurrency, type ShareState } from './job-share.js';
import { busyStallLimitMs, cannotConnectMessage, judgeRun, noWorkerYetMessage, verdictMessage } from './watchdog.js';

/** Events waiting for the consumer beyond which no new job is submitted. */
const MAX_QUEUED_EVENTS = 64;
const WATCH_INTERVAL_MS = 100;
const QUEUE_FULL_RETRY_MS = 250;
const ADMIN_TIMEOUT_MS = 1000;
/** After an abort, how long the workers have to send the records of the hosts they stopped before the rest is `aborted`. */
const STOP_GRACE_MS = 2000;
/** How long the admin port may take to list the workers to stop: a stop must reach them within a second. */
const STOP_ADMIN_TIMEOUT_MS = 500;
const ABORTED_IN_JOB = 'interrupted after its job was submitted: a worker may have sent the request';

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
    run(spec, plan, { concurrency, signal, drain }) {
      const run = new GearmanRun(options, spec, plan.targets(), plan.total, concurrency, signal, drain);
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
  /** Jobs submitted and not yet ended, with the client's job (its handle): what a stop request names. */
  readonly #live = new Map<BookedJob, ClientJob>();
  /** Workers whose records came back: they may hold jobs of this run. */
  readonly #workersHeard = new Set<string>();
  /** Hosts of jobs lost with their server while they may have run: if the run stops before they are resubmitted, they are aborted. */
  readonly #maybeSent = new Set<string>();
  /** Hosts of jobs refused with QUEUE_ERROR, waiting to be submitted again. */
  readonly #parked = new Set<Target[]>();
  readonly #maxJobs: number;
  /** Set once the run stops (drain or abort): no job is submitted any more. */
  #stopMode: StopMode | null = null;
  #grace: NodeJS.Timeout | undefined;
  /** Settling the hosts not in a job, once the run stops or fails (#settleRest). */
  #restSettled: Promise<void> | null = null;
  #sourceDone = false;
  /** Targets read from the stream so far. */
  #taken = 0;
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
    /** Targets the stream holds: how many jobs are still to come decides each job's share of -c. */
    private readonly total: number,
    /** -c: requests in flight at most over all the run's jobs. */
    private readonly cap: number,
    private readonly signal: AbortSignal,
    private readonly drain: AbortSignal | undefined,
  ) {
    this.#maxJobs = maxOutstandingJobs(cap, options.batchSize, GEARMAN_DEFAULTS.maxOutstandingJobs);
    this.#prepared = prepareSpec(spec);
    this.#busyStallMs = busyStallLimitMs(options.stallTimeoutMs, spec);
    this.#servers = options.servers.map(formatServerAddress);
    this.#source = targets[Symbol.asyncIterator]();
    // The run id is the user's (--run-id, reused to resume a push under the same Idempotency-Keys); gearmand would
    // coalesce a job with a job of the same unique left over from an earlier invocation, whose hosts differ.
    this.#book = new JobBook(`${options.runId}.${randomBytes(4).toString('hex')}`);
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
    drain?.addEventListener('abort', this.#onDrain, { once: true });
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
    clearTimeout(this.#grace);
    this.signal.removeEventListener('abort', this.#onAbort);
    this.drain?.removeEventListener('abort', this.#onDrain);
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
      while (!this.#submitsEnded() && this.#hasShareLeft() && this.#out.size < MAX_QUEUED_EVENTS) {
        if (this.#client.upServers.length === 0) return;
        const batch = await this.#nextBatch();
        if (batch.length === 0) return;
        if (this.#submitsEnded()) {
          this.#settleUnsubmitted(batch);
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
      else {
        this.#taken++;
        batch.push(next.value);
      }
    }
    return batch;
  }

  #submitsEnded(): boolean {
    return this.#stopped || this.#stopMode !== null;
  }

  #shareState(): ShareState {
    const unbatched = this.#retry.length + (this.#sourceDone ? 0 : Math.max(0, this.total - this.#taken));
    return {
      cap: this.cap,
      held: this.#book.concurrencyHeld,
      outstanding: this.#book.outstanding,
      maxJobs: this.#maxJobs,
      jobsLeft: 1 + Math.ceil(unbatched / this.options.batchSize),
    };
  }

  #hasShareLeft(): boolean {
    return hasShareLeft(this.#shareState());
  }

  #submit(batch: Target[]): void {
    const jobConcurrency = nextJobConcurrency(this.#shareState(), batch.length);
    const booked = this.#book.open(batch, jobConcurrency);
    const payload = sealJob(encodeJobPayload(this.spec, batch, jobConcurrency), this.options.jobSecret ?? null, Date.now());
    const job = this.#client.submit(this.options.functionName, booked.unique, payload);
    if (job === null) {
      // The last server went down while the batch was being read: it waits for the next one.
      this.#retry.push(...this.#book.close(booked));
      return;
    }
    this.#live.set(booked, job);
    void job.done.then(() => this.#live.delete(booked));
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
        if (job.handle !== null) for (const target of left) this.#maybeSent.add(target.host);
        if (this.#settledIfStopped(left)) return;
        this.#orphansByServer.set(job.server, (this.#orphansByServer.get(job.server) ?? 0) + left.length);
        this.#retry.push(...left);
        this.#pump();
      }),
    );
    job.on('refused', (error) =>
      live(() => {
        const left = this.#book.close(booked);
        if (error.code === 'QUEUE_ERROR') {
          if (this.#settledIfStopped(left)) return;
          this.options.log(`${job.server}: job queue full, retrying`);
          this.#parked.add(left);
          setTimeout(() => {
            if (!this.#parked.delete(left)) return; // the run stopped meanwhile: settled already
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

  /** Hosts a job handed back unfinished: once the run has stopped they are settled now, not resubmitted. */
  #settledIfStopped(left: readonly Target[]): boolean {
    if (!this.#submitsEnded()) return false;
    this.#settleUnsubmitted(left);
    this.#maybeEnd();
    return true;
  }

  #onData(job: ClientJob, booked: BookedJob, data: Buffer): void {
    const { records, malformed } = decodeRecordLines(data);
    for (const record of records) if (record.worker !== undefined) this.#workersHeard.add(record.worker);
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
    if (this.#sourceDone && this.#retry.length === 0 && this.#parked.size === 0 && this.#book.outstanding === 0) {
      this.#ended = true;
      this.#stopped = true;
      clearInterval(this.#watch);
      clearTimeout(this.#grace);
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

  // ---- stopping

  readonly #onAbort = (): void => this.#stop('abort');
  readonly #onDrain = (): void => this.#stop('drain');

  /** No job is submitted any more; the workers are told to stop the run's jobs; on abort the grace starts. */
  #stop(mode: StopMode): void {
    if (this.#stopped || this.#stopMode === 'abort' || this.#stopMode === mode) return;
    this.#stopMode = mode;
    void this.#sendStops(mode);
    if (mode === 'abort') {
      clearInterval(this.#watch); // an interrupted run ends within the grace, whatever the watchdog would say
      this.#grace = setTimeout(() => void this.#abandon('aborted', ABORTED_IN_JOB, false), STOP_GRACE_MS);
    }
    void this.#settleAllUnsubmitted().then(() => this.#maybeEnd());
  }

  /** Submits a high-priority stop job naming the run's open jobs to every worker that may hold one. */
  async #sendStops(mode: StopMode): Promise<void> {
    const jobs = [...this.#live].map(([booked, job]) => ({ unique: booked.unique, handle: job.handle }));
    if (jobs.length === 0) return;
    const payload = sealJob(encodeStopRequest({ run: this.options.runId, mode, jobs }), this.options.jobSecret ?? null, Date.now());
    const registered = await this.#controlFunctionsByServer(); // server → control functions listed there
    const listed = new Set([...registered.values()].flatMap((names) => [...names]));
    // A worker heard from but listed nowhere (a server's admin port did not answer) is asked on every server up.
    const unlisted = [...this.#workersHeard].map(controlFunctionName).filter((name) => !listed.has(name));
    let sent = 0;
    for (const server of this.#client.upServers) {
      for (const name of new Set([...(registered.get(server) ?? []), ...unlisted])) {
        if (this.#client.submit(name, '', payload, { server, priority: 'high' }) !== null) sent++;
      }
    }
    const what = mode === 'drain' ? 'stop starting hosts' : 'stop starting hosts and abort those in flight';
    this.options.log(`asked ${sent} worker connection(s) to ${what} of this run's ${jobs.length} job(s)`);
  }

  /** The control functions registered on each server up, by the admin port; a server that does not answer is left out. */
  async #controlFunctionsByServer(): Promise<Map<string, string[]>> {
    const found = new Map<string, string[]>();
    await Promise.all(
      this.options.servers.map(async (address) => {
        const server = formatServerAddress(address);
        if (!this.#client.upServers.includes(server)) return;
        try {
          const workers = await fetchWorkers(address, { timeoutMs: STOP_ADMIN_TIMEOUT_MS });
          const names = workers.flatMap((w) => w.functions).filter((fn) => workerOfControlFunction(fn) !== null);
          found.set(server, names);
        } catch {
          // its workers are reached through the workers heard from, on every server up
        }
      }),
    );
    return found;
  }

  /** Hosts never submitted, or handed back unfinished by a lost job: not_attempted, or aborted when a worker may have sent them. */
  #settleUnsubmitted(targets: readonly Target[]): void {
    const [maybe, never] = partition(targets, (target) => this.#maybeSent.has(target.host));
    this.#settleWithout(
      maybe,
      'aborted',
      'its job was lost with its job server before the run stopped: a worker may have sent the request',
    );
    this.#settleWithout(never, 'not_attempted', 'the run stopped before this host was submitted');
  }

  /** Every host not in a job now, as not_attempted (or aborted: #settleUnsubmitted). Once. */
  #settleAllUnsubmitted(): Promise<void> {
    return this.#settleRest((targets) => this.#settleUnsubmitted(targets));
  }

  /**
   * Hands every host not in a job now (those waiting to be resubmitted, parked after QUEUE_ERROR, and the rest of
   * the target stream) to `settle`. Once per run: whoever comes second (a failure during a stop) waits for the first,
   * since the target stream is read by one reader at a time.
   */
  #settleRest(settle: (targets: readonly Target[]) => void): Promise<void> {
    this.#restSettled ??= (async () => {
      settle(this.#retry.splice(0));
      for (const parked of this.#parked) settle(parked);
      this.#parked.clear();
      await this.#pumping; // it may be reading the target stream, which is ours alone to read
      for (let batch = await this.#nextBatch(); batch.length > 0; batch = await this.#nextBatch()) settle(batch);
    })();
    return this.#restSettled;
  }

  /** Ends the run now: hosts of outstanding jobs get `inFlight`, the rest not_attempted (or job_lost on failure). */
  async #abandon(inFlight: ResultCode, message: string, isFailure: boolean): Promise<void> {
    if (this.#stopped) return;
    this.#stopped = true;
    clearInterval(this.#watch);
    clearTimeout(this.#grace);
    if (isFailure) this.#out.push({ type: 'failure', message });
    this.#settleWithout(this.#book.closeAll(), inFlight, message);
    await (isFailure ? this.#settleRest((targets) => this.#settleWithout(targets, 'job_lost', message)) : this.#settleAllUnsubmitted());
    this.#maybeEnd();
  }
}

function partition<T>(items: readonly T[], test: (item: T) => boolean): [T[], T[]] {
  const yes: T[] = [];
  const no: T[] = [];
  for (const item of items) (test(item) ? yes : no).push(item);
  return [yes, no];
}

/** The system's reason a connection failed (`ECONNREFUSED`), else the error's own words. */
function connectFailure(error: Error): string {
  return errorCode(error.cause) ?? error.message;
}
