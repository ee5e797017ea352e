// One TCP connection to one gearmand: socket options, framing (via the parser), and matching of
// request/reply pairs. It does not reconnect (server-pool.ts does) and knows nothing of jobs:
// every packet that is not the reply to a tracked request goes to the 'packet' listeners.
//
// Reply matching: JOB_CREATED, OPTION_RES, ECHO_RES... carry no request id, and gearmand answers a
// connection's requests in the order they were sent (docs/gearman.md §3), so one FIFO of pending
// requests per connection pairs them. An ERROR packet answers the oldest pending request, except
// an ECHO, which gearmand never answers with ERROR. ERRORs caused by untracked packets (WORK_* for a
// lost job) are therefore only safe on connections without pending submits, i.e. worker connections.

import { EventEmitter } from 'node:events';
import net from 'node:net';
import { encodePacket } from './encode.js';
import type { PacketArg } from './encode.js';
import { ConnectionErrorReason, GearmanConnectionError, GearmanProtocolError, GearmanServerError, ProtocolErrorCode } from './errors.js';
import { PacketType } from './packet-types.js';
import type { PacketTypeNumber } from './packet-types.js';
import { PacketParser } from './parser.js';
import type { ParsedItem, ParsedPacket } from './parser.js';
import { formatServerAddress } from './server-address.js';
import type { ServerAddress } from './server-address.js';

/** Requests that get exactly one reply packet (or an ERROR), by request type. */
const REPLY_OF = {
  [PacketType.SUBMIT_JOB]: PacketType.JOB_CREATED,
  [PacketType.SUBMIT_JOB_BG]: PacketType.JOB_CREATED,
  [PacketType.SUBMIT_JOB_HIGH]: PacketType.JOB_CREATED,
  [PacketType.SUBMIT_JOB_HIGH_BG]: PacketType.JOB_CREATED,
  [PacketType.SUBMIT_JOB_LOW]: PacketType.JOB_CREATED,
  [PacketType.SUBMIT_JOB_LOW_BG]: PacketType.JOB_CREATED,
  [PacketType.SUBMIT_JOB_SCHED]: PacketType.JOB_CREATED,
  [PacketType.SUBMIT_JOB_EPOCH]: PacketType.JOB_CREATED,
  [PacketType.SUBMIT_REDUCE_JOB]: PacketType.JOB_CREATED,
  [PacketType.SUBMIT_REDUCE_JOB_BACKGROUND]: PacketType.JOB_CREATED,
  [PacketType.ECHO_REQ]: PacketType.ECHO_RES,
  [PacketType.OPTION_REQ]: PacketType.OPTION_RES,
  [PacketType.GET_STATUS]: PacketType.STATUS_RES,
  [PacketType.GET_STATUS_UNIQUE]: PacketType.STATUS_RES_UNIQUE,
} as const satisfies Partial<Record<PacketTypeNumber, PacketTypeNumber>>;

/** Packet types sent with request(), whose reply is matched by the FIFO. */
export type RequestType = keyof typeof REPLY_OF;

/** SUBMIT_* types whose arguments are (function, unique, payload). */
export type SubmitType =
  | typeof PacketType.SUBMIT_JOB
  | typeof PacketType.SUBMIT_JOB_BG
  | typeof PacketType.SUBMIT_JOB_HIGH
  | typeof PacketType.SUBMIT_JOB_HIGH_BG
  | typeof PacketType.SUBMIT_JOB_LOW
  | typeof PacketType.SUBMIT_JOB_LOW_BG;

export interface ConnectOptions {
  /** Fail the connect attempt after this long (default 10 s). */
  connectTimeoutMs?: number;
  /** TCP keepalive idle time, so a vanished server is noticed (default 10 s; §5.9). */
  keepAliveDelayMs?: number;
  /** close() waits this long for queued writes to flush before dropping the socket (default 2 s). */
  closeTimeoutMs?: number;
  /** Aborts a connect in progress (it rejects with CLOSED_LOCALLY); no effect once connected. */
  signal?: AbortSignal;
}

interface PendingRequest {
  type: RequestType;
  reply: PacketTypeNumber;
  resolve: (packet: ParsedPacket) => void;
  reject: (error: Error) => void;
  onReply: ((packet: ParsedPacket) => void) | undefined;
}

