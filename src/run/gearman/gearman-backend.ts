// Gearman mode: batches of targets become foreground jobs on gearmand, `fanout worker` processes run
// them, and their records stream back in WORK_DATA into the same sinks as local mode.
//
// What `-c` means here: the request limit each job carries to its worker (at most the batch size). A
// worker runs several jobs at once up to its own --concurrency, so the load on the fleet is at most
// min(jobs running × c, sum of the workers' --concurrency).
//
// Failures (protocol §5): a server that dies loses its foreground jobs without a word, so their hosts
// that have no record yet are resubmitted to another healthy server; when none is healthy for
// --server-timeout, they (and every host not yet submitted) are job_lost and the run fails (exit 3).
// No progress for --stall-timeout (no worker, or workers stuck) fails the run the same way, with a
// message that says whether any worker is registered. WORK_FAIL/WORK_EXCEPTION make the job's hosts
// without records worker_error. A requeued job re-sends records: the JobBook keeps the first per host.
import { GEARMAN_DEFAULTS } from '../../defaults.js';
import { fetchStatus } from '../../gearman/admin-client.js';
import type { GearmanConnection } from '../../gearman/connection.js';
import { GearmanServerError } from '../../gearman/errors.js';
import { JobBook, type BookedJob } from './job-book.js';
import { PacketType } from '../../gearman/packet-types.js';
import type { ParsedPacket } from '../../gearman/parser.js';
import { decodeRecordLines } from '../../jobs/wire-results.js';
import { formatServerAddress, parseServerList, type ServerAddress } from '../../gearman/server-address.js';
import { ServerPool, type BackoffOptions, type PoolEvent } from '../../gearman/server-pool.js';
import type { Target } from '../../hosts/target.js';
import { encodeJobPayload } from '../../jobs/wire-payload.js';
import { prepareSpec, type PreparedSpec } from '../../jobs/prepared-spec.js';
import type { RequestSpec } from '../../jobs/request-spec.js';
import { resultWithoutResponse } from '../../jobs/to-host-result.js';
import type { HostResult, ResultCode } from '../../record/host-result.js';
import { AsyncQueue } from '../async-queue.js';
import type { Backend } from '../backend.js';
import type { GearmanRunOptions } from '../run-config.js';

/** Record chunks waiting for the consumer beyond which no new job is submitted. */
const MAX_QUEUED_CHUNKS = 64;
const WATCH_INTERVAL_MS = 100;
const QUEUE_FULL_RETRY_MS = 250;

/** Something that runs alongside the client for the length of a run (the embedded --local-workers). */
export interface Companion {
  stop(): Promise<void>;
}

export interface GearmanBackendOptions extends GearmanRunOptions {
  runId: string;
  /** Starts the embedded workers of --local-workers on these servers. */
  startLocalWorkers?: ((servers: ServerAddress[], count: number) => Promise<Companion>) | undefined;
  /** Tells a person what is going on (stderr); never data. */
  log?: ((line: string) => void) | undefined;
  backoff?: Partial<BackoffOptions> | undefined;
}

export function createGearmanBackend(options: GearmanBackendOptions): Backend {
  const servers = parseServerList(options.servers);
  let failure: string | null = null;
  const closers: Array<() => Promise<void>> = [];
  return {
    get runFailure() {
      return failure;
    },
    run(spec, plan, { concurrency, signal }) {
      const run = new GearmanRun(servers, options, spec, plan.targets(), Math.min(concurrency, options.batchSize), signal, (message) => {
        failure ??= message;
      });
      closers.push(() => run.close());
      return run.records();
    },
    async close() {
      await Promise.all(closers.splice(0).map((close) => close()));
    },
  };
}

class GearmanRun {
  readonly #out = new AsyncQueue<HostResult[]>();
  readonly #pool: ServerPool;
  readonly #book: JobBook<GearmanConnection>;
  readonly #healthy: GearmanConnection[] = [];
  readonly #retry: Target[] = [];
  readonly #source: AsyncIterator<Target>;
  readonly #prepared: PreparedSpec;
  #nextServer = 0;
  #sourceDone = false;
  /** The submit loop while it runs: one at a time, since it reads the target stream. */
  #pumping: Promise<void> | null = null;
  #pumpAgain = false;
  #ended = false;
  #stopped = false;
  #lastProgress = performance.now();
  readonly #stallMs: number;
  #noServerSince: number | null = performance.now();
  #workerSeen = false;
  #checkingWorkers = false;
  #watch: NodeJS.Timeout;
  #companion: Promise<Companion | null>;

