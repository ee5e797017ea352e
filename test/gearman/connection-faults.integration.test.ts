// Faults the real gearmand cannot be asked to produce, from a fake server built on our own codec.
import type net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { GearmanConnection } from '../../src/gearman/connection.js';
import { ConnectionErrorReason, GearmanProtocolError, ProtocolErrorCode } from '../../src/gearman/errors.js';
import { PacketType } from '../../src/gearman/packet-types.js';
import type { ParsedPacket } from '../../src/gearman/parser.js';
import { res, startFakeGearmanServer } from '../helpers/fake-gearman-server.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** A fake server that hands every packet it receives to `respond`, and a connection to it. */
async function fakeServer(respond: (packet: ParsedPacket, socket: net.Socket) => void): Promise<GearmanConnection> {
  const connection = await GearmanConnection.connect(await startFakeGearmanServer(respond, cleanups));
  cleanups.push(() => connection.close());
  return connection;
}

/** ECHO_REQ round trip; resolves with the echoed bytes. */
async function echo(connection: GearmanConnection, data: string): Promise<Buffer | undefined> {
  return (await connection.request(PacketType.ECHO_REQ, [data])).args[0];
}

describe('GearmanConnection against a misbehaving server', () => {
  it('runs onCreated before dispatching a WORK_DATA that arrived in the same chunk as JOB_CREATED', async () => {
    const connection = await fakeServer((packet, socket) => {
      if (packet.type === PacketType.SUBMIT_JOB) {
        socket.write(Buffer.concat([res(PacketType.JOB_CREATED, ['H:x:1']), res(PacketType.WORK_DATA, ['H:x:1', 'r1'])]));
      }
    });
    // Set from onCreated; a `.then` on the submit would run only after the WORK_DATA was dispatched.
    const known = new Set<string>();
    const order: string[] = [];
    connection.on('packet', (packet) => {
      const handle = String(packet.args[0]);
      order.push(`${known.has(handle) ? 'known' : 'UNKNOWN'} ${handle} ${String(packet.args[1])}`);
    });
    const handle = await connection.submit(PacketType.SUBMIT_JOB, 'f', 'u', 'p', (created) => known.add(created));
    expect(handle).toBe('H:x:1');
    expect(order).toEqual(['known H:x:1 r1']);
  });

  it('reports an unknown packet type as a protocol error and keeps the connection', async () => {
    const connection = await fakeServer((packet, socket) => {
      if (packet.type !== PacketType.ECHO_REQ) return;
      const unknown = Buffer.from('00524553' + '00000063' + '00000002' + '4142', 'hex');
      socket.write(Buffer.concat([unknown, res(PacketType.ECHO_RES, [String(packet.args[0])])]));
    });
    const errors: GearmanProtocolError[] = [];
    connection.on('protocol-error', (error) => errors.push(error));
    await expect(echo(connection, 'still here')).resolves.toEqual(Buffer.from('still here'));
    expect(errors.map((error) => error.code)).toEqual([ProtocolErrorCode.UNKNOWN_TYPE]);
    expect(connection.isClosed).toBe(false);
  });

  it('passes an ERROR that arrives while an ECHO is the oldest request to the packet listeners', async () => {
    const connection = await fakeServer((packet, socket) => {
      if (packet.type !== PacketType.ECHO_REQ) return;
      socket.write(res(PacketType.ERROR, ['JOB_NOT_FOUND', 'Job given in work result not found']));
      socket.write(res(PacketType.ECHO_RES, ['e']));
    });
    const unsolicited: string[] = [];
    connection.on('packet', (packet) => unsolicited.push(packet.args.map(String).join(' ')));
    await expect(echo(connection, 'e')).resolves.toEqual(Buffer.from('e'));
    expect(unsolicited).toEqual(['JOB_NOT_FOUND Job given in work result not found']);
  });

  it('says so when the server closes in the middle of a packet', async () => {
    const connection = await fakeServer((packet, socket) => {
      if (packet.type === PacketType.ECHO_REQ) socket.end(res(PacketType.ECHO_RES, ['abcdef']).subarray(0, 15));
    });
    const error = await echo(connection, 'abcdef').catch((caught: unknown) => caught);
    expect(error).toMatchObject({ reason: ConnectionErrorReason.CLOSED_BY_SERVER });
    expect(String(error)).toMatch(/3 bytes of an incomplete packet dropped/);
  });
});
