// Incremental parser for the bytes a Gearman peer sends: binary packets and text admin lines
// (docs/gearman.md §1, §4). No sockets, no timers: bytes in, items out, so it can be tested
// byte by byte. It never throws on bad input; malformed packets become `protocol-error` items and
// parsing continues after them.
//
// Incoming chunks are kept in a list and joined once per packet, when the whole packet is present:
// joining everything on every push would be quadratic on large bodies. Parsed arguments are views
// into the received chunks (no copy) when a packet arrived in one chunk.

import { GearmanProtocolError, ProtocolErrorCode } from './errors.js';
import { ARG_COUNT, HANDLE_ONLY_TYPES, HEADER_SIZE, isPacketType, Magic, packetTypeName } from './packet-types.js';
import type { MagicName, PacketTypeNumber } from './packet-types.js';

export interface ParsedPacket {
  kind: 'packet';
  magic: MagicName;
  type: PacketTypeNumber;
  /** Exactly ARG_COUNT[type] arguments; the last one runs to the end of the body. */
  args: Buffer[];
}

/** A line that started with a byte other than 0x00, without its `\n` or `\r\n`. */
export interface ParsedText {
  kind: 'text';
  line: string;
}

/** A packet that could not be understood; its body has been skipped. */
export interface ParsedProtocolError {
  kind: 'protocol-error';
  error: GearmanProtocolError;
}

export type ParsedItem = ParsedPacket | ParsedText | ParsedProtocolError;

interface Header {
  magic: number;
  type: number;
  length: number;
}

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

export class PacketParser {
  #chunks: Buffer[] = [];
  /** Bytes of #chunks[0] already consumed. */
  #head = 0;
  /** Unconsumed bytes across #chunks. */
  #buffered = 0;
  /** Set once a header is read and its body is still incomplete. */
  #header: Header | undefined;
  /** Leading unconsumed bytes already searched for a newline, so a long line is scanned once. */
  #textScanned = 0;

  /** Feeds received bytes; returns every item completed by them, in order. */
  push(chunk: Buffer): ParsedItem[] {
    if (chunk.length > 0) {
      this.#chunks.push(chunk);
      this.#buffered += chunk.length;
    }
    const items: ParsedItem[] = [];
    for (let item = this.#next(); item !== undefined; item = this.#next()) items.push(item);
    return items;
  }

  /** Bytes received but not yet part of a complete item (non-zero when a stream ends mid-packet). */
  get pendingBytes(): number {
    return this.#buffered;
  }

  #next(): ParsedItem | undefined {
    if (this.#header === undefined) {
      if (this.#buffered === 0) return undefined;
      if ((this.#chunks[0] as Buffer)[this.#head] !== 0) return this.#nextLine();
      if (this.#buffered < HEADER_SIZE) return undefined;
      const bytes = this.#take(HEADER_SIZE);
      this.#header = { magic: bytes.readUInt32BE(0), type: bytes.readUInt32BE(4), length: bytes.readUInt32BE(8) };
    }
    if (this.#buffered < this.#header.length) return undefined;
    const header = this.#header;
    this.#header = undefined;
    return decodePacket(header, this.#take(header.length));
  }

  #nextLine(): ParsedText | undefined {
    const newlineAt = this.#indexOfNewline();
    if (newlineAt < 0) return undefined;
    const raw = this.#take(newlineAt + 1);
    this.#textScanned = 0;
    const end = newlineAt > 0 && raw[newlineAt - 1] === CARRIAGE_RETURN ? newlineAt - 1 : newlineAt;
    return { kind: 'text', line: raw.toString('utf8', 0, end) };
  }

  /** Position of the first `\n` among the unconsumed bytes, or -1. */
  #indexOfNewline(): number {
    let base = 0;
    for (let i = 0; i < this.#chunks.length; i++) {
      const chunk = this.#chunks[i] as Buffer;
      const start = i === 0 ? this.#head : 0;
      const size = chunk.length - start;
      if (base + size > this.#textScanned) {
        const found = chunk.indexOf(NEWLINE, start + Math.max(0, this.#textScanned - base));
        if (found >= 0) return base + found - start;
      }
      base += size;
    }
    this.#textScanned = base;
    return -1;
  }

  /** Consumes `n` buffered bytes (n <= #buffered): a view when they lie in one chunk, else one copy. */
  #take(n: number): Buffer {
    this.#buffered -= n;
    const first = this.#chunks[0];
    if (first === undefined) return Buffer.alloc(0);
    if (first.length - this.#head >= n) {
      const view = first.subarray(this.#head, this.#head + n);
      this.#advance(first, n);
      return view;
    }
    const out = Buffer.allocUnsafe(n);
    let written = 0;
    while (written < n) {
      const chunk = this.#chunks[0] as Buffer;
      const count = Math.min(n - written, chunk.length - this.#head);
      chunk.copy(out, written, this.#head, this.#head + count);
      written += count;
      this.#advance(chunk, count);
    }
    return out;
  }

  #advance(chunk: Buffer, count: number): void {
    this.#head += count;
    if (this.#head === chunk.length) {
      this.#chunks.shift();
      this.#head = 0;
    }
  }
}

function decodePacket(header: Header, body: Buffer): ParsedPacket | ParsedProtocolError {
  const magic = magicName(header.magic);
  if (magic === undefined) {
    const hex = header.magic.toString(16).padStart(8, '0');
    return protocolError(ProtocolErrorCode.BAD_MAGIC, `bad magic 0x${hex} (${header.length}-byte body skipped)`);
  }
  const { type } = header;
  if (!isPacketType(type)) {
    return protocolError(ProtocolErrorCode.UNKNOWN_TYPE, `unknown packet type ${type} (${header.length}-byte body skipped)`);
  }
  const args = splitArguments(body, ARG_COUNT[type]);
  if (args === undefined) {
    return protocolError(
      ProtocolErrorCode.BAD_ARGUMENTS,
      `${packetTypeName(type)} expects ${ARG_COUNT[type]} argument(s); its ${body.length}-byte body does not hold them`,
    );
  }
  if (HANDLE_ONLY_TYPES.has(type)) args[0] = stripTrailingNul(args[0] as Buffer);
  return { kind: 'packet', magic, type, args };
}

function magicName(magic: number): MagicName | undefined {
  if (magic === Magic.RES) return 'RES';
  if (magic === Magic.REQ) return 'REQ';
  return undefined;
}

/** Splits at the first `count - 1` NULs; undefined when there are fewer, or a body on a 0-argument type. */
function splitArguments(body: Buffer, count: number): Buffer[] | undefined {
  if (count === 0) return body.length === 0 ? [] : undefined;
  const args: Buffer[] = [];
  let start = 0;
  for (let i = 1; i < count; i++) {
    const nul = body.indexOf(0, start);
    if (nul < 0) return undefined;
    args.push(body.subarray(start, nul));
    start = nul + 1;
  }
  args.push(body.subarray(start));
  return args;
}

function stripTrailingNul(arg: Buffer): Buffer {
  return arg.length > 0 && arg[arg.length - 1] === 0 ? arg.subarray(0, -1) : arg;
}

function protocolError(code: ProtocolErrorCode, message: string): ParsedProtocolError {
  return { kind: 'protocol-error', error: new GearmanProtocolError(code, message) };
}
