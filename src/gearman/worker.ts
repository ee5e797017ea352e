// A generic Gearman worker: registers one or more functions on every job server of a list and runs the jobs
// they assign, several at once, each with the handler of its function. It owns the grab/sleep cycle per
// connection, the room rule, the jobs in hand and every packet a job sends (WORK_DATA, WORK_STATUS,
// WORK_WARNING, then WORK_COMPLETE or WORK_EXCEPTION); the pool (server-pool.ts) owns connecting and
// reconnecting. What a job means is the handler's: payloads and results are bytes here. It imports nothing
// outside src/gearman, and logs nothing: owners log from its events. The protocol it follows: docs/gearman.md.
//
// Decisions:
// - Room: a connection asks for a job (GRAB_JOB_UNIQ) only while jobs held + grabs awaiting a reply < maxJobs
//   and the owner's hasRoom() agrees (e.g. a shared resource of the jobs has capacity left). The check runs in
//   a coalesced setImmediate after anything that can free room (a job ended, a NOOP, a connection registered,
//   the owner's wake()), so a job just taken has started its work before room is judged again. Connections
//   are tried round-robin so one server's deep queue cannot starve another's.
//   A connection is always grabbing, sleeping (PRE_SLEEP sent), or idle without room: when room comes back,
//   every idle connection grabs again, since gearmand wakes (NOOP) only sleeping workers. A NOOP can be stale
//   (sent before our last grab was answered), so it wakes only a connection that is sleeping.
// - A job's packets go over the connection that assigned it; a JobIo call resolves once the socket can take
//   more (backpressure), and rejects once the job is aborted, so nothing is sent for a job no longer ours.
// - Disconnect: the jobs of that connection are aborted at once (their results can no longer be delivered;
//   gearmand re-queues them, or the server is gone with them) and their room freed. Every new connection of
//   the pool registers again (SET_CLIENT_ID, CAN_DO per function).
// - stop(): no GRAB or PRE_SLEEP is sent any more; a job assigned in reply to a grab already sent is still
//   taken (it is ours by then). Resolves once every job in hand has sent its last packet and the connections
//   have flushed and closed.
// - kill(): aborts every job without a word to gearmand (closing the connection gives them back) and closes
//   everything; resolves when done. Also ends a stop() in progress.

import { EventEmitter } from 'node:events';
import type { GearmanConnection } from './connection.js';
import type { PacketArg } from './encode.js';
import { ConnectionErrorReason, GearmanConnectionError, GearmanProtocolError, GearmanServerError, ProtocolErrorCode } from './errors.js';
import { PacketType, packetTypeName } from './packet-types.js';
import type { ParsedPacket } from './parser.js';
import { ServerPool } from './server-pool.js';
import type { BackoffOptions, PoolEvent } from './server-pool.js';
import type { ServerAddress } from './server-address.js';

/** One job as assigned (JOB_ASSIGN_UNIQ). The same object is passed to the handler and to the job events. */
export interface WorkerJob {
  /** The job server that assigned it, `host:port`. */
  server: string;
  handle: string;
  /** The client's unique id of the job (empty when it gave none). */
  unique: string;
  functionName: string;
  payload: Buffer;
}

/**
 * What a handler may send while its job runs. Each call resolves once the socket can take more (wait for it
 * before sending much more) and rejects, sending nothing, once the job is aborted.
 */
export interface JobIo {
  /** WORK_DATA: a piece of the result, forwarded to the client as it comes. */
  data(body: PacketArg): Promise<void>;
  /** WORK_STATUS: progress, numerator of denominator. */
  status(numerator: number, denominator: number): Promise<void>;
  /** WORK_WARNING: a message for the client that does not end the job. */
  warning(body: PacketArg): Promise<void>;
}

/**
 * Runs one job. Resolving sends WORK_COMPLETE with the returned body (empty for none); rejecting sends
 * WORK_EXCEPTION with the error's message. Once `signal` is aborted (the job's connection closed, or kill())
 * nothing more is sent, whatever the handler does: it should stop its work and settle soon.
 */
