// The fanout worker: the generic Gearman worker (src/gearman/worker.ts) serving `fanout.http` with fanout's job
// handler (job-handler.ts), plus what all jobs of one worker share: the request limiter (--concurrency across
// jobs) and the undici agents. It owns the worker's options and their defaults, fanout's half of the room rule,
// its stats and events, and the lines an operator reads. The protocol (grab/sleep, packets, disconnects, stop
// and kill) is the generic worker's and what a job means is the handler's: neither is repeated here. No CLI
// here: the command wraps it.
//
// Decisions:
// - Room: besides maxJobs (the generic worker's rule), a job is asked for only while the shared limiter has
//   activeCount + pendingCount < concurrency, i.e. some request slot would otherwise stay unused. Records coming
//   back free slots, so the handler's onRecords wakes the worker to judge room again.
// - A job "starts" (stats.started, job-start) once its payload decoded: a job refused before its batch began
//   counts as `rejected` and has neither job-start nor job-end.
// - stop() and kill() are the generic worker's; the agents are closed after it has closed, when no job can
//   use them any more.
// - Control (docs/gearman.md §10): a second generic worker, on its own connections, serves this worker's own
//   function `fanout.control.<id>`, through which a client stops the jobs of its run. Its own connections, so
//   a stop is taken at once even while every request slot and job slot of `fanout.http` is busy (a GRAB there
//   could be answered with another fanout.http job, and none is sent without room).

import { EventEmitter } from 'node:events';
import os from 'node:os';
import pLimit from 'p-limit';
import type { LimitFunction } from 'p-limit';
import { GEARMAN_DEFAULTS, WORKER_DEFAULTS } from '../defaults.js';
import { ConnectionErrorReason } from '../gearman/errors.js';
import type { BackoffOptions } from '../gearman/server-pool.js';
import type { ServerAddress } from '../gearman/server-address.js';
import { GearmanWorker } from '../gearman/worker.js';
import type { JobResult, WorkerJob } from '../gearman/worker.js';
import { DispatcherPool } from '../http/dispatcher.js';
import { createHostGuard } from '../http/allow-guard.js';
import type { AllowRules } from '../http/allow-rules.js';
import { systemResolver, type Resolver } from '../http/resolver.js';
import type { TlsMaterial } from '../http/tls-material.js';
import { openJob, openOptions } from '../jobs/job-envelope.js';
import { controlFunctionName, decodeStopRequest, encodeStopReply } from '../jobs/wire-control.js';
import { createJobHandler } from './job-handler.js';
import { StoppedJobs } from './stopped-jobs.js';

/** `info`: routine (connected, stopped); `warn`: something an operator may need to act on. */
export type LogLevel = 'info' | 'warn';

export interface FanoutWorkerOptions {
  servers: readonly ServerAddress[];
  /** Gearman function to register (default fanout.http). */
  functionName?: string;
  /** Requests in flight across all jobs at most (default 100). */
  concurrency?: number;
  /** SET_CLIENT_ID, shown by `gearadmin --workers` and put in each record's `worker` (default host/pid). */
  id?: string;
  /** Jobs held at once at most (default 16). */
  maxJobs?: number;
  backoff?: Partial<BackoffOptions>;
  resolver?: Resolver;
  /** The worker's own --ca and --cert/--key (checked by checkTlsMaterial), for every job: jobs never carry TLS material. */
  tls?: TlsMaterial;
  /** One line per notable event, for people. */
  log?: (line: string, level: LogLevel) => void;
  // ---- lockdown (docs/gearman.md §9)
  /** --allow: only hosts these rules allow are fetched (the others are `denied`); absent: any host. */
  allow?: AllowRules | undefined;
  /** --secret: only jobs signed or encrypted with it run; absent: any job (a signed one unchecked). */
  secret?: string | undefined;
  /** --max-job-age: a signed job older than this is refused (default 5 min). */
  maxJobAgeMs?: number | undefined;
}

/** An option the worker cannot run with; the CLI reports it as a usage error. */
export class WorkerOptionError extends Error {
  override readonly name = 'WorkerOptionError';
}

export interface JobInfo {
  server: string;
  handle: string;
  unique: string;
  hosts: number;
}

/** `complete`: WORK_COMPLETE sent; `failed`: WORK_EXCEPTION sent after an unexpected error; `lost`: the
 * connection closed or the worker was killed before the end (gearmand gives the job to another worker). */
export type JobOutcome = 'complete' | 'failed' | 'lost';

export interface JobEnd extends JobInfo {
  outcome: JobOutcome;
  /** Records sent in WORK_DATA. */
  records: number;
  /** Of those, the ok ones. */
  ok: number;
  /** From the start of the batch to the job's end. */
  durationMs: number;
}

