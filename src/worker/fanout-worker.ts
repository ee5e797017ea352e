// The Gearman worker of fanout: registers `fanout.http` on every job server (gearman-protocol.md §5.1,
// §5.9), runs each job's batch with the shared batch executor and streams the records back. It owns the
// grab/sleep cycle per connection, the room rule, the jobs in hand and the worker's undici agents; the
// pool (server-pool.ts) owns connecting and reconnecting. No CLI here: the command wraps it.
//
// Decisions:
// - Room: a connection asks for a job (GRAB_JOB_UNIQ) only while jobs held + grabs awaiting a reply
//   < maxJobs, and the shared limiter (the worker's --concurrency, across all jobs) has activeCount +
//   pendingCount < concurrency, i.e. some request slot would otherwise stay unused. The check runs in a
//   coalesced setImmediate after anything that can free room (records came back, a job ended, a NOOP, a
//   connection registered), so a job just taken has queued its first requests before room is judged
//   again. Connections are tried round-robin so one server's deep queue cannot starve another's.
//   A connection is always grabbing, sleeping (PRE_SLEEP sent), or idle without room: when room comes
//   back, every idle connection grabs again, since gearmand wakes only sleeping workers.
// - Each job runs at min(its own concurrency, the worker's) so it never queues more requests than the
//   worker could run. One WORK_DATA (NDJSON lines; cut at whole records past 4 MiB) + one WORK_STATUS
//   per chunk of records the executor yields, WORK_COMPLETE with {hosts, ok, failed} at the end, all over
//   the connection that received the job; when the socket buffer is full the next packet waits for it to
//   drain.
// - A payload that does not decode gets WORK_EXCEPTION with the reason; the worker carries on.
// - Disconnect: the jobs of that connection are aborted at once (their results can no longer be
//   delivered; gearmand re-queues them, §5.2, or the server is gone with them, §5.9) and their slots freed.
//   The pool reconnects with back-off; every new connection registers again (SET_CLIENT_ID, CAN_DO).
// - stop() (SIGTERM): no GRAB or PRE_SLEEP is sent any more; a job assigned in reply to a grab already
//   sent is still taken (it is ours by then). Resolves once every job in hand has sent its last packet,
//   the connections have flushed and closed, and the agents are closed.
// - kill(): aborts every job without a word to gearmand (closing the connection gives them back) and
//   closes everything; resolves when done. Also ends a stop() in progress.

import { EventEmitter } from 'node:events';
import os from 'node:os';
import pLimit from 'p-limit';
import { GEARMAN_DEFAULTS, WORKER_DEFAULTS } from '../defaults.js';
import type { LimitFunction } from 'p-limit';
import { DispatcherPool } from '../http/dispatcher.js';
import type { Resolver } from '../http/resolver.js';
import { executeBatch } from '../jobs/execute-batch.js';
import { decodeJobPayload } from '../jobs/wire-payload.js';
import type { GearmanConnection } from '../gearman/connection.js';
import { ConnectionErrorReason, GearmanConnectionError, GearmanServerError } from '../gearman/errors.js';
import type { PacketArg } from '../gearman/encode.js';
import { PacketType, packetTypeName } from '../gearman/packet-types.js';
import { encodeRecordLines } from '../jobs/wire-results.js';
import type { ParsedPacket } from '../gearman/parser.js';
import { ServerPool } from '../gearman/server-pool.js';
import type { BackoffOptions, PoolEvent } from '../gearman/server-pool.js';
import type { ServerAddress } from '../gearman/server-address.js';


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
  /** One line per notable event, for people. */
  log?: (line: string, level: LogLevel) => void;
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
}

export interface WorkerStats {
  /** Jobs taken with a valid payload. */
  started: number;
  /** Jobs ended with WORK_COMPLETE. */
  completed: number;
  /** Jobs refused with WORK_EXCEPTION because their payload was invalid. */
  rejected: number;
  /** Jobs ended with WORK_EXCEPTION after an unexpected error. */
  failed: number;
  /** Jobs abandoned because their connection closed (or kill()). */
  lost: number;
  /** Jobs in hand now. */
  held: number;
}