export type JobHandler = (job: WorkerJob, io: JobIo, signal: AbortSignal) => Promise<string | Buffer | void>;

/** How a job ended. `lost`: aborted before its end (gearmand gives it to another worker). */
export type JobResult =
  | { outcome: 'complete' }
  /** `text`: the WORK_EXCEPTION body sent, the message of `error`. */
  | { outcome: 'exception'; error: unknown; text: string }
  | { outcome: 'lost' };

export interface GearmanWorkerOptions {
  servers: readonly ServerAddress[];
  /** Function name → handler; each is registered (CAN_DO) on every connection. */
  functions: Readonly<Record<string, JobHandler>> | ReadonlyMap<string, JobHandler>;
  /** Sent as SET_CLIENT_ID on every connection (shown by `gearadmin --workers`); none when absent. */
  id?: string;
  /** Jobs held at once at most, across all servers (default 1). */
  maxJobs?: number;
  /** Asked before every grab, besides maxJobs; call wake() when it may have turned true again. */
  hasRoom?: () => boolean;
  backoff?: Partial<BackoffOptions>;
}

export interface GearmanWorkerStats {
  /** Jobs assigned to this worker. */
  taken: number;
  /** Jobs ended with WORK_COMPLETE. */
  completed: number;
  /** Jobs ended with WORK_EXCEPTION. */
  exceptions: number;
  /** Jobs abandoned because their connection closed (or kill()). */
  lost: number;
  /** Jobs in hand now. */
  held: number;
}

export interface GearmanWorkerEvents {
  /** SET_CLIENT_ID and CAN_DO were sent on a new connection to this server. */
  registered: [server: string];
  /** A connect attempt failed; `attempt` counts from 1 since the last connection, the pool retries with back-off. */
  'connect-failed': [server: string, attempt: number, error: GearmanConnectionError];
  /** A registered connection closed (reason CLOSED_LOCALLY when we closed it); `abandoned` jobs were aborted. */
  disconnected: [server: string, error: GearmanConnectionError, abandoned: number];
  'job-start': [job: WorkerJob];
  'job-end': [job: WorkerJob, result: JobResult];
  /** Bytes or a packet that make no sense here; they were ignored. */
  'protocol-error': [server: string, error: GearmanProtocolError];
  /** An ERROR packet from the server; the connection stays usable. */
  'server-error': [server: string, error: GearmanServerError];
}

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
  job: WorkerJob;
  abort: AbortController;
}

type JobPacketType = typeof PacketType.WORK_DATA | typeof PacketType.WORK_STATUS | typeof PacketType.WORK_WARNING;

type Phase = 'new' | 'running' | 'stopping' | 'closed';

const COUNTER_OF = { complete: 'completed', exception: 'exceptions', lost: 'lost' } as const satisfies Record<
  JobResult['outcome'],
  keyof GearmanWorkerStats
>;

export class GearmanWorker extends EventEmitter<GearmanWorkerEvents> {
  readonly id: string | undefined;
  readonly functionNames: readonly string[];
  readonly maxJobs: number;

  #handlers: ReadonlyMap<string, JobHandler>;
  #hasRoom: () => boolean;
  #phase: Phase = 'new';
  #pool: ServerPool;
  #links = new Map<GearmanConnection, Link>();
  /** Each job in hand with the promise of its end (it never rejects). */
  #jobs = new Map<HeldJob, Promise<void>>();
  #turn = 0;
  #pump: NodeJS.Immediate | undefined;
  #stats = { taken: 0, completed: 0, exceptions: 0, lost: 0 };
  #closing: Promise<void> | undefined;
  #stopRequested: (() => void) | undefined;
  #stopped = new Promise<void>((resolve) => (this.#stopRequested = resolve));

