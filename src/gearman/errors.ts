// The typed errors of the Gearman layer. Callers branch on the class and its stable `code` or
// `reason`, never on message text. Server ERROR packets become GearmanServerError here, and only here.

/** An ERROR packet (or an `ERR` admin reply) from gearmand: the connection itself is still usable. */
export class GearmanServerError extends Error {
  override readonly name = 'GearmanServerError';
  /** The server's symbol, e.g. `QUEUE_ERROR`, `ARGUMENT_TOO_LARGE`, `UNKNOWN_OPTION`. */
  readonly code: string;
  /** The server's human-readable text, e.g. `Job queue is full`. */
  readonly serverText: string;

  constructor(code: string, serverText: string) {
    super(`gearmand error ${code}: ${serverText}`);
    this.code = code;
    this.serverText = serverText;
  }

  /** From the two arguments (code, text) of a parsed ERROR packet. */
  static fromErrorArgs(args: readonly Buffer[]): GearmanServerError {
    return new GearmanServerError(args[0]?.toString('utf8') ?? '', args[1]?.toString('utf8') ?? '');
  }
}

export const ConnectionErrorReason = {
  /** The TCP connect failed (refused, unreachable, ...); `cause` holds the socket error. */
  CONNECT_FAILED: 'connect_failed',
  /** The TCP connect did not complete in time. */
  CONNECT_TIMEOUT: 'connect_timeout',
  /** The server closed the connection (or it was reset); nothing pending will be answered. */
  CLOSED_BY_SERVER: 'closed_by_server',
  /** We closed it (close() was called). */
  CLOSED_LOCALLY: 'closed_locally',
  /** A request got no reply in time (admin commands). */
  TIMEOUT: 'timeout',
} as const;

export type ConnectionErrorReason = (typeof ConnectionErrorReason)[keyof typeof ConnectionErrorReason];

/** The connection to a job server failed or ended; whatever was pending on it will not be answered. */
export class GearmanConnectionError extends Error {
  override readonly name = 'GearmanConnectionError';
  readonly reason: ConnectionErrorReason;
  /** The server as `host:port`. */
  readonly server: string;

  constructor(reason: ConnectionErrorReason, server: string, message: string, options?: { cause?: unknown }) {
    super(`${server}: ${message}`, options);
    this.reason = reason;
    this.server = server;
  }
}

export const ProtocolErrorCode = {
  /** A binary packet whose magic is neither `\0REQ` nor `\0RES`. */
  BAD_MAGIC: 'bad_magic',
  /** A binary packet with a type number the protocol does not define. */
  UNKNOWN_TYPE: 'unknown_type',
  /** A body with fewer NUL separators than the type has arguments, or a body on a type that takes none. */
  BAD_ARGUMENTS: 'bad_arguments',
  /** A packet that makes no sense where it arrived (e.g. a text line on a binary connection). */
  UNEXPECTED: 'unexpected',
  /** A text admin reply that does not have the documented shape. */
  BAD_ADMIN_REPLY: 'bad_admin_reply',
} as const;

export type ProtocolErrorCode = (typeof ProtocolErrorCode)[keyof typeof ProtocolErrorCode];

/** The peer sent bytes that do not follow the protocol. */
export class GearmanProtocolError extends Error {
  override readonly name = 'GearmanProtocolError';
  readonly code: ProtocolErrorCode;

  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

/** A `--servers` entry that is not `HOST[:PORT]`; a usage error, nothing was contacted. */
export class ServerAddressError extends Error {
  override readonly name = 'ServerAddressError';
  /** The offending entry as the user wrote it. */
  readonly entry: string;

  constructor(entry: string, problem: string) {
    super(`invalid job server "${entry}": ${problem}`);
    this.entry = entry;
  }
}