  constructor(
    private readonly servers: ServerAddress[],
    private readonly options: GearmanBackendOptions,
    private readonly spec: RequestSpec,
    targets: AsyncIterable<Target>,
    private readonly jobConcurrency: number,
    private readonly signal: AbortSignal,
    private readonly fail: (message: string) => void,
  ) {
    this.#prepared = prepareSpec(spec);
    // A job whose hosts all take the whole --timeout (and its retries) sends nothing meanwhile: that is
    // not a stall, so the watchdog never fires sooner than that.
    this.#stallMs = Math.max(options.stallTimeoutMs, (spec.timeoutMs + 1000) * (spec.retries + 1));
    this.#source = targets[Symbol.asyncIterator]();
    this.#book = new JobBook(options.runId);
    this.#companion =
      options.localWorkers > 0 && options.startLocalWorkers
        ? options.startLocalWorkers(servers, options.localWorkers)
        : Promise.resolve(null);
    this.#pool = new ServerPool(servers, options.backoff ? { backoff: options.backoff } : {});
    this.#pool.on('status', (event) => this.#onPoolEvent(event));
    this.#pool.start();
    this.#watch = setInterval(() => this.#checkHealth(), WATCH_INTERVAL_MS);
    signal.addEventListener('abort', this.#onAbort, { once: true });
  }

  async *records(): AsyncGenerator<HostResult[]> {
    for await (const chunk of this.#out) {
      yield chunk;
      this.#pump();
    }
  }

  async close(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#watch);
    this.signal.removeEventListener('abort', this.#onAbort);
    await this.#source.return?.();
    await this.#pool.close();
    await (await this.#companion)?.stop();
  }

  // ---- connections

  #onPoolEvent(event: PoolEvent): void {
    if (event.type === 'connected') void this.#adopt(event.connection);
    else if (event.type === 'disconnected') this.#lose(event.error.server, event.error.message);
  }

  async #adopt(connection: GearmanConnection): Promise<void> {
    connection.on('packet', (packet) => this.#onPacket(connection, packet));
    try {
      await connection.optionRequest('exceptions'); // else a WORK_EXCEPTION reaches us as a bare WORK_FAIL (§5.7)
    } catch {
      return; // closed meanwhile: the pool reports it and reconnects
    }
    if (connection.isClosed) return;
    this.#healthy.push(connection);
    this.#noServerSince = null;
    this.#pump();
  }

  #lose(server: string, reason: string): void {
    const index = this.#healthy.findIndex((c) => c.server === server);
    const connection = index === -1 ? undefined : this.#healthy[index];
    if (index !== -1) this.#healthy.splice(index, 1);
    if (this.#healthy.length === 0) this.#noServerSince ??= performance.now();
    if (!connection) return;
    const orphans = this.#book.closeServer(connection);
    if (orphans.length > 0) {
      this.options.log?.(`job server ${server} went away (${reason}): resubmitting ${orphans.length} hosts elsewhere`);
      this.#retry.push(...orphans);
    }
    this.#pump();
  }

  #pickServer(): GearmanConnection | undefined {
    const live = this.#healthy.filter((c) => !c.isClosed);
    if (live.length === 0) return undefined;
    return live[this.#nextServer++ % live.length];
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
      while (!this.#stopped && this.#book.outstanding < GEARMAN_DEFAULTS.maxOutstandingJobs && this.#out.size < MAX_QUEUED_CHUNKS) {
        const connection = this.#pickServer();
        if (!connection) return;
        const batch = await this.#nextBatch();
        if (batch.length === 0) return;
        if (this.#stopped) {
          this.#settleWithout(batch, 'not_attempted', 'the run ended before this host was submitted');
          return;
        }
        this.#submit(connection, batch);
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

  #submit(connection: GearmanConnection, batch: Target[]): void {
    const job = this.#book.open(connection, batch);
    const payload = encodeJobPayload(this.spec, batch, this.jobConcurrency);
    connection
      .submit(PacketType.SUBMIT_JOB, this.options.functionName, job.unique, payload, (handle) => this.#book.created(job, handle))
      .then(
        () => this.#progress(),
        (error: unknown) => {
          const left = this.#book.close(job); // empty if the lost server already handed them back
          if (error instanceof GearmanServerError && error.code === 'QUEUE_ERROR') {
            this.options.log?.(`${connection.server}: job queue full, retrying`);
            setTimeout(() => {
              this.#retry.push(...left);
              this.#pump();
            }, QUEUE_FULL_RETRY_MS);
            return;
          }
          if (error instanceof GearmanServerError) {
            this.#settleWithout(left, 'job_lost', `${connection.server} refused the job: ${error.message}`);
          } else {
            this.#retry.push(...left);
          }
          this.#pump();
        },
      );
  }

  // ---- results

  #onPacket(connection: GearmanConnection, packet: ParsedPacket): void {
    const handle = packet.args[0]?.toString('utf8') ?? '';
    const job = this.#book.find(connection, handle);
    if (!job) return; // a job we already closed (server lost, run ended)
    switch (packet.type) {
      case PacketType.WORK_DATA: {
        const { records } = decodeRecordLines(packet.args[1] ?? '');
        this.#emit(this.#book.settle(job, records));
        this.#progress();
        return;
      }
      case PacketType.WORK_STATUS:
        this.#progress();
        return;
      case PacketType.WORK_WARNING:
        this.options.log?.(`worker warning for job ${job.unique}: ${packet.args[1]?.toString('utf8') ?? ''}`);
        return;
      case PacketType.WORK_COMPLETE:
        this.#finishJob(job, 'the worker completed the job without a record for this host');
        return;
      case PacketType.WORK_FAIL:
        this.#finishJob(job, 'the job failed (WORK_FAIL): its worker failed it or died too often');
        return;
      case PacketType.WORK_EXCEPTION:
        this.#finishJob(job, `worker exception: ${packet.args[1]?.toString('utf8') ?? ''}`);
        return;
      default:
        return;
    }
  }

  #finishJob(job: BookedJob<GearmanConnection>, error: string): void {
    this.#progress();
    this.#settleWithout(this.#book.close(job), 'worker_error', error);
    this.#pump();
  }

  #emit(records: HostResult[]): void {
    if (records.length > 0) this.#out.push(records);
  }

  #settleWithout(targets: readonly Target[], code: ResultCode, error: string): void {
    const records = targets.map((target) => {
      let url = target.host;
      try {
        url = this.#prepared.urlFor(target);
      } catch {
        // an entry the worker would have reported as invalid_target: the host stands in for the URL
      }
      return resultWithoutResponse({ host: target.host, url, method: this.spec.method, attempts: 0, durationMs: 0 }, code, error);
    });
    this.#emit(records);
  }

