// gearmand's text admin protocol (docs/gearman.md §4): pure parsers for the `status` and
// `workers` replies, and an assembler that turns the reply byte stream into whole replies for the
// commands sent. No sockets here; admin-client.ts does the I/O.

import { GearmanProtocolError, ProtocolErrorCode } from './errors.js';
import { PacketParser } from './parser.js';

/** One line of `status`. Functions stay listed after their workers leave. */
export interface FunctionStatus {
  function: string;
  /** Jobs queued, including running ones. */
  total: number;
  running: number;
  /** Connected workers that registered the function. */
  workers: number;
}

/** One line of `workers`: every connection, clients included. */
export interface WorkerInfo {
  fd: number;
  ip: string;
  /** The SET_CLIENT_ID value, `-` when none was sent. */
  id: string;
  functions: string[];
}

export type AdminReply =
  /** The lines before the closing `.` line. */
  | { kind: 'list'; lines: string[] }
  /** `OK` or `OK <value>`. */
  | { kind: 'ok'; value: string }
  /** `ERR <code> <message>`; gearmand writes spaces in the message as `+`, restored here. */
  | { kind: 'err'; code: string; message: string };

const LIST_TERMINATOR = '.';

/** Whether the command's reply is a list closed by a `.` line; every other command replies with one line. */
export function isListCommand(command: string): boolean {
  const [first = '', second = '', third = ''] = command.trim().toLowerCase().split(/\s+/);
  if (first === 'show') return second === 'jobs' || (second === 'unique' && third === 'jobs');
  return first === 'status' || first === 'prioritystatus' || first === 'workers';
}

export function parseStatus(lines: readonly string[]): FunctionStatus[] {
  return lines.map((line) => {
    const fields = line.split('\t');
    const [name, total, running, workers] = fields;
    if (fields.length !== 4 || name === undefined || name === '') throw badReply(`status line ${JSON.stringify(line)}`);
    return {
      function: name,
      total: count(total, line),
      running: count(running, line),
      workers: count(workers, line),
    };
  });
}

export function parseWorkers(lines: readonly string[]): WorkerInfo[] {
  return lines.map((line) => {
    // `fd ip id : fn1 fn2`, or `fd ip id :` for a connection with no functions.
    const match = /^(\d+) (\S+) (.*?) :(?: (.*))?$/.exec(line);
    if (match === null) throw badReply(`workers line ${JSON.stringify(line)}`);
    const [, fd, ip, id, functions] = match;
    return {
      fd: Number(fd),
      ip: ip ?? '',
      id: id ?? '',
      functions: functions === undefined ? [] : functions.split(' ').filter((name) => name !== ''),
    };
  });
}

function count(field: string | undefined, line: string): number {
  if (field === undefined || !/^\d+$/.test(field)) throw badReply(`status line ${JSON.stringify(line)}`);
  return Number(field);
}

function badReply(what: string): GearmanProtocolError {
  return new GearmanProtocolError(ProtocolErrorCode.BAD_ADMIN_REPLY, `unexpected admin reply: ${what}`);
}

/** Parses a single-line reply; undefined when the line is neither `OK…` nor `ERR…`. */
function parseLineReply(line: string): AdminReply | undefined {
  if (line === 'OK' || line.startsWith('OK ')) return { kind: 'ok', value: line.slice(3) };
  if (line.startsWith('ERR ')) {
    const [code = '', ...message] = line.slice(4).split(' ');
    return { kind: 'err', code, message: message.join(' ').replaceAll('+', ' ') };
  }
  return undefined;
}

/**
 * Reassembles replies from the bytes of an admin connection. Call expect() with each command in
 * the order sent; push() returns the replies completed by a chunk, in command order. Throws
 * GearmanProtocolError on bytes that cannot be a reply to the commands sent.
 */
export class AdminReplyAssembler {
  #parser = new PacketParser();
  #expected: boolean[] = [];
  #lines: string[] = [];

  /** Registers a command that was sent (only its reply shape matters). */
  expect(command: string): void {
    this.#expected.push(isListCommand(command));
  }

  push(chunk: Buffer): AdminReply[] {
    const replies: AdminReply[] = [];
    for (const item of this.#parser.push(chunk)) {
      if (item.kind === 'protocol-error') throw item.error;
      if (item.kind === 'packet') {
        throw new GearmanProtocolError(ProtocolErrorCode.UNEXPECTED, 'binary packet on an admin connection');
      }
      const reply = this.#acceptLine(item.line);
      if (reply !== undefined) replies.push(reply);
    }
    return replies;
  }

  #acceptLine(line: string): AdminReply | undefined {
    const isList = this.#expected[0];
    if (isList === undefined) throw badReply(`line ${JSON.stringify(line)} with no command pending`);
    let reply: AdminReply | undefined;
    if (!isList) {
      reply = parseLineReply(line);
      if (reply === undefined) throw badReply(`line ${JSON.stringify(line)}, expected OK or ERR`);
    } else if (this.#lines.length === 0 && line.startsWith('ERR ')) {
      reply = parseLineReply(line);
    } else if (line === LIST_TERMINATOR) {
      reply = { kind: 'list', lines: this.#lines };
      this.#lines = [];
    } else {
      this.#lines.push(line);
    }
    if (reply !== undefined) this.#expected.shift();
    return reply;
  }
}
