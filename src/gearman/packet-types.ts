// The Gearman binary protocol's vocabulary: packet type numbers, how many arguments each type's
// body holds, and the framing constants. Pure data; the codec (encode.ts, parser.ts) reads it.
// Numbers and argument counts follow docs/gearman.md §2 (gearmand 1.1.20).

/** Packet type numbers, by protocol name. Number 5 is unused by the protocol. */
export const PacketType = {
  CAN_DO: 1,
  CANT_DO: 2,
  RESET_ABILITIES: 3,
  PRE_SLEEP: 4,
  NOOP: 6,
  SUBMIT_JOB: 7,
  JOB_CREATED: 8,
  GRAB_JOB: 9,
  NO_JOB: 10,
  JOB_ASSIGN: 11,
  WORK_STATUS: 12,
  WORK_COMPLETE: 13,
  WORK_FAIL: 14,
  GET_STATUS: 15,
  ECHO_REQ: 16,
  ECHO_RES: 17,
  SUBMIT_JOB_BG: 18,
  ERROR: 19,
  STATUS_RES: 20,
  SUBMIT_JOB_HIGH: 21,
  SET_CLIENT_ID: 22,
  CAN_DO_TIMEOUT: 23,
  ALL_YOURS: 24,
  WORK_EXCEPTION: 25,
  OPTION_REQ: 26,
  OPTION_RES: 27,
  WORK_DATA: 28,
  WORK_WARNING: 29,
  GRAB_JOB_UNIQ: 30,
  JOB_ASSIGN_UNIQ: 31,
  SUBMIT_JOB_HIGH_BG: 32,
  SUBMIT_JOB_LOW: 33,
  SUBMIT_JOB_LOW_BG: 34,
  SUBMIT_JOB_SCHED: 35,
  SUBMIT_JOB_EPOCH: 36,
  SUBMIT_REDUCE_JOB: 37,
  SUBMIT_REDUCE_JOB_BACKGROUND: 38,
  GRAB_JOB_ALL: 39,
  JOB_ASSIGN_ALL: 40,
  GET_STATUS_UNIQUE: 41,
  STATUS_RES_UNIQUE: 42,
} as const;

export type PacketTypeName = keyof typeof PacketType;
export type PacketTypeNumber = (typeof PacketType)[PacketTypeName];

/**
 * Number of arguments in each type's body. The last argument runs to the end of the body, so the
 * parser splits at the first `count - 1` NUL bytes only. The Record type makes a missing entry a
 * compile error.
 */
export const ARG_COUNT: Readonly<Record<PacketTypeNumber, number>> = {
  [PacketType.CAN_DO]: 1,
  [PacketType.CANT_DO]: 1,
  [PacketType.RESET_ABILITIES]: 0,
  [PacketType.PRE_SLEEP]: 0,
  [PacketType.NOOP]: 0,
  [PacketType.SUBMIT_JOB]: 3,
  [PacketType.JOB_CREATED]: 1,
  [PacketType.GRAB_JOB]: 0,
  [PacketType.NO_JOB]: 0,
  [PacketType.JOB_ASSIGN]: 3,
  [PacketType.WORK_STATUS]: 3,
  [PacketType.WORK_COMPLETE]: 2,
  [PacketType.WORK_FAIL]: 1,
  [PacketType.GET_STATUS]: 1,
  [PacketType.ECHO_REQ]: 1,
  [PacketType.ECHO_RES]: 1,
  [PacketType.SUBMIT_JOB_BG]: 3,
  [PacketType.ERROR]: 2,
  [PacketType.STATUS_RES]: 5,
  [PacketType.SUBMIT_JOB_HIGH]: 3,
  [PacketType.SET_CLIENT_ID]: 1,
  [PacketType.CAN_DO_TIMEOUT]: 2,
  [PacketType.ALL_YOURS]: 0,
  [PacketType.WORK_EXCEPTION]: 2,
  [PacketType.OPTION_REQ]: 1,
  [PacketType.OPTION_RES]: 1,
  [PacketType.WORK_DATA]: 2,
  [PacketType.WORK_WARNING]: 2,
  [PacketType.GRAB_JOB_UNIQ]: 0,
  [PacketType.JOB_ASSIGN_UNIQ]: 4,
  [PacketType.SUBMIT_JOB_HIGH_BG]: 3,
  [PacketType.SUBMIT_JOB_LOW]: 3,
  [PacketType.SUBMIT_JOB_LOW_BG]: 3,
  [PacketType.SUBMIT_JOB_SCHED]: 8,
  [PacketType.SUBMIT_JOB_EPOCH]: 4,
  [PacketType.SUBMIT_REDUCE_JOB]: 5,
  [PacketType.SUBMIT_REDUCE_JOB_BACKGROUND]: 5,
  [PacketType.GRAB_JOB_ALL]: 0,
  [PacketType.JOB_ASSIGN_ALL]: 5,
  [PacketType.GET_STATUS_UNIQUE]: 1,
  [PacketType.STATUS_RES_UNIQUE]: 6,
};

/**
 * Types whose only argument is a job handle. A handle never contains NUL, and gearmand sends
 * WORK_FAIL as `handle\0` when it converts a WORK_EXCEPTION (§5.7), so receivers strip one
 * trailing NUL from these.
 */
export const HANDLE_ONLY_TYPES: ReadonlySet<PacketTypeNumber> = new Set([
  PacketType.JOB_CREATED,
  PacketType.WORK_FAIL,
  PacketType.GET_STATUS,
]);

const NAME_OF = new Map<number, PacketTypeName>(Object.entries(PacketType).map(([name, type]) => [type, name as PacketTypeName]));

export function isPacketType(type: number): type is PacketTypeNumber {
  return NAME_OF.has(type);
}

/** `WORK_DATA` for 28; `type 99` for numbers outside the protocol (for messages and logs). */
export function packetTypeName(type: number): string {
  return NAME_OF.get(type) ?? `type ${type}`;
}

/** Magic words as big-endian 32-bit numbers: `\0REQ` is sent to the server, `\0RES` by it. */
export const Magic = {
  REQ: 0x00524551,
  RES: 0x00524553,
} as const;

export type MagicName = keyof typeof Magic;

/** Magic (4) + type (4) + body length (4), all big-endian. */
export const HEADER_SIZE = 12;

/** The body length field is an unsigned 32-bit number. */
export const MAX_BODY_SIZE = 0xffff_ffff;