export interface ConnectionEvents {
  /** Every packet that is not the reply to a request() of this connection. */
  packet: [packet: ParsedPacket];
  /** Bytes that are not a valid packet; parsing continues after them. */
  'protocol-error': [error: GearmanProtocolError];
  /** Emitted once; the same error rejected every pending request. */
  close: [error: GearmanConnectionError];
}

const DEFAULTS = { connectTimeoutMs: 10_000, keepAliveDelayMs: 10_000, closeTimeoutMs: 2_000 } as const;

export class GearmanConnection extends EventEmitter<ConnectionEvents> {
  readonly address: ServerAddress;
  /** `host:port`, for messages. */
  readonly server: string;
  /** Resolves (never rejects) with the close reason once the socket is closed. */
  readonly closed: Promise<GearmanConnectionError>;

  #socket: net.Socket;
  #parser = new PacketParser();
  #pending: PendingRequest[] = [];
  #closeTimeoutMs: number;
  #closeError: GearmanConnectionError | undefined;
  #closingLocally = false;
  #socketError: Error | undefined;

  /** Opens a connection; rejects with GearmanConnectionError (CONNECT_FAILED or CONNECT_TIMEOUT). */
  static connect(address: ServerAddress, options: ConnectOptions = {}): Promise<GearmanConnection> {
    const server = formatServerAddress(address);
    const { connectTimeoutMs, keepAliveDelayMs, closeTimeoutMs } = { ...DEFAULTS, ...options };
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address.host, port: address.port });
      const fail = (error: GearmanConnectionError): void => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        socket.destroy();
        reject(error);
      };
      const timer = setTimeout(() => {
        fail(new GearmanConnectionError(ConnectionErrorReason.CONNECT_TIMEOUT, server, `connect timed out after ${connectTimeoutMs} ms`));
      }, connectTimeoutMs);
      const onAbort = (): void => fail(new GearmanConnectionError(ConnectionErrorReason.CLOSED_LOCALLY, server, 'connect aborted'));
      if (options.signal?.aborted) return onAbort();
      options.signal?.addEventListener('abort', onAbort, { once: true });
      socket.once('error', (error) => {
        fail(
          new GearmanConnectionError(ConnectionErrorReason.CONNECT_FAILED, server, `connect failed: ${error.message}`, { cause: error }),
        );
      });
      socket.once('connect', () => {
        clearTimeout(timer);
        options.signal?.removeEventListener('abort', onAbort);
        socket.removeAllListeners('error');
        // Nagle would hold a small packet (WORK_COMPLETE after WORK_DATA) for ~40 ms (§1).
        socket.setNoDelay(true);
        socket.setKeepAlive(true, keepAliveDelayMs);
        resolve(new GearmanConnection(socket, address, server, closeTimeoutMs));
      });
    });
  }

  private constructor(socket: net.Socket, address: ServerAddress, server: string, closeTimeoutMs: number) {
    super();
    this.#socket = socket;
    this.address = address;
    this.server = server;
    this.#closeTimeoutMs = closeTimeoutMs;
    this.closed = new Promise((resolve) => socket.once('close', () => resolve(this.#onClose())));
    socket.on('data', (chunk: Buffer) => {
      for (const item of this.#parser.push(chunk)) this.#dispatch(item);
    });
    socket.on('error', (error) => (this.#socketError = error));
  }

  get isClosed(): boolean {
    return this.#closeError !== undefined;
  }

  /**
   * Sends a packet that gets no tracked reply (CAN_DO, GRAB_JOB_UNIQ, WORK_DATA, ...). Returns false
   * when the socket's buffer is full: wait for drained() before sending much more.
   * Throws GearmanConnectionError once the connection is closed.
   */
  send(type: Exclude<PacketTypeNumber, RequestType>, args: readonly PacketArg[]): boolean {
    if (this.#closeError !== undefined) throw this.#closeError;
    return this.#socket.write(encodePacket(type, args));
  }

  /**
   * Sends a request and resolves with its reply packet, or rejects with GearmanServerError (ERROR
   * reply) or GearmanConnectionError (closed before the reply). Arguments the packet cannot carry (a NUL
   * in a non-final argument, a body past the 32-bit length) are the caller's bug: encodePacket's TypeError
   * or RangeError is thrown at once, as send() throws it, rather than passed off as a failed request.
   *
   * The promise settles in a later microtask, after any packets that arrived right behind the reply
   * have been emitted. State those packets need (e.g. the job handle a WORK_DATA refers to) must be
   * recorded in `onReply`, which runs synchronously before the next packet is dispatched.
   */
  request(type: RequestType, args: readonly PacketArg[], onReply?: (reply: ParsedPacket) => void): Promise<ParsedPacket> {
    const packet = encodePacket(type, args);
    if (this.#closeError !== undefined) return Promise.reject(this.#closeError);
    return new Promise((resolve, reject) => {
      this.#pending.push({ type, reply: REPLY_OF[type], resolve, reject, onReply });
      this.#socket.write(packet);
    });
  }

  /**
   * Submits a job; resolves with its handle. `onCreated` runs synchronously on JOB_CREATED (see request()),
   * which also says what is thrown at once.
   */
  submit(type: SubmitType, fn: string, unique: string, payload: PacketArg, onCreated?: (handle: string) => void): Promise<string> {
    const onReply = onCreated && ((reply: ParsedPacket) => onCreated(handleOf(reply)));
    return this.request(type, [fn, unique, payload], onReply).then(handleOf);
  }

  /** OPTION_REQ (gearmand knows only `exceptions`); resolves with the accepted name, rejects with GearmanServerError UNKNOWN_OPTION. */
  async optionRequest(name: string): Promise<string> {
    const reply = await this.request(PacketType.OPTION_REQ, [name]);
    return (reply.args[0] as Buffer).toString('utf8');
  }

  /** Resolves once the socket's write buffer has room again (immediately if it has). */
  drained(): Promise<void> {
    if (this.#closeError !== undefined) return Promise.reject(this.#closeError);
    if (!this.#socket.writableNeedDrain) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onDrain = (): void => {
        this.off('close', onClose);
        resolve();
      };
      const onClose = (error: GearmanConnectionError): void => {
        this.#socket.off('drain', onDrain);
        reject(error);
      };
      this.#socket.once('drain', onDrain);
      this.once('close', onClose);
    });
  }

  /**
   * Flushes queued writes, then closes; after closeTimeoutMs the socket is dropped even if the
   * server does not read. Pending requests reject with reason CLOSED_LOCALLY. Resolves when closed.
   */
  async close(): Promise<void> {
    if (this.#closeError === undefined && !this.#closingLocally) {
      this.#closingLocally = true;
      const timer = setTimeout(() => this.#socket.destroy(), this.#closeTimeoutMs);
      this.#socket.end(() => this.#socket.destroy());
      void this.closed.then(() => clearTimeout(timer));
    }
    await this.closed;
  }

  #dispatch(item: ParsedItem): void {
    if (item.kind === 'protocol-error') {
      this.emit('protocol-error', item.error);
    } else if (item.kind === 'text') {
      const message = `text line ${JSON.stringify(item.line)} on a binary connection`;
      this.emit('protocol-error', new GearmanProtocolError(ProtocolErrorCode.UNEXPECTED, message));
    } else if (!this.#settleRequest(item)) {
      this.emit('packet', item);
    }
  }

  /** Settles the oldest pending request if the packet is its reply; false when it is not. */
  #settleRequest(packet: ParsedPacket): boolean {
    const head = this.#pending[0];
    if (head === undefined) return false;
    const isError = packet.type === PacketType.ERROR && head.type !== PacketType.ECHO_REQ;
    if (packet.type !== head.reply && !isError) return false;
    this.#pending.shift();
    if (isError) {
      head.reject(GearmanServerError.fromErrorArgs(packet.args));
    } else {
      head.onReply?.(packet);
      head.resolve(packet);
    }
    return true;
  }

  #onClose(): GearmanConnectionError {
    const partial = this.#parser.pendingBytes > 0 ? ` (${this.#parser.pendingBytes} bytes of an incomplete packet dropped)` : '';
    const cause = this.#socketError;
    this.#closeError = this.#closingLocally
      ? new GearmanConnectionError(ConnectionErrorReason.CLOSED_LOCALLY, this.server, `connection closed${partial}`)
      : new GearmanConnectionError(
          ConnectionErrorReason.CLOSED_BY_SERVER,
          this.server,
          `connection closed by the server${cause ? `: ${cause.message}` : ''}${partial}`,
          cause ? { cause } : {},
        );
    const pending = this.#pending;
    this.#pending = [];
    for (const request of pending) request.reject(this.#closeError);
    this.emit('close', this.#closeError);
    return this.#closeError;
  }
}

function handleOf(reply: ParsedPacket): string {
  return (reply.args[0] as Buffer).toString('utf8');
}
