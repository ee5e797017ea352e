import { describe, expect, it } from 'vitest';
import { encodePacket } from '../../src/gearman/encode.js';
import { PacketType } from '../../src/gearman/packet-types.js';

describe('encodePacket', () => {
  it('produces the SUBMIT_JOB bytes of the protocol reference §1', () => {
    const packet = encodePacket(PacketType.SUBMIT_JOB, ['fanout', 'u-1', 'hosts=a,b,c']);
    expect(packet.toString('hex')).toBe('00524551' + '00000007' + '00000016' + '66616e6f757400' + '752d3100' + '686f7374733d612c622c63');
  });

  it('puts no NUL after the last argument: CAN_DO "f" has the 1-byte body "f"', () => {
    const packet = encodePacket(PacketType.CAN_DO, ['f']);
    expect(packet.readUInt32BE(8)).toBe(1);
    expect(packet.subarray(12).toString('latin1')).toBe('f');
  });

  it('writes an empty body for argument-less packets and the RES magic when asked', () => {
    const packet = encodePacket(PacketType.NOOP, [], 'RES');
    expect(packet.toString('hex')).toBe('00524553' + '00000006' + '00000000');
  });

  it('writes strings as UTF-8 and Buffers byte for byte, a final payload may hold NUL', () => {
    const payload = Buffer.from([0, 1, 0xff, 0]);
    const packet = encodePacket(PacketType.WORK_DATA, ['H:é:1', payload]);
    const body = packet.subarray(12);
    expect(packet.readUInt32BE(8)).toBe(body.length);
    expect(body).toEqual(Buffer.concat([Buffer.from('H:é:1', 'utf8'), Buffer.from([0]), payload]));
  });

  it('keeps an empty final argument as nothing after the separator', () => {
    const packet = encodePacket(PacketType.WORK_COMPLETE, ['H:x:1', '']);
    expect(packet.subarray(12).toString('latin1')).toBe('H:x:1\0');
  });

  it('refuses a wrong argument count instead of producing CAN_DO "f\\0"', () => {
    expect(() => encodePacket(PacketType.CAN_DO, ['f', ''])).toThrow(/CAN_DO takes 1 argument\(s\), got 2/);
    expect(() => encodePacket(PacketType.SUBMIT_JOB, ['f', 'u'])).toThrow(TypeError);
  });

  it('refuses NUL inside a non-final argument', () => {
    expect(() => encodePacket(PacketType.SUBMIT_JOB, ['f\0x', 'u', 'p'])).toThrow(/argument 1 contains a NUL/);
    expect(() => encodePacket(PacketType.SUBMIT_JOB, ['f', Buffer.from([0x41, 0]), 'p'])).toThrow(/argument 2/);
  });
});
