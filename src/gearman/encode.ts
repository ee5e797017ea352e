// Encoding of one binary Gearman packet. Runs once per WORK_DATA packet, so it sizes the packet
// first and allocates once. Framing rules: docs/gearman.md §1 (one NUL between arguments,
// none after the last).

import { ARG_COUNT, HEADER_SIZE, Magic, MAX_BODY_SIZE, packetTypeName } from './packet-types.js';
import type { MagicName, PacketTypeNumber } from './packet-types.js';

export type PacketArg = string | Buffer;

/**
 * One packet as a single Buffer: header, then the arguments joined by one 0x00 and no trailing
 * NUL. Strings are written as UTF-8. Only the last argument may contain NUL bytes.
 *
 * Throws TypeError when the argument count does not match the type (an extra empty argument would
 * silently append a NUL to the previous one, e.g. CAN_DO "f\0"), or when a non-final argument
 * contains NUL (it would shift every later argument).
 */
export function encodePacket(type: PacketTypeNumber, args: readonly PacketArg[], magic: MagicName = 'REQ'): Buffer {
  const bodySize = checkedBodySize(type, args);
  const packet = Buffer.allocUnsafe(HEADER_SIZE + bodySize);
  packet.writeUInt32BE(Magic[magic], 0);
  packet.writeUInt32BE(type, 4);
  packet.writeUInt32BE(bodySize, 8);
  let offset = HEADER_SIZE;
  for (let i = 0; i < args.length; i++) {
    if (i > 0) packet[offset++] = 0;
    const arg = args[i] as PacketArg;
    offset += typeof arg === 'string' ? packet.write(arg, offset, 'utf8') : arg.copy(packet, offset);
  }
  return packet;
}

/**
 * The body size of a packet with these arguments, after the checks encodePacket makes (argument count, NUL only
 * in the last argument, the 32-bit length): a caller that must refuse bad arguments before it commits to
 * sending (the client, before it picks a server) asks here instead of repeating the rules.
 */
export function checkedBodySize(type: PacketTypeNumber, args: readonly PacketArg[]): number {
  const expected = ARG_COUNT[type];
  if (args.length !== expected) {
    throw new TypeError(`${packetTypeName(type)} takes ${expected} argument(s), got ${args.length}`);
  }
  let bodySize = args.length > 0 ? args.length - 1 : 0;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i] as PacketArg;
    if (i < args.length - 1 && (typeof arg === 'string' ? arg.includes('\0') : arg.includes(0))) {
      throw new TypeError(`${packetTypeName(type)} argument ${i + 1} contains a NUL byte; only the last may`);
    }
    bodySize += typeof arg === 'string' ? Buffer.byteLength(arg, 'utf8') : arg.length;
  }
  if (bodySize > MAX_BODY_SIZE) {
    throw new RangeError(`${packetTypeName(type)} body of ${bodySize} bytes exceeds the 32-bit length field`);
  }
  return bodySize;
}