export interface WorkerStats {
  /** Jobs taken with a valid payload. */
  started: number;
  /** Jobs ended with WORK_COMPLETE. */
  completed: number;
  /** Jobs refused with WORK_EXCEPTION before their batch began: an invalid payload, or an envelope refused (--secret). */
  rejected: number;
  /** Jobs ended with WORK_EXCEPTION after an unexpected error. */
  failed: number;
  /** Jobs abandoned because their connection closed (or kill()). */
  lost: number;
  /** Jobs in hand now whose batch started. */
  held: number;
}

export interface WorkerEvents {
  /** CAN_DO was sent on a new connection to this server. */
  registered: [server: string];
  'job-start': [job: JobInfo];
  'job-end': [job: JobEnd];
}

/** A job whose batch started, with what its job-end reports. */
interface StartedJob {
  info: JobInfo;
  records: number;
  ok: number;
  startedAt: number;
}

export class FanoutWorker extends EventEmitter<WorkerEvents> {
  readonly id: string;
  readonly functionName: string;
  readonly concurrency: number;
  readonly maxJobs: number;

  #worker: GearmanWorker;
  #control: GearmanWorker;
  #stops = new StoppedJobs();
  #dispatchers: DispatcherPool;
  #limit: LimitFunction;
  #jobs = new Map<WorkerJob, StartedJob>();
  #log: (line: string, level: LogLevel) => void;
  #stats = { started: 0, completed: 0, rejected: 0, failed: 0, lost: 0 };
  #closing: Promise<void> | undefined;
  readonly #secret: string | undefined;
  readonly #maxJobAgeMs: number | undefined;

