// A Gearman client for foreground jobs over several job servers (docs/gearman.md §5.9). It owns
// one ServerPool connection per server, the OPTION_REQ `exceptions` that makes each one usable, the
// choice of server for a submit (round-robin over the servers that are up), and the routing of every
// WORK_* packet to its ClientJob by (connection, handle).
//
// It reports how each job ended and when each server comes and goes, and decides nothing about it:
// resubmitting a lost job, waiting out a full queue or giving up is the caller's business. It knows
// nothing of what payloads mean, and it imports nothing outside src/gearman/.

import { EventEmitter } from 'node:events';
import type { ConnectOptions, GearmanConnection, SubmitType } from './connection.js';
import { checkedBodySize } from './encode.js';
import { GearmanConnectionError, GearmanServerError } from './errors.js';
import { PacketType } from './packet-types.js';
import type { PacketTypeNumber } from './packet-types.js';
import type { ParsedPacket } from './parser.js';
import { formatServerAddress } from './server-address.js';
import type { ServerAddress } from './server-address.js';
import { ServerPool } from './server-pool.js';
import type { BackoffOptions, PoolEvent } from './server-pool.js';

export interface GearmanClientOptions {
  /** Reconnect back-off, passed to the ServerPool. */
  backoff?: Partial<BackoffOptions>;
  connect?: Omit<ConnectOptions, 'signal'>;
  /** Random source for the back-off jitter, replaceable in tests. */
  random?: () => number;
}

export type ClientStatusEvent =
  /** Connected and OPTION_REQ `exceptions` answered: jobs may be submitted there now. */
  | { type: 'up'; server: string; address: ServerAddress }
  /**
   * A server that was up lost its connection (also on close(), with reason CLOSED_LOCALLY); every
   * unfinished job on it has already ended 'lost'.
   */
  | { type: 'down'; server: string; address: ServerAddress; error: GearmanConnectionError }
  /**
   * A connect attempt failed (the pool retries with back-off); attempt counts from 1 per outage. A
   * connection that closes before it is up counts as a failed attempt too.
   */
  | { type: 'connect-failed'; server: string; address: ServerAddress; attempt: number; error: GearmanConnectionError };

/** gearmand hands out a function's queued high-priority jobs before its normal ones, and those before low ones. */
export type JobPriority = 'high' | 'normal' | 'low';

const SUBMIT_TYPE_OF = {
  high: PacketType.SUBMIT_JOB_HIGH,
  normal: PacketType.SUBMIT_JOB,
  low: PacketType.SUBMIT_JOB_LOW,
} as const satisfies Record<JobPriority, SubmitType>;

export interface SubmitOptions {
  /** Submit there instead of the next up server round-robin. */
  server?: string;
  /** Default normal (SUBMIT_JOB); high is SUBMIT_JOB_HIGH, low SUBMIT_JOB_LOW, all foreground. */
  priority?: JobPriority;
}

export type JobEnd =
  | { type: 'complete'; data: Buffer }
  | { type: 'fail' }
  | { type: 'exception'; data: Buffer }
  /** gearmand answered the SUBMIT_JOB with ERROR (e.g. QUEUE_ERROR when its queue is full); nothing ran. */
  | { type: 'refused'; error: GearmanServerError }
  /** The connection closed before the job ended (server died, or client.close()): its fate is unknown. */
  | { type: 'lost'; error: GearmanConnectionError };

export interface ClientJobEvents {
  created: [handle: string];
  data: [data: Buffer];
  warning: [data: Buffer];
  /** NaN for a field the worker did not send as a number. */
  status: [numerator: number, denominator: number];
  complete: [data: Buffer];
  fail: [];
  exception: [data: Buffer];
  refused: [error: GearmanServerError];
  lost: [error: GearmanConnectionError];
}

// Recording the handle and ending a job are the client's to do, not the job's users': these two
// functions reach the job's private methods, and are set once by ClientJob's static block.
let markCreated: (job: ClientJob, handle: string) => void;
let endJob: (job: ClientJob, end: JobEnd) => void;