export interface WorkerEvents {
  /** CAN_DO was sent on a new connection to this server. */
  registered: [server: string];
  'job-start': [job: JobInfo];
  'job-end': [job: JobEnd];
}

/** Packet types sent without a tracked reply. */
type SendType = Parameters<GearmanConnection['send']>[0];

type LinkState = 'idle' | 'grabbing' | 'sleeping';

/** One registered connection and the jobs it gave us. */
interface Link {
  connection: GearmanConnection;
  server: string;
  state: LinkState;
  jobs: Set<HeldJob>;
}

interface HeldJob {
  link: Link;
  info: JobInfo;
  abort: AbortController;
}

type Phase = 'new' | 'running' | 'stopping' | 'closed';

export class FanoutWorker extends EventEmitter<WorkerEvents> {
  readonly id: string;
  readonly functionName: string;
  readonly concurrency: number;
  readonly maxJobs: number;

  #phase: Phase = 'new';
  #pool: ServerPool;
  #dispatchers: DispatcherPool;
  #limit: LimitFunction;
  #links = new Map<GearmanConnection, Link>();
  #jobs = new Map<HeldJob, Promise<void>>();
  #turn = 0;
  #pump: NodeJS.Immediate | undefined;
  #log: (line: string, level: LogLevel) => void;
  #stats = { started: 0, completed: 0, rejected: 0, failed: 0, lost: 0 };
  #closing: Promise<void> | undefined;
  #stopRequested: (() => void) | undefined;
  #stopped = new Promise<void>((resolve) => (this.#stopRequested = resolve));

  constructor(options: FanoutWorkerOptions) {
    super();
    const checked = checkWorkerOptions(options);
    this.functionName = checked.functionName;
    this.id = checked.id;
    this.concurrency = checked.concurrency;
    this.maxJobs = checked.maxJobs;
    this.#pool = new ServerPool(options.servers, options.backoff ? { backoff: options.backoff } : {});
    this.#dispatchers = new DispatcherPool(options.resolver);
    this.#limit = pLimit(this.concurrency);
    this.#log = options.log ?? (() => undefined);
  }