  constructor(options: GearmanWorkerOptions) {
    super();
    const handlers = options.functions instanceof Map ? options.functions : new Map(Object.entries(options.functions));
    if (handlers.size === 0) throw new TypeError('a worker needs at least one function');
    if ([...handlers.keys()].some((name) => name === '')) throw new TypeError('a function name must not be empty');
    const maxJobs = options.maxJobs ?? 1;
    if (!Number.isSafeInteger(maxJobs) || maxJobs < 1) throw new RangeError(`maxJobs must be a positive integer, got ${maxJobs}`);
    this.#handlers = handlers;
    this.functionNames = [...handlers.keys()];
    this.id = options.id;
    this.maxJobs = maxJobs;
    this.#hasRoom = options.hasRoom ?? (() => true);
    this.#pool = new ServerPool(options.servers, options.backoff ? { backoff: options.backoff } : {});
  }

  /** Connects to every server and starts taking jobs. Call once, after attaching listeners. */
  start(): void {
    if (this.#phase !== 'new') return;
    this.#phase = 'running';
    this.#pool.on('status', (event) => this.#onPoolEvent(event));
    this.#pool.start();
  }

  /** Judges room again soon: the owner calls it when its hasRoom() may have turned true. */
  wake(): void {
    this.#schedulePump();
  }

  get stats(): GearmanWorkerStats {
    return { ...this.#stats, held: this.#jobs.size };
  }

  /** Graceful: takes no new job, lets the jobs in hand end and deliver everything, then closes. */
  async stop(): Promise<void> {
    if (this.#phase === 'new' || this.#phase === 'running') {
      this.#phase = 'stopping';
      this.#maybeStopped();
    }
    await this.#stopped;
  }

  /** Immediate: aborts the jobs in hand (gearmand gives them to another worker) and closes. */
  async kill(): Promise<void> {
    await this.#shutdown(true);
  }

  #onPoolEvent(event: PoolEvent): void {
    switch (event.type) {
      case 'connected':
        // A connection made while stopping is left unregistered; close() ends it.
        if (this.#phase === 'running') this.#register(event.connection, event.server);
        return;
      case 'connect-failed':
        this.emit('connect-failed', event.server, event.attempt, event.error);
        return;
      default:
        return;
    }
  }

  #register(connection: GearmanConnection, server: string): void {
    const link: Link = { connection, server, state: 'idle', jobs: new Set() };
    this.#links.set(connection, link);
    connection.on('packet', (packet) => this.#onPacket(link, packet));
    connection.on('protocol-error', (error) => this.emit('protocol-error', server, error));
    connection.once('close', (error) => this.#onClose(link, error));
    if (this.id !== undefined) connection.send(PacketType.SET_CLIENT_ID, [this.id]);
    for (const name of this.functionNames) connection.send(PacketType.CAN_DO, [name]);
    this.emit('registered', server);
    this.#schedulePump();
  }

  #onClose(link: Link, error: GearmanConnectionError): void {
    this.#links.delete(link.connection);
    this.emit('disconnected', link.server, error, link.jobs.size);
    for (const held of link.jobs) held.abort.abort(error);
    this.#maybeStopped();
  }

  #onPacket(link: Link, packet: ParsedPacket): void {
    switch (packet.type) {
      case PacketType.NO_JOB:
        if (link.state !== 'grabbing') return;
        link.state = 'idle';
        if (this.#phase === 'running') {
          link.connection.send(PacketType.PRE_SLEEP, []);
          link.state = 'sleeping';
        }
        this.#maybeStopped();
        return;
      case PacketType.NOOP:
        if (link.state !== 'sleeping') return;
        link.state = 'idle';
        this.#schedulePump();
        return;
      case PacketType.JOB_ASSIGN_UNIQ:
        link.state = 'idle';
        // After kill() the job is left alone: closing the connection gives it back.
        if (this.#phase !== 'closed') this.#take(link, packet.args);
        this.#schedulePump();
        return;
      case PacketType.ERROR:
        this.emit('server-error', link.server, GearmanServerError.fromErrorArgs(packet.args));
        return;
      default: {
        const message = `unexpected ${packetTypeName(packet.type)} ignored`;
        this.emit('protocol-error', link.server, new GearmanProtocolError(ProtocolErrorCode.UNEXPECTED, message));
      }
    }
  }

  #take(link: Link, args: readonly Buffer[]): void {
    const [handle, functionName, unique, payload] = args;
    const job: WorkerJob = {
      server: link.server,
      handle: handle?.toString('utf8') ?? '',
      unique: unique?.toString('utf8') ?? '',
      functionName: functionName?.toString('utf8') ?? '',
      payload: payload ?? Buffer.alloc(0),
    };
    const held: HeldJob = { link, job, abort: new AbortController() };
    link.jobs.add(held);
    // The handler starts in a microtask: after the job is on the books and job-start is out, before room is
    // judged again (setImmediate).
    this.#jobs.set(
      held,
      Promise.resolve().then(() => this.#run(held)),
    );
    this.#stats.taken++;
    this.emit('job-start', job);
  }

  /** Runs one job to its end and sends its last packet; never rejects. */
  async #run(held: HeldJob): Promise<void> {
    const { job, link } = held;
    const { signal } = held.abort;
    const handler = this.#handlers.get(job.functionName) ?? unknownFunction;
    let result: JobResult = { outcome: 'lost' };
    try {
      const body = await handler(job, this.#ioOf(held), signal);
      // A closed connection has aborted its jobs already (its close listener runs first), so these sends
      // only happen on an open one.
      if (!signal.aborted) {
        link.connection.send(PacketType.WORK_COMPLETE, [job.handle, body ?? '']);
        result = { outcome: 'complete' };
      }
    } catch (error) {
      if (!signal.aborted) {
        const text = error instanceof Error ? error.message : String(error);
        link.connection.send(PacketType.WORK_EXCEPTION, [job.handle, text]);
        result = { outcome: 'exception', error, text };
      }
    } finally {
      link.jobs.delete(held);
      this.#jobs.delete(held);
      this.#stats[COUNTER_OF[result.outcome]]++;
      this.emit('job-end', job, result);
      this.#schedulePump();
      this.#maybeStopped();
    }
  }

  #ioOf(held: HeldJob): JobIo {
    const { connection } = held.link;
    const { handle } = held.job;
    const { signal } = held.abort;
    const send = async (type: JobPacketType, args: readonly PacketArg[]): Promise<void> => {
      signal.throwIfAborted();
      if (!connection.send(type, [handle, ...args])) await connection.drained();
    };
    return {
      data: (body) => send(PacketType.WORK_DATA, [body]),
      status: (numerator, denominator) => send(PacketType.WORK_STATUS, [String(numerator), String(denominator)]),
      warning: (body) => send(PacketType.WORK_WARNING, [body]),
    };
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
    for (let i = 0; i < links.length && this.#roomFor(links); i++) {
      const index = (start + i) % links.length;
      const link = links[index] as Link;
      if (link.state !== 'idle') continue;
      link.state = 'grabbing';
      link.connection.send(PacketType.GRAB_JOB_UNIQ, []);
      this.#turn = index + 1;
    }
  }

  #roomFor(links: readonly Link[]): boolean {
    const grabbing = links.reduce((n, link) => (link.state === 'grabbing' ? n + 1 : n), 0);
    return this.#jobs.size + grabbing < this.maxJobs && this.#hasRoom();
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
      if (abortJobs) {
        for (const [held] of jobs) {
          held.abort.abort(
            new GearmanConnectionError(ConnectionErrorReason.CLOSED_LOCALLY, held.link.server, 'job abandoned: the worker was killed'),
          );
        }
      }
      await this.#pool.close();
      await Promise.all(jobs.map(([, ended]) => ended));
      this.#stopRequested?.();
    })();
    return this.#closing;
  }
}

/** The handler of a function gearmand assigned but this worker never registered (it cannot happen with gearmand). */
function unknownFunction(job: WorkerJob): Promise<never> {
  return Promise.reject(new Error(`no handler for function ${JSON.stringify(job.functionName)}`));
}
