import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { GearmanConnection } from '../../src/gearman/connection.js';
import { ConnectionErrorReason, GearmanConnectionError, GearmanServerError } from '../../src/gearman/errors.js';
import { PacketType, packetTypeName } from '../../src/gearman/packet-types.js';
import type { PacketTypeNumber } from '../../src/gearman/packet-types.js';
import type { ParsedPacket } from '../../src/gearman/parser.js';
import { startGearmand, whenStopped } from '../helpers/gearmand.js';
import type { Gearmand } from '../helpers/gearmand.js';

let gearmand: Gearmand;
const opened: GearmanConnection[] = [];

beforeAll(async () => {
  gearmand = await startGearmand();
});
afterAll(async () => {
  await gearmand.stop();
});
afterEach(async () => {
  await Promise.all(opened.splice(0).map((connection) => connection.close()));
});

async function connect(): Promise<GearmanConnection> {
  const connection = await GearmanConnection.connect({ host: gearmand.host, port: gearmand.port });
  opened.push(connection);
  return connection;
}

/** Collects a connection's unsolicited packets; next() waits for the next one, with a deadline. */
function packets(connection: GearmanConnection): { next(expected: PacketTypeNumber): Promise<ParsedPacket> } {
  const queue: ParsedPacket[] = [];
  const waiters: ((packet: ParsedPacket) => void)[] = [];
  connection.on('packet', (packet) => {
    const waiter = waiters.shift();
    if (waiter) waiter(packet);
    else queue.push(packet);
  });
  return {
    async next(expected) {
      const packet =
        queue.shift() ??
        (await new Promise<ParsedPacket>((resolve, reject) => {
          const timer = setTimeout(() => reject(new Error(`no ${packetTypeName(expected)} within 5 s`)), 5_000);
          waiters.push((received) => {
            clearTimeout(timer);
            resolve(received);
          });
        }));
      expect(packetTypeName(packet.type)).toBe(packetTypeName(expected));
      return packet;
    },
  };
}

const text = (packet: ParsedPacket): string[] => packet.args.map((arg) => arg.toString('utf8'));

