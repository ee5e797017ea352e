import { describe, expect, it } from 'vitest';
import { encodePacket } from '../../src/gearman/encode.js';
import { ProtocolErrorCode } from '../../src/gearman/errors.js';
import { ARG_COUNT, HANDLE_ONLY_TYPES, PacketType, packetTypeName } from '../../src/gearman/packet-types.js';
import type { MagicName, PacketTypeNumber } from '../../src/gearman/packet-types.js';
import { PacketParser } from '../../src/gearman/parser.js';
import type { ParsedItem } from '../../src/gearman/parser.js';

/** A comparable view of parsed items: Buffers as hex, errors as their code. */
function summarize(items: readonly ParsedItem[]): unknown[] {
  return items.map((item) => {
    if (item.kind === 'packet') return { ...item, args: item.args.map((arg) => arg.toString('hex')) };
    if (item.kind === 'protocol-error') return { kind: item.kind, code: item.error.code };
    return item;
  });
}

function parseChunks(chunks: readonly Buffer[]): ParsedItem[] {
  const parser = new PacketParser();
  const items = chunks.flatMap((chunk) => parser.push(chunk));
  expect(parser.pendingBytes).toBe(0);
  return items;
}

/** Deterministic PRNG (mulberry32) so a failing random split can be replayed. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function sampleArgs(type: PacketTypeNumber): Buffer[] {
  const count = ARG_COUNT[type];
  return Array.from({ length: count }, (_, i) =>
    i < count - 1
      ? Buffer.from(`${packetTypeName(type)}-arg${i}`)
      : // The final argument may hold any bytes, NUL included, but a handle-only packet's handle never ends in NUL.
        Buffer.from(HANDLE_ONLY_TYPES.has(type) ? 'H:host:42' : '\0last\0payload\xff', 'latin1'),
  );
}

const ALL_TYPES = Object.values(PacketType);

// Several packets and an admin text line, as one stream.
const STREAM_ITEMS: ParsedItem[] = [
  { kind: 'packet', magic: 'RES', type: PacketType.JOB_CREATED, args: [Buffer.from('H:vm:1')] },
  { kind: 'packet', magic: 'RES', type: PacketType.NOOP, args: [] },
  { kind: 'packet', magic: 'RES', type: PacketType.WORK_DATA, args: [Buffer.from('H:vm:1'), Buffer.from('{"a":1}\n\0{"b":2}\n')] },
  { kind: 'text', line: 'fn\t1\t0\t0' },
  { kind: 'packet', magic: 'RES', type: PacketType.WORK_COMPLETE, args: [Buffer.from('H:vm:1'), Buffer.alloc(0)] },
  { kind: 'packet', magic: 'RES', type: PacketType.ERROR, args: [Buffer.from('QUEUE_ERROR'), Buffer.from('Job queue is full')] },
];
const STREAM = Buffer.concat(
  STREAM_ITEMS.map((item) => {
    if (item.kind === 'text') return Buffer.from(`${item.line}\r\n`);
    if (item.kind === 'packet') return encodePacket(item.type, item.args, item.magic);
    throw new Error('not used');
  }),
);

describe('PacketParser', () => {
  it.each(ALL_TYPES.map((type) => [packetTypeName(type), type] as const))(
    'round-trips %s through encodePacket with both magics',
    (_name, type) => {
      for (const magic of ['REQ', 'RES'] as const satisfies readonly MagicName[]) {
        const args = sampleArgs(type);
        const items = new PacketParser().push(encodePacket(type, args, magic));
        expect(summarize(items)).toEqual(summarize([{ kind: 'packet', magic, type, args }]));
      }
    },
  );

  it('parses the SUBMIT_JOB example bytes of the protocol reference §1', () => {
    const bytes = Buffer.from('00524551 00000007 00000016 66616e6f757400 752d3100 686f7374733d612c622c63'.replaceAll(' ', ''), 'hex');
    const [item] = new PacketParser().push(bytes);
    expect(item).toMatchObject({ kind: 'packet', magic: 'REQ', type: PacketType.SUBMIT_JOB });
    expect(item?.kind === 'packet' && item.args.map(String)).toEqual(['fanout', 'u-1', 'hosts=a,b,c']);
  });

  it('parses a stream split at every byte position the same as whole', () => {
    const expected = summarize(STREAM_ITEMS);
    expect(summarize(parseChunks([STREAM]))).toEqual(expected);
    for (let cut = 1; cut < STREAM.length; cut++) {
      expect(summarize(parseChunks([STREAM.subarray(0, cut), STREAM.subarray(cut)])), `cut at ${cut}`).toEqual(expected);
    }
  });

  it('parses a stream fed one byte at a time', () => {
    const bytes = Array.from(STREAM, (byte) => Buffer.from([byte]));
    expect(summarize(parseChunks(bytes))).toEqual(summarize(STREAM_ITEMS));
  });

  it('parses a stream cut at random boundaries (seeded)', () => {
    for (let seed = 1; seed <= 200; seed++) {
      const random = seededRandom(seed);
      const chunks: Buffer[] = [];
      for (let at = 0; at < STREAM.length;) {
        const size = Math.min(STREAM.length - at, Math.floor(random() * 40));
        chunks.push(STREAM.subarray(at, at + size)); // size 0 included: empty chunks must be harmless
        at += size;
      }
      expect(summarize(parseChunks(chunks)), `seed ${seed}`).toEqual(summarize(STREAM_ITEMS));
    }
  });

  it('returns nothing until a packet is complete, then exactly it', () => {
    const parser = new PacketParser();
    const packet = encodePacket(PacketType.ECHO_RES, ['ping'], 'RES');
    expect(parser.push(packet.subarray(0, 5))).toEqual([]);
    expect(parser.push(packet.subarray(5, 13))).toEqual([]);
    expect(parser.pendingBytes).toBe(1);
    expect(parser.push(packet.subarray(13))).toHaveLength(1);
    expect(parser.pendingBytes).toBe(0);
  });

  it('strips one trailing NUL from WORK_FAIL "handle\\0" (a converted WORK_EXCEPTION)', () => {
    const [item] = new PacketParser().push(encodePacket(PacketType.WORK_FAIL, ['H:vm:7\0'], 'RES'));
    expect(item?.kind === 'packet' && item.args.map(String)).toEqual(['H:vm:7']);
  });

  it('keeps a trailing NUL of a final payload argument', () => {
    const [item] = new PacketParser().push(encodePacket(PacketType.WORK_DATA, ['H:vm:7', 'x\0'], 'RES'));
    expect(item?.kind === 'packet' && item.args.map(String)).toEqual(['H:vm:7', 'x\0']);
  });

  it('takes a final argument byte for byte: a CAN_DO body "f\\0" is the function "f\\0"', () => {
    const [item] = new PacketParser().push(Buffer.from('00524551000000010000000266' + '00', 'hex'));
    expect(item?.kind === 'packet' && item.args.map(String)).toEqual(['f\0']);
  });

  it('reports an unknown packet type as an item, skips its body and goes on', () => {
    const unknown = Buffer.from('00524553' + '00000063' + '00000003' + '414243', 'hex');
    const items = new PacketParser().push(Buffer.concat([unknown, encodePacket(PacketType.NOOP, [], 'RES')]));
    expect(summarize(items)).toEqual([
      { kind: 'protocol-error', code: ProtocolErrorCode.UNKNOWN_TYPE },
      { kind: 'packet', magic: 'RES', type: PacketType.NOOP, args: [] },
    ]);
    expect(items[0]?.kind === 'protocol-error' && items[0].error.message).toMatch(/unknown packet type 99/);
  });

  it('reports a bad magic and a body missing separators as protocol errors', () => {
    const badMagic = Buffer.from('00414243' + '00000006' + '00000000', 'hex');
    const missingSeparator = Buffer.from('00524553' + '0000000d' + '00000001' + '41', 'hex'); // WORK_COMPLETE "A"
    const bodyOnNoop = Buffer.from('00524553' + '00000006' + '00000001' + '41', 'hex');
    const items = new PacketParser().push(Buffer.concat([badMagic, missingSeparator, bodyOnNoop]));
    expect(summarize(items)).toEqual([
      { kind: 'protocol-error', code: ProtocolErrorCode.BAD_MAGIC },
      { kind: 'protocol-error', code: ProtocolErrorCode.BAD_ARGUMENTS },
      { kind: 'protocol-error', code: ProtocolErrorCode.BAD_ARGUMENTS },
    ]);
  });

  it('reads text lines ending in \\n or \\r\\n until a packet starts', () => {
    const bytes = Buffer.concat([Buffer.from('OK 1.1.20+ds\nERR X y\r\n.\n'), encodePacket(PacketType.NO_JOB, [], 'RES')]);
    expect(summarize(new PacketParser().push(bytes))).toEqual([
      { kind: 'text', line: 'OK 1.1.20+ds' },
      { kind: 'text', line: 'ERR X y' },
      { kind: 'text', line: '.' },
      { kind: 'packet', magic: 'RES', type: PacketType.NO_JOB, args: [] },
    ]);
  });

  it('parses an 8 MiB body arriving in 1 KiB chunks without quadratic re-joining', () => {
    const payload = Buffer.alloc(8 * 1024 * 1024, 0x61);
    const packet = encodePacket(PacketType.WORK_DATA, ['H:vm:1', payload], 'RES');
    const parser = new PacketParser();
    const items: ParsedItem[] = [];
    for (let at = 0; at < packet.length; at += 1024) items.push(...parser.push(packet.subarray(at, at + 1024)));
    expect(items).toHaveLength(1);
    expect(items[0]?.kind === 'packet' && items[0].args[1]?.equals(payload)).toBe(true);
  }, 2_000);
});