/** One submitted foreground job. Every event is emitted after submit() returned. */
export class ClientJob extends EventEmitter<ClientJobEvents> {
  static {
    markCreated = (job, handle) => job.#markCreated(handle);
    endJob = (job, end) => job.#end(end);
  }

  readonly server: string;
  readonly functionName: string;
  readonly unique: string;
  /** Resolves (never rejects) with how the job ended, after the matching event was emitted. */
  readonly done: Promise<JobEnd>;

  #handle: string | null = null;
  #ended = false;
  #settle: (end: JobEnd) => void = () => undefined;

  /** Made by GearmanClient.submit(); a job made any other way never ends. */
  constructor(server: string, functionName: string, unique: string) {
    super();
    this.server = server;
    this.functionName = functionName;
    this.unique = unique;
    this.done = new Promise((resolve) => (this.#settle = resolve));
  }

  /** The server's handle, from JOB_CREATED on; null before (and for a job refused or lost before it). */
  get handle(): string | null {
    return this.#handle;
  }

  #markCreated(handle: string): void {
    this.#handle = handle;
    this.emit('created', handle);
  }

  /** Ends the job once; later calls are ignored (a close that follows an end, for example). */
  #end(end: JobEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    // Settled before the emit so that a throwing listener cannot leave `done` pending; its callbacks
    // run in a later microtask all the same, so they still come after the event.
    this.#settle(end);
    switch (end.type) {
      case 'complete':
        this.emit('complete', end.data);
        return;
      case 'fail':
        this.emit('fail');
        return;
      case 'exception':
        this.emit('exception', end.data);
        return;
      case 'refused':
        this.emit('refused', end.error);
        return;
      case 'lost':
        this.emit('lost', end.error);
        return;
    }
  }
}

/** One job server: its connection while it has one, and the jobs submitted on that connection. */
interface Link {
  readonly server: string;
  readonly address: ServerAddress;
  connection: GearmanConnection | undefined;
  /** OPTION_REQ answered: submit() may use it. */
  up: boolean;
  /** Submitted, JOB_CREATED not yet received. */
  readonly awaiting: Set<ClientJob>;
  /** By handle, from JOB_CREATED until the job ends. Handles are unique per server only, hence per link. */
  readonly running: Map<string, ServerJob>;
}

/**
 * One job on a server. Several submits with the same function and unique share it (§5.4) and get the
 * same handle, and gearmand then sends each of its packets once per submit, back to back: the first
 * copy goes to every ClientJob of the group and the other copies are dropped. A packet is taken for a
 * copy only while copies are due and it is the same as the one just delivered, so a copy that never
 * comes costs nothing, where counting alone would swallow the next real packet (the job's end, even)
 * and leave the jobs waiting forever.
 */
interface ServerJob {
  readonly jobs: ClientJob[];
  /** The packet delivered last, and how many copies of it may still come. */
  last: ParsedPacket | null;
  copiesDue: number;
}

/** The packets that belong to a job, by its handle in their first argument. */
const JOB_PACKETS: ReadonlySet<PacketTypeNumber> = new Set([
  PacketType.WORK_DATA,
  PacketType.WORK_WARNING,
  PacketType.WORK_STATUS,
  PacketType.WORK_COMPLETE,
  PacketType.WORK_FAIL,
  PacketType.WORK_EXCEPTION,
]);

const ENDING_PACKETS: ReadonlySet<PacketTypeNumber> = new Set([PacketType.WORK_COMPLETE, PacketType.WORK_FAIL, PacketType.WORK_EXCEPTION]);

const EMPTY = Buffer.alloc(0);

export class GearmanClient extends EventEmitter<{ status: [event: ClientStatusEvent] }> {
  readonly #links: Link[];
  readonly #byServer: Map<string, Link>;
  readonly #pool: ServerPool;
  /** Where the round-robin looks first next time. */
  #cursor = 0;
  #closing = false;