  constructor(options: FanoutWorkerOptions) {
    super();
    const checked = checkWorkerOptions(options);
    this.functionName = checked.functionName;
    this.id = checked.id;
    this.concurrency = checked.concurrency;
    this.maxJobs = checked.maxJobs;
    const guard = options.allow === undefined ? undefined : createHostGuard(options.allow, options.resolver ?? systemResolver);
    this.#dispatchers = new DispatcherPool(guard?.resolver ?? options.resolver, options.tls, guard?.refuseConnection);
    this.#limit = pLimit(this.concurrency);
    this.#log = options.log ?? (() => undefined);
    this.#secret = options.secret;
    this.#maxJobAgeMs = options.maxJobAgeMs;
    let saidUnverified = false;
    const handler = createJobHandler({
      workerId: this.id,
      concurrency: this.concurrency,
      limit: this.#limit,
      dispatcher: (connectTimeoutMs, insecure) => this.#dispatchers.get(connectTimeoutMs, insecure),
      onStart: (job, hosts) => this.#onStart(job, hosts),
      onRecords: (job, records, ok) => this.#onRecords(job, records, ok),
      guard,
      secret: options.secret,
      maxJobAgeMs: options.maxJobAgeMs,
      onUnverified: (job) => {
        if (saidUnverified) return;
        saidUnverified = true;
        this.#log(
          `job ${job.handle} from ${job.server} is signed, but this worker has no --secret to check it: running it (and others like it) unchecked`,
          'warn',
        );
      },
      stops: this.#stops,
    });
    this.#worker = new GearmanWorker({
      servers: options.servers,
      functions: { [this.functionName]: handler },
      id: this.id,
      maxJobs: this.maxJobs,
      hasRoom: () => this.#limit.activeCount + this.#limit.pendingCount < this.concurrency,
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
    this.#listen(this.#worker);
    this.#control = new GearmanWorker({
      servers: options.servers,
      functions: { [controlFunctionName(this.id)]: (job) => Promise.resolve(this.#onControl(job)) },
      id: this.id,
      maxJobs: CONTROL_JOBS,
      ...(options.backoff ? { backoff: options.backoff } : {}),
    });
  }

  /** Connects to every server and starts taking jobs. Call once, after attaching listeners. */
  start(): void {
    this.#control.start();
    this.#worker.start();
  }

  get stats(): WorkerStats {
    return { ...this.#stats, held: this.#jobs.size };
  }

  /** Graceful: takes no new job, finishes and delivers the jobs in hand, then closes. */
  stop(): Promise<void> {
    return this.#closeAfter(this.#worker.stop().then(() => this.#control.stop()));
  }

  /** Immediate: abandons the jobs in hand (gearmand gives them to another worker) and closes. */
  kill(): Promise<void> {
    return this.#closeAfter(Promise.all([this.#worker.kill(), this.#control.kill()]).then(() => undefined));
  }

  /** Once the generic worker has closed (by stop() or kill(), whichever ends it), closes the agents and says so, once. */
  #closeAfter(workerClosed: Promise<void>): Promise<void> {
    this.#closing ??= workerClosed.then(async () => {
      await this.#dispatchers.close();
      const { completed, rejected, failed, lost } = this.#stats;
      this.#log(`stopped: ${completed} job(s) completed, ${rejected} refused, ${failed} failed, ${lost} abandoned`, 'info');
    });
    return this.#closing;
  }

  #listen(worker: GearmanWorker): void {
    worker.on('registered', (server) => {
      this.#log(`connected to ${server}, registered ${this.functionName} as ${this.id}`, 'info');
      this.emit('registered', server);
    });
    worker.on('connect-failed', (_server, attempt, error) => {
      // Once per outage: the pool keeps retrying with back-off.
      if (attempt === 1) this.#log(`cannot connect to ${error.message}; retrying`, 'warn');
    });
    worker.on('disconnected', (_server, error, abandoned) => {
      if (error.reason === ConnectionErrorReason.CLOSED_LOCALLY) return;
      const lost = abandoned > 0 ? `; ${abandoned} job(s) in hand abandoned (gearmand re-queues them)` : '';
      this.#log(`lost ${error.message}${lost}`, 'warn');
    });
    worker.on('protocol-error', (server, error) => this.#log(`${server}: ${error.message}`, 'warn'));
    worker.on('server-error', (server, error) => this.#log(`${server}: ${error.message}`, 'warn'));
    worker.on('job-end', (job, result) => this.#onEnd(job, result));
  }

  /** A stop request: the jobs in hand it names stop starting hosts, the others taken later start none. */
  #onControl(job: WorkerJob): string {
    let request;
    try {
      // Signed like its jobs: with --secret, no one else can stop this worker's runs.
      request = decodeStopRequest(openJob(job.payload, openOptions(this.#secret, this.#maxJobAgeMs, Date.now())).payload);
    } catch (error) {
      this.#log(`stop request from ${job.server} refused: ${(error as Error).message}`, 'warn');
      throw new Error(`invalid stop request: ${(error as Error).message}`, { cause: error });
    }
    const reached = this.#stops.stop(request);
    const what = request.mode === 'drain' ? 'stop starting hosts' : 'stop starting hosts and abort those in flight';
    this.#log(`run ${request.run} stopped by its client: ${reached} job(s) in hand ${what}`, 'info');
    return encodeStopReply(reached);
  }

  #onStart(job: WorkerJob, hosts: number): void {
    const info: JobInfo = { server: job.server, handle: job.handle, unique: job.unique, hosts };
    this.#jobs.set(job, { info, records: 0, ok: 0, startedAt: performance.now() });
    this.#stats.started++;
    this.emit('job-start', info);
  }

  #onRecords(job: WorkerJob, records: number, ok: number): void {
    const started = this.#jobs.get(job);
    if (started !== undefined) {
      started.records = records;
      started.ok = ok;
    }
    this.#worker.wake();
  }

  #onEnd(job: WorkerJob, result: JobResult): void {
    const started = this.#jobs.get(job);
    if (started === undefined) {
      // Refused before its batch began: the handler's text says why (an invalid payload, a bad signature).
      if (result.outcome === 'exception') {
        this.#stats.rejected++;
        this.#log(`job ${job.handle} from ${job.server} refused: ${result.text}`, 'warn');
      }
      return;
    }
    this.#jobs.delete(job);
    if (result.outcome === 'exception') this.#log(`job ${job.handle} from ${job.server} failed: ${result.text}`, 'warn');
    const outcome: JobOutcome = result.outcome === 'exception' ? 'failed' : result.outcome;
    this.#stats[outcome === 'complete' ? 'completed' : outcome]++;
    const { records, ok, startedAt } = started;
    this.emit('job-end', { ...started.info, outcome, records, ok, durationMs: performance.now() - startedAt });
  }
}

/** Stop requests held at once at most: each is answered at once. */
const CONTROL_JOBS = 4;

/** The options with their defaults; throws WorkerOptionError for one the worker cannot run with. */
export function checkWorkerOptions(
  options: FanoutWorkerOptions,
): Required<Pick<FanoutWorkerOptions, 'functionName' | 'id' | 'concurrency' | 'maxJobs'>> {
  if (options.servers.length === 0) throw new WorkerOptionError('expected at least one job server');
  return {
    functionName: checkName('function name', options.functionName ?? GEARMAN_DEFAULTS.functionName),
    id: checkName('worker id', options.id ?? `${os.hostname()}/${process.pid}`),
    concurrency: checkPositive('concurrency', options.concurrency ?? WORKER_DEFAULTS.concurrency),
    maxJobs: checkPositive('max jobs', options.maxJobs ?? WORKER_DEFAULTS.maxJobs),
  };
}

function checkName(what: string, value: string): string {
  // gearmand's admin replies (`workers`, `status`) separate fields with whitespace.
  if (value === '' || /[\s\0]/.test(value))
    throw new WorkerOptionError(`${what} must be non-empty without spaces, got ${JSON.stringify(value)}`);
  return value;
}

function checkPositive(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new WorkerOptionError(`${what} must be a positive integer, got ${value}`);
  return value;
}