  /** Connects to every server and starts taking jobs. Call once, after attaching listeners. */
  start(): void {
    if (this.#phase !== 'new') return;
    this.#phase = 'running';
    this.#pool.on('status', (event) => this.#onPoolEvent(event));
    this.#pool.start();
  }

  get stats(): WorkerStats {
    return { ...this.#stats, held: this.#jobs.size };
  }

  /** Graceful: takes no new job, finishes and delivers the jobs in hand, then closes. */
  async stop(): Promise<void> {
    if (this.#phase === 'new' || this.#phase === 'running') {
      this.#phase = 'stopping';
      this.#maybeStopped();
    }
    await this.#stopped;
  }

  /** Immediate: abandons the jobs in hand (gearmand gives them to another worker) and closes. */
  async kill(): Promise<void> {
    await this.#shutdown(true);
  }

  #onPoolEvent(event: PoolEvent): void {
    switch (event.type) {
      case 'connected':
        if (this.#phase === 'running') this.#register(event.connection, event.server);
        return;
      case 'connect-failed':
        // Once per outage: the pool keeps retrying with back-off.
        if (event.attempt === 1) this.#log(`cannot connect to ${event.error.message}; retrying`, 'warn');
        return;
      default:
        return;
    }
  }

  #register(connection: GearmanConnection, server: string): void {
    const link: Link = { connection, server, state: 'idle', jobs: new Set() };
    this.#links.set(connection, link);
    connection.on('packet', (packet) => this.#onPacket(link, packet));
    connection.on('protocol-error', (error) => this.#log(`${server}: ${error.message}`, 'warn'));
    connection.once('close', (error) => this.#onClose(link, error));
    connection.send(PacketType.SET_CLIENT_ID, [this.id]);
    connection.send(PacketType.CAN_DO, [this.functionName]);
    this.#log(`connected to ${server}, registered ${this.functionName} as ${this.id}`, 'info');
    this.emit('registered', server);
    this.#schedulePump();
  }

  #onClose(link: Link, error: GearmanConnectionError): void {
    this.#links.delete(link.connection);
    if (error.reason !== ConnectionErrorReason.CLOSED_LOCALLY) {
      const lost = link.jobs.size > 0 ? `; ${link.jobs.size} job(s) in hand abandoned (gearmand re-queues them)` : '';
      this.#log(`lost ${error.message}${lost}`, 'warn');
    }
    for (const job of link.jobs) job.abort.abort();
    this.#maybeStopped();
  }

  #onPacket(link: Link, packet: ParsedPacket): void {
    switch (packet.type) {
      case PacketType.NO_JOB:
        if (link.state !== 'grabbing') return;
        link.state = 'idle';
        if (this.#phase === 'running') {
          this.#send(link, PacketType.PRE_SLEEP, []);
          link.state = 'sleeping';
        }
        this.#maybeStopped();
        return;
      case PacketType.NOOP:
        // A NOOP can be stale (§5.1): only a sleeping connection goes back to asking.
        if (link.state !== 'sleeping') return;
        link.state = 'idle';
        this.#schedulePump();
        return;
      case PacketType.JOB_ASSIGN_UNIQ:
        link.state = 'idle';
        this.#take(link, packet.args);
        this.#schedulePump();
        return;
      case PacketType.ERROR: {
        const error = GearmanServerError.fromErrorArgs(packet.args);
        this.#log(`${link.server}: ${error.message}`, 'warn');
        return;
      }
      default:
        this.#log(`${link.server}: unexpected ${packetTypeName(packet.type)} ignored`, 'warn');
    }
  }

  #take(link: Link, args: readonly Buffer[]): void {
    const [handleBytes, , uniqueBytes, payload] = args;
    const handle = handleBytes?.toString('utf8') ?? '';
    let batch: ReturnType<typeof decodeJobPayload>;
    try {
      batch = decodeJobPayload(payload ?? Buffer.alloc(0));
    } catch (error) {
      const reason = `invalid job payload: ${error instanceof Error ? error.message : String(error)}`;
      this.#stats.rejected++;
      this.#send(link, PacketType.WORK_EXCEPTION, [handle, reason]);
      this.#log(`job ${handle} from ${link.server} refused: ${reason}`, 'warn');
      return;
    }
    const info: JobInfo = { server: link.server, handle, unique: uniqueBytes?.toString('utf8') ?? '', hosts: batch.targets.length };
    const job: HeldJob = { link, info, abort: new AbortController() };
    link.jobs.add(job);
    this.#stats.started++;
    this.emit('job-start', info);
    // #run settles only after an await, so this entry exists by the time its finally removes it.
    this.#jobs.set(job, this.#run(job, batch));
  }

  /** Runs one job to its end; never rejects. */
  async #run(job: HeldJob, { spec, targets, concurrency }: ReturnType<typeof decodeJobPayload>): Promise<void> {
    const { connection } = job.link;
    const { handle } = job.info;
    const signal = job.abort.signal;
    let records = 0;
    let ok = 0;
    let outcome: JobOutcome = 'lost';
    try {
      const chunks = executeBatch(spec, targets, {
        concurrency: Math.min(concurrency, this.concurrency),
        dispatcher: this.#dispatchers.get(spec.connectTimeoutMs, spec.insecure),
        signal,
        limit: this.#limit,
        worker: this.id,
      });
      for await (const chunk of chunks) {
        if (signal.aborted) break;
        for (const body of encodeRecordLines(chunk)) {
          if (!connection.send(PacketType.WORK_DATA, [handle, body])) await connection.drained();
        }
        records += chunk.length;
        ok += chunk.reduce((n, record) => (record.ok ? n + 1 : n), 0);
        const fits = connection.send(PacketType.WORK_STATUS, [handle, String(records), String(targets.length)]);
        this.#schedulePump();
        if (!fits) await connection.drained();
      }
      if (!signal.aborted) {
        connection.send(PacketType.WORK_COMPLETE, [handle, `${JSON.stringify({ hosts: records, ok, failed: records - ok })}\n`]);
        outcome = 'complete';
      }
    } catch (error) {
      if (!(error instanceof GearmanConnectionError) && !connection.isClosed) {
        const reason = `worker error: ${error instanceof Error ? error.message : String(error)}`;
        this.#log(`job ${handle} from ${job.link.server} failed: ${reason}`, 'warn');
        connection.send(PacketType.WORK_EXCEPTION, [handle, reason]);
        outcome = 'failed';
      }
    } finally {
      job.link.jobs.delete(job);
      this.#jobs.delete(job);
      this.#stats[outcome === 'complete' ? 'completed' : outcome]++;
      this.emit('job-end', { ...job.info, outcome, records });
      this.#schedulePump();
      this.#maybeStopped();
    }
  }