  /** A server listed twice is used once. Throws TypeError when the list is empty. */
  constructor(servers: readonly ServerAddress[], options: GearmanClientOptions = {}) {
    super();
    this.#byServer = new Map();
    for (const address of servers) {
      const server = formatServerAddress(address);
      if (!this.#byServer.has(server)) {
        this.#byServer.set(server, { server, address, connection: undefined, up: false, awaiting: new Set(), running: new Map() });
      }
    }
    this.#links = [...this.#byServer.values()];
    const addresses = this.#links.map((link) => link.address);
    this.#pool = new ServerPool(addresses, options);
    this.#pool.on('status', (event) => this.#onPoolEvent(event));
  }

  /** Starts connecting to every server; call after attaching 'status' listeners. Idempotent. */
  start(): void {
    this.#pool.start();
  }

  /** Servers up now, in the order given. */
  get upServers(): readonly string[] {
    return this.#links.filter((link) => link.up).map((link) => link.server);
  }

  /**
   * SUBMIT_JOB (foreground, at `priority`) to `server`, or by default the next up server round-robin. null when that
   * server (or every server) is not up. Nothing is emitted before submit() returns, so listeners attached
   * right after it see every event.
   *
   * Throws TypeError when the function name or unique contains a NUL byte (it would shift the packet's
   * arguments), RangeError when the packet would not fit the protocol's 32-bit length (the encoder's own
   * rules, checkedBodySize).
   */
  submit(functionName: string, unique: string, payload: string | Buffer, options: SubmitOptions = {}): ClientJob | null {
    const type = SUBMIT_TYPE_OF[options.priority ?? 'normal'];
    // A caller's bug throws whether or not a server is up, so it shows on the first try, not the first connection.
    checkedBodySize(type, [functionName, unique, payload]);
    const link = options.server === undefined ? this.#nextUp() : this.#byServer.get(options.server);
    const connection = link?.up === true ? link.connection : undefined;
    if (link === undefined || connection === undefined) return null;
    const job = new ClientJob(link.server, functionName, unique);
    // onCreated runs synchronously on JOB_CREATED, before a WORK_DATA in the same chunk is dispatched.
    const created = connection.submit(type, functionName, unique, payload, (handle) => this.#onCreated(link, job, handle));
    link.awaiting.add(job);
    created.catch((error: unknown) => this.#onSubmitError(link, job, error));
    return job;
  }

  /** Closes every connection; unfinished jobs end 'lost' (reason CLOSED_LOCALLY). Resolves when done. */
  async close(): Promise<void> {
    this.#closing = true;
    await this.#pool.close();
  }

  // ---- servers

  #onPoolEvent(event: PoolEvent): void {
    const link = this.#byServer.get(event.server);
    if (link === undefined) return;
    if (event.type === 'connected') {
      void this.#adopt(link, event.connection, event.attempt);
    } else if (event.type === 'connect-failed') {
      this.#status({ type: 'connect-failed', server: link.server, address: link.address, attempt: event.attempt, error: event.error });
    }
    // 'disconnected' is handled on the connection's own 'close', which comes first and synchronously with
    // isClosed turning true, so no submit can pick a closed connection in between.
  }

  async #adopt(link: Link, connection: GearmanConnection, attempt: number): Promise<void> {
    link.connection = connection;
    connection.on('packet', (packet) => this.#onPacket(link, packet));
    connection.once('close', (error) => this.#onClose(link, error, attempt));
    try {
      // Without it gearmand turns a WORK_EXCEPTION into a bare WORK_FAIL for this connection (§5.7).
      await connection.optionRequest('exceptions');
    } catch (error) {
      if (!(error instanceof GearmanServerError)) return; // closed first: #onClose has reported it
      // A server that does not know the option still runs jobs; their exceptions arrive as WORK_FAIL.
      // Refusing it would turn a lost detail into a lost server.
    }
    if (connection.isClosed || this.#closing) return;
    link.up = true;
    this.#status({ type: 'up', server: link.server, address: link.address });
  }

  #onClose(link: Link, error: GearmanConnectionError, attempt: number): void {
    const wasUp = link.up;
    link.up = false;
    link.connection = undefined;
    const jobs = [...link.awaiting, ...[...link.running.values()].flatMap((shared) => shared.jobs)];
    link.awaiting.clear();
    link.running.clear();
    for (const job of jobs) endJob(job, { type: 'lost', error });
    if (wasUp) {
      this.#status({ type: 'down', server: link.server, address: link.address, error });
    } else if (!this.#closing) {
      this.#status({ type: 'connect-failed', server: link.server, address: link.address, attempt, error });
    }
  }

  #nextUp(): Link | undefined {
    const count = this.#links.length;
    for (let step = 0; step < count; step++) {
      const index = (this.#cursor + step) % count;
      const link = this.#links[index];
      if (link?.up === true) {
        this.#cursor = (index + 1) % count;
        return link;
      }
    }
    return undefined;
  }

  #status(event: ClientStatusEvent): void {
    this.emit('status', event);
  }

  // ---- jobs

  #onCreated(link: Link, job: ClientJob, handle: string): void {
    link.awaiting.delete(job);
    const shared = link.running.get(handle);
    if (shared === undefined) link.running.set(handle, { jobs: [job], last: null, copiesDue: 0 });
    else shared.jobs.push(job); // coalesced with a job this connection already holds
    markCreated(job, handle);
  }