  #progress(): void {
    this.#lastProgress = performance.now();
  }

  #maybeEnd(): void {
    if (this.#ended || this.#pumping) return;
    if (this.#sourceDone && this.#retry.length === 0 && this.#book.outstanding === 0) {
      this.#ended = true;
      this.#stopped = true;
      clearInterval(this.#watch);
      this.#out.end();
    }
  }

  // ---- run-level failures

  #checkHealth(): void {
    if (this.#stopped) return;
    const now = performance.now();
    if (this.#noServerSince !== null && now - this.#noServerSince > this.options.serverTimeoutMs) {
      const list = this.servers.map(formatServerAddress).join(', ');
      void this.#abandon('job_lost', `no job server reachable (${list}) for ${this.options.serverTimeoutMs} ms`, true);
      return;
    }
    if (!this.#workerSeen) void this.#lookForWorkers();
    if (this.#book.outstanding > 0 && now - this.#lastProgress > this.#stallMs) {
      const seconds = (this.#stallMs / 1000).toFixed(1);
      const why = this.#workerSeen
        ? `no progress for ${seconds} s: ${this.#book.outstanding} jobs outstanding on workers that send nothing`
        : this.#noWorkerMessage();
      void this.#abandon('job_lost', why, true);
    }
  }

  #noWorkerMessage(): string {
    const list = this.servers.map(formatServerAddress).join(',');
    return (
      `no worker registered for function "${this.options.functionName}" on ${list} ` +
      `(waited ${(this.#stallMs / 1000).toFixed(1)} s); start one with: fanout worker --gearman ${list}`
    );
  }

  async #lookForWorkers(): Promise<void> {
    if (this.#checkingWorkers || this.#healthy.length === 0) return;
    this.#checkingWorkers = true;
    try {
      for (const connection of this.#healthy) {
        const status = await fetchStatus(connection.address, { timeoutMs: 1000 });
        if (status.some((s) => s.function === this.options.functionName && s.workers > 0)) this.#workerSeen = true;
      }
    } catch {
      // a server that does not answer its admin port now: asked again on the next tick
    } finally {
      this.#checkingWorkers = false;
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
    if (isFailure) this.fail(message);
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