  #send(link: Link, type: SendType, args: readonly PacketArg[]): void {
    if (!link.connection.isClosed) link.connection.send(type, args);
  }

  #schedulePump(): void {
    if (this.#pump !== undefined || this.#phase !== 'running') return;
    this.#pump = setImmediate(() => {
      this.#pump = undefined;
      this.#grab();
    });
  }

  /** Sends GRAB_JOB_UNIQ on idle connections, round-robin, while there is room. */
  #grab(): void {
    if (this.#phase !== 'running') return;
    const links = [...this.#links.values()];
    const start = this.#turn; // fixed for the pass: moving it inside the loop would skip connections
    for (let i = 0; i < links.length && this.#hasRoom(links); i++) {
      const index = (start + i) % links.length;
      const link = links[index] as Link;
      if (link.state !== 'idle') continue;
      link.state = 'grabbing';
      link.connection.send(PacketType.GRAB_JOB_UNIQ, []);
      this.#turn = index + 1;
    }
  }

  #hasRoom(links: readonly Link[]): boolean {
    const grabbing = links.reduce((n, link) => (link.state === 'grabbing' ? n + 1 : n), 0);
    const load = this.#limit.activeCount + this.#limit.pendingCount;
    return this.#jobs.size + grabbing < this.maxJobs && load < this.concurrency;
  }

  /** While stopping: shuts down once no job is held and no grab awaits its reply. */
  #maybeStopped(): void {
    if (this.#phase !== 'stopping' || this.#jobs.size > 0) return;
    if ([...this.#links.values()].some((link) => link.state === 'grabbing')) return;
    void this.#shutdown(false);
  }

  #shutdown(abortJobs: boolean): Promise<void> {
    this.#closing ??= (async () => {
      this.#phase = 'closed';
      clearImmediate(this.#pump);
      this.#pump = undefined;
      const jobs = [...this.#jobs];
      if (abortJobs) for (const [job] of jobs) job.abort.abort();
      await this.#pool.close();
      await Promise.all(jobs.map(([, done]) => done));
      await this.#dispatchers.close();
      const { completed, rejected, failed, lost } = this.#stats;
      this.#log(`stopped: ${completed} job(s) completed, ${rejected} refused, ${failed} failed, ${lost} abandoned`, 'info');
      this.#stopRequested?.();
    })();
    return this.#closing;
  }
}

/** The options with their defaults; throws WorkerOptionError for one the worker cannot run with. */
export function checkWorkerOptions(options: FanoutWorkerOptions): Required<Pick<FanoutWorkerOptions, 'functionName' | 'id' | 'concurrency' | 'maxJobs'>> {
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
  if (value === '' || /[\s\0]/.test(value)) throw new WorkerOptionError(`${what} must be non-empty without spaces, got ${JSON.stringify(value)}`);
  return value;
}

function checkPositive(what: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new WorkerOptionError(`${what} must be a positive integer, got ${value}`);
  return value;
}