  #onSubmitError(link: Link, job: ClientJob, error: unknown): void {
    link.awaiting.delete(job);
    if (error instanceof GearmanServerError) endJob(job, { type: 'refused', error });
    else if (error instanceof GearmanConnectionError)
      endJob(job, { type: 'lost', error }); // already ended by #onClose
    else throw error; // submit() throws argument errors at once, so nothing else can come here: a bug, and loud
  }

  #onPacket(link: Link, packet: ParsedPacket): void {
    if (!JOB_PACKETS.has(packet.type)) return;
    const handle = (packet.args[0] ?? EMPTY).toString('utf8');
    const shared = link.running.get(handle);
    if (shared === undefined) return; // not a job of this client (or one that has ended)
    if (shared.copiesDue > 0 && shared.last !== null && samePacket(shared.last, packet)) {
      shared.copiesDue--;
      return;
    }
    shared.last = packet;
    shared.copiesDue = shared.jobs.length - 1;
    if (ENDING_PACKETS.has(packet.type)) link.running.delete(handle); // its remaining copies then count as unknown
    for (const job of shared.jobs) deliver(job, packet);
  }
}

function samePacket(a: ParsedPacket, b: ParsedPacket): boolean {
  return a.type === b.type && a.args.length === b.args.length && a.args.every((arg, i) => b.args[i]?.equals(arg) === true);
}

function deliver(job: ClientJob, packet: ParsedPacket): void {
  const data = packet.args[1] ?? EMPTY;
  switch (packet.type) {
    case PacketType.WORK_DATA:
      job.emit('data', data);
      return;
    case PacketType.WORK_WARNING:
      job.emit('warning', data);
      return;
    case PacketType.WORK_STATUS:
      job.emit('status', parseCount(data), parseCount(packet.args[2] ?? EMPTY));
      return;
    case PacketType.WORK_COMPLETE:
      endJob(job, { type: 'complete', data });
      return;
    case PacketType.WORK_FAIL:
      endJob(job, { type: 'fail' });
      return;
    case PacketType.WORK_EXCEPTION:
      endJob(job, { type: 'exception', data });
      return;
    default:
      return;
  }
}

/** A WORK_STATUS field: gearmand passes on whatever text the worker sent, so anything else than a number is NaN. */
function parseCount(field: Buffer): number {
  const text = field.toString('latin1').trim();
  return text === '' ? Number.NaN : Number(text);
}
