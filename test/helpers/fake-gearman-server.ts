// A fake Gearman job server on 127.0.0.1, built on our own codec, for integration tests. The rule: a test uses it
// only for a fault a real gearmand cannot be made to produce; everything else is tested against real gearmand.
import net from 'node:net';
import { encodePacket } from '../../src/gearman/encode.js';
import { PacketParser } from '../../src/gearman/parser.js';
import type { ParsedPacket } from '../../src/gearman/parser.js';
import type { ServerAddress } from '../../src/gearman/server-address.js';
import type { CleanupList } from './gearmand.js';

/** A server on 127.0.0.1 that hands every packet it receives to `respond` along with its socket; stopped by `cleanups`. */
export async function startFakeGearmanServer(
  respond: (packet: ParsedPacket, socket: net.Socket) => void,
  cleanups: CleanupList,
): Promise<ServerAddress> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    const parser = new PacketParser();
    socket.on('data', (chunk: Buffer) => {
      for (const item of parser.push(chunk)) if (item.kind === 'packet') respond(item, socket);
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  cleanups.push(
    () =>
      new Promise((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  );
  return { host: '127.0.0.1', port: (server.address() as net.AddressInfo).port };
}

/** A response packet, as the fake writes it to its socket. */
export const res = (type: Parameters<typeof encodePacket>[0], args: string[]): Buffer => encodePacket(type, args, 'RES');