describe('GearmanConnection against gearmand', () => {
  it('gets a JOB_CREATED handle for a job no worker can run yet', async () => {
    const client = await connect();
    const handle = await client.submit(PacketType.SUBMIT_JOB, 'no-worker-fn', 'u-1', 'payload');
    expect(handle).toMatch(/^H:.+:\d+$/);
  });

  it('rejects only the submit whose unique is 65 bytes (ARGUMENT_TOO_LARGE); the next one still resolves', async () => {
    const client = await connect();
    const [first, tooLarge, after] = await Promise.allSettled([
      client.submit(PacketType.SUBMIT_JOB_BG, 'fifo-fn', 'ok-1', 'a'),
      client.submit(PacketType.SUBMIT_JOB_BG, 'fifo-fn', 'x'.repeat(65), 'b'),
      client.submit(PacketType.SUBMIT_JOB_BG, 'fifo-fn', 'ok-2', 'c'),
    ]);
    expect(first.status).toBe('fulfilled');
    expect(after.status).toBe('fulfilled');
    expect(first.status === 'fulfilled' && after.status === 'fulfilled' && first.value !== after.value).toBe(true);
    expect(tooLarge.status).toBe('rejected');
    const error = tooLarge.status === 'rejected' ? (tooLarge.reason as unknown) : undefined;
    expect(error).toBeInstanceOf(GearmanServerError);
    expect(error).toMatchObject({ code: 'ARGUMENT_TOO_LARGE', serverText: 'Unique value too large' });
    // The FIFO is still aligned: a stale entry at its head would swallow this reply and leave it pending.
    await expect(client.optionRequest('exceptions')).resolves.toBe('exceptions');
  });

  it('answers OPTION_REQ exceptions with OPTION_RES and an unknown option with UNKNOWN_OPTION', async () => {
    const client = await connect();
    await expect(client.optionRequest('exceptions')).resolves.toBe('exceptions');
    await expect(client.optionRequest('no-such-option')).rejects.toMatchObject({ code: 'UNKNOWN_OPTION' });
    const echoed = await client.request(PacketType.ECHO_REQ, [Buffer.from([0, 1, 2, 0])]);
    expect(echoed.args[0]?.toString('hex')).toBe('00010200');
  });

  it('runs a worker cycle and streams WORK_DATA then WORK_COMPLETE to the client', async () => {
    const [client, worker] = await Promise.all([connect(), connect()]);
    const toWorker = packets(worker);
    const toClient = packets(client);

    worker.send(PacketType.CAN_DO, ['cycle-fn']);
    worker.send(PacketType.GRAB_JOB_UNIQ, []);
    await toWorker.next(PacketType.NO_JOB);
    worker.send(PacketType.PRE_SLEEP, []);

    let createdSynchronously: string | undefined;
    const handle = await client.submit(PacketType.SUBMIT_JOB, 'cycle-fn', 'run7:0', Buffer.from('hosts=a,b\0c'), (h) => {
      createdSynchronously = h;
    });
    expect(createdSynchronously).toBe(handle);

    await toWorker.next(PacketType.NOOP);
    worker.send(PacketType.GRAB_JOB_UNIQ, []);
    const assigned = await toWorker.next(PacketType.JOB_ASSIGN_UNIQ);
    expect(text(assigned)).toEqual([handle, 'cycle-fn', 'run7:0', 'hosts=a,b\0c']);

    worker.send(PacketType.WORK_DATA, [handle, '{"host":"a"}\n']);
    worker.send(PacketType.WORK_DATA, [handle, '{"host":"b"}\n']);
    worker.send(PacketType.WORK_COMPLETE, [handle, 'done']);

    expect(text(await toClient.next(PacketType.WORK_DATA))).toEqual([handle, '{"host":"a"}\n']);
    expect(text(await toClient.next(PacketType.WORK_DATA))).toEqual([handle, '{"host":"b"}\n']);
    expect(text(await toClient.next(PacketType.WORK_COMPLETE))).toEqual([handle, 'done']);
  });

  it('delivers WORK_FAIL with the trailing NUL stripped when gearmand converts a WORK_EXCEPTION', async () => {
    const [client, worker] = await Promise.all([connect(), connect()]);
    const toWorker = packets(worker);
    const toClient = packets(client);
    worker.send(PacketType.CAN_DO, ['exception-fn']);
    const handle = await client.submit(PacketType.SUBMIT_JOB, 'exception-fn', 'e-1', '');
    worker.send(PacketType.GRAB_JOB_UNIQ, []);
    await toWorker.next(PacketType.JOB_ASSIGN_UNIQ);
    worker.send(PacketType.WORK_EXCEPTION, [handle, 'boom']);
    expect(text(await toClient.next(PacketType.WORK_FAIL))).toEqual([handle]);
  });

  it('rejects requests and sends after close(), reporting CLOSED_LOCALLY', async () => {
    const client = await connect();
    const closeEvents: GearmanConnectionError[] = [];
    client.on('close', (error) => closeEvents.push(error));
    await client.close();
    expect(client.isClosed).toBe(true);
    expect(closeEvents.map((error) => error.reason)).toEqual([ConnectionErrorReason.CLOSED_LOCALLY]);
    await expect(client.optionRequest('exceptions')).rejects.toBeInstanceOf(GearmanConnectionError);
    expect(() => client.send(PacketType.CAN_DO, ['f'])).toThrow(GearmanConnectionError);
  });
});

describe('GearmanConnection when gearmand goes away', () => {
  it('rejects pending requests with CLOSED_BY_SERVER and emits close, then refuses to connect', async () => {
    const doomed = await startGearmand();
    try {
      const client = await GearmanConnection.connect({ host: doomed.host, port: doomed.port });
      const closeEvents: GearmanConnectionError[] = [];
      client.on('close', (error) => closeEvents.push(error));
      doomed.kill('SIGSTOP'); // so that both requests stay unanswered
      await whenStopped(doomed.pid);
      const pending = client.request(PacketType.ECHO_REQ, ['ping']);
      const submit = client.submit(PacketType.SUBMIT_JOB, 'f', 'u', 'p');
      doomed.kill('SIGKILL');
      await expect(pending).rejects.toMatchObject({ reason: ConnectionErrorReason.CLOSED_BY_SERVER });
      await expect(submit).rejects.toBeInstanceOf(GearmanConnectionError);
      expect(closeEvents.map((error) => error.reason)).toEqual([ConnectionErrorReason.CLOSED_BY_SERVER]);
      await doomed.exited;
      await expect(GearmanConnection.connect({ host: doomed.host, port: doomed.port })).rejects.toMatchObject({
        reason: ConnectionErrorReason.CONNECT_FAILED,
        server: doomed.address,
      });
    } finally {
      await doomed.stop();
    }
  });
});
