// GearmanWorker, the generic worker, against a real gearmand with trivial handlers, driven by a bare client
// (SUBMIT_JOB over a GearmanConnection, every packet of the job collected). Waits are for events, never for
// time: where a test proves that the worker did NOT grab, the worker's sends are counted synchronously and the
// check follows an admin round trip to gearmand, which cannot complete before the worker has judged room.
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { fetchStatus } from '../../src/gearman/admin-client.js';
import { GearmanConnection } from '../../src/gearman/connection.js';
import { ConnectionErrorReason } from '../../src/gearman/errors.js';
import { PacketType, packetTypeName } from '../../src/gearman/packet-types.js';
import type { ParsedPacket } from '../../src/gearman/parser.js';
import type { ServerAddress } from '../../src/gearman/server-address.js';
import { GearmanWorker } from '../../src/gearman/worker.js';
import type { GearmanWorkerEvents, GearmanWorkerOptions, JobHandler } from '../../src/gearman/worker.js';
import { gearmandPerTest } from '../helpers/gearmand.js';
import type { Gearmand } from '../helpers/gearmand.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const gearmand = gearmandPerTest(cleanups);

const addressOf = (server: Gearmand): ServerAddress => ({ host: server.host, port: server.port });

/** A worker, not started yet (attach listeners first), killed after the test. */
function newWorker(options: Omit<GearmanWorkerOptions, 'backoff'>): GearmanWorker {
  const worker = new GearmanWorker({ id: 'test-worker', backoff: { minDelayMs: 20, maxDelayMs: 100 }, ...options });
  cleanups.push(() => worker.kill());
  return worker;
}

/** Resolves with the arguments of the worker's next such event. */
function next<K extends keyof GearmanWorkerEvents>(worker: GearmanWorker, event: K): Promise<GearmanWorkerEvents[K]> {
  return once(worker, event) as Promise<GearmanWorkerEvents[K]>;
}

/** A promise and the function that resolves it. */
function opening(): { opened: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Resolves once the signal is aborted. */
function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

/** Counts the packets sent with GearmanConnection.send from now on: the worker's (the client uses request()). */
function sentPackets(): { count: (type: number) => number } {
  const spy = vi.spyOn(GearmanConnection.prototype, 'send');
  cleanups.push(() => Promise.resolve(spy.mockRestore()));
  return { count: (type) => spy.mock.calls.filter(([sentType]) => sentType === type).length };
}

interface Submitted {
  created: Promise<string>;
  /** Every packet of the job up to the one that ends it, as `TYPE arg arg` without the handle. */
  done: Promise<string[]>;
}

const END_TYPES: ReadonlySet<number> = new Set([PacketType.WORK_COMPLETE, PacketType.WORK_EXCEPTION, PacketType.WORK_FAIL]);

/** A bare client, as a foreign one would be: exceptions on, SUBMIT_JOB, the job's packets by handle. */
async function client(server: Gearmand): Promise<{ submit: (fn: string, payload: string) => Submitted }> {
  const connection = await GearmanConnection.connect(addressOf(server));
  cleanups.push(() => connection.close());
  await connection.request(PacketType.OPTION_REQ, ['exceptions']);
  const jobs = new Map<string, { packets: string[]; resolve: (packets: string[]) => void }>();
  connection.on('packet', (packet: ParsedPacket) => {
    const [handle, ...rest] = packet.args.map((arg) => arg.toString('utf8'));
    const job = jobs.get(handle ?? '');
    if (job === undefined) return;
    job.packets.push([packetTypeName(packet.type), ...rest].join(' '));
    if (END_TYPES.has(packet.type)) job.resolve(job.packets);
  });
  return {
    submit: (fn, payload) => {
      let resolveDone: (packets: string[]) => void = () => undefined;
      const done = new Promise<string[]>((resolve) => (resolveDone = resolve));
      // The handle is recorded on JOB_CREATED itself: the job's first packets may follow it in the same read.
      const created = connection.request(PacketType.SUBMIT_JOB, [fn, randomUUID(), payload], (reply) => {
        jobs.set(reply.args[0]?.toString('utf8') ?? '', { packets: [], resolve: resolveDone });
      });
      return { created: created.then((reply) => reply.args[0]?.toString('utf8') ?? ''), done };
    },
  };
}

/** Echoes the payload as WORK_DATA, reports progress, warns, and completes with the payload. */
const echo: JobHandler = async (job, io) => {
  await io.data(job.payload);
  await io.status(1, 1);
  await io.warning('careful');
  return job.payload;
};

describe('GearmanWorker against gearmand', () => {
  it('registers every function and runs each job with its handler: WORK_DATA, WORK_STATUS, WORK_WARNING, WORK_COMPLETE', async () => {
    const server = await gearmand();
    const seen: string[] = [];
    const worker = newWorker({
      servers: [addressOf(server)],
      functions: new Map<string, JobHandler>([
        ['echo', echo],
        ['reverse', (job) => Promise.resolve([...job.payload.toString('utf8')].reverse().join(''))],
        [
          'nothing',
          (job) => {
            seen.push(`${job.functionName} ${job.server} ${job.unique.length > 0}`);
            return Promise.resolve();
          },
        ],
      ]),
    });
    worker.start();
    const raw = await client(server);

    const [echoed, reversed, nothing] = await Promise.all([
      raw.submit('echo', 'hello').done,
      raw.submit('reverse', 'abc').done,
      raw.submit('nothing', '').done,
    ]);
    expect(echoed).toEqual(['WORK_DATA hello', 'WORK_STATUS 1 1', 'WORK_WARNING careful', 'WORK_COMPLETE hello']);
    expect(reversed).toEqual(['WORK_COMPLETE cba']);
    expect(nothing).toEqual(['WORK_COMPLETE ']);
    expect(seen).toEqual([`nothing ${server.address} true`]);
    expect(worker.functionNames).toEqual(['echo', 'reverse', 'nothing']);
    expect(worker.stats).toEqual({ taken: 3, completed: 3, exceptions: 0, lost: 0, held: 0 });
  });

  it('holds up to maxJobs jobs at once and grabs the next only when one of them has ended', async () => {
    const server = await gearmand();
    const raw = await client(server);
    const jobs = ['a', 'b', 'c'].map((payload) => raw.submit('hold', payload));
    await Promise.all(jobs.map((job) => job.created));
    const releases = new Map<string, () => void>();
    const order: string[] = [];
    const worker = newWorker({
      servers: [addressOf(server)],
      maxJobs: 2,
      functions: {
        // Every hold also ends on abort, so that the cleanup's kill() ends a failed test.
        hold: async (job, _io, signal) => {
          await Promise.race([new Promise<void>((resolve) => releases.set(job.payload.toString('utf8'), resolve)), aborted(signal)]);
          return `done ${job.payload.toString('utf8')}`;
        },
      },
    });
    worker.on('job-start', (job) => order.push(`start ${job.payload.toString('utf8')}`));
    worker.on('job-end', (job) => order.push(`end ${job.payload.toString('utf8')}`));
    const sent = sentPackets();
    const secondStart = new Promise<void>((resolve) => worker.on('job-start', () => worker.stats.held === 2 && resolve()));
    worker.start();

    await secondStart;
    // The admin round trip completes only after the worker has judged room following the second job: no third grab.
    expect(await fetchStatus(addressOf(server))).toEqual([{ function: 'hold', total: 3, running: 2, workers: 1 }]);
    expect(sent.count(PacketType.GRAB_JOB_UNIQ)).toBe(2);

    const third = next(worker, 'job-start');
    releases.get('a')?.();
    await third;
    expect(order).toEqual(['start a', 'start b', 'end a', 'start c']);
    releases.get('b')?.();
    releases.get('c')?.();
    expect(await Promise.all(jobs.map((job) => job.done))).toEqual([
      ['WORK_COMPLETE done a'],
      ['WORK_COMPLETE done b'],
      ['WORK_COMPLETE done c'],
    ]);
  });

  it('asks for no job while hasRoom() is false, and not before wake() once it is true again', async () => {
    const server = await gearmand();
    const raw = await client(server);
    const job = raw.submit('echo', 'x');
    await job.created;
    let room = false;
    const worker = newWorker({ servers: [addressOf(server)], functions: { echo }, hasRoom: () => room });
    const sent = sentPackets();
    const registered = next(worker, 'registered');
    worker.start();

    await registered;
    expect(await fetchStatus(addressOf(server))).toMatchObject([{ function: 'echo', total: 1, running: 0 }]);
    expect(sent.count(PacketType.GRAB_JOB_UNIQ)).toBe(0);
    room = true;
    expect(await fetchStatus(addressOf(server))).toMatchObject([{ function: 'echo', total: 1, running: 0 }]);
    expect(sent.count(PacketType.GRAB_JOB_UNIQ)).toBe(0);

    worker.wake();
    expect(await job.done).toEqual(['WORK_DATA x', 'WORK_STATUS 1 1', 'WORK_WARNING careful', 'WORK_COMPLETE x']);
  });

  it("answers a handler's rejection (or throw) with WORK_EXCEPTION carrying its message, and carries on", async () => {
    const server = await gearmand();
    const worker = newWorker({
      servers: [addressOf(server)],
      functions: {
        reject: async () => Promise.reject(new Error('no such thing')),
        throw: () => {
          throw new Error('thrown before any await');
        },
        echo,
      },
    });
    const results: GearmanWorkerEvents['job-end'][1][] = [];
    worker.on('job-end', (_job, result) => results.push(result));
    worker.start();
    const raw = await client(server);

    expect(await raw.submit('reject', '').done).toEqual(['WORK_EXCEPTION no such thing']);
    expect(await raw.submit('throw', '').done).toEqual(['WORK_EXCEPTION thrown before any await']);
    expect(await raw.submit('echo', 'still here').done).toContain('WORK_COMPLETE still here');
    expect(results.map((result) => (result.outcome === 'exception' ? result.text : result.outcome))).toEqual([
      'no such thing',
      'thrown before any await',
      'complete',
    ]);
    expect(worker.stats).toMatchObject({ taken: 3, completed: 1, exceptions: 2 });
  });

  it('stop() lets the job in hand finish and deliver everything, takes no new job, then closes', async () => {
    const server = await gearmand();
    const gate = opening();
    const worker = newWorker({
      servers: [addressOf(server)],
      maxJobs: 2,
      functions: {
        hold: async (job, io, signal) => {
          await io.data(`partial ${job.payload.toString('utf8')}`);
          await Promise.race([gate.opened, aborted(signal)]);
          return 'finished';
        },
      },
    });
    const started = next(worker, 'job-start');
    worker.start();
    const raw = await client(server);

    const first = raw.submit('hold', 'a');
    await started;
    const stopped = worker.stop();
    const second = raw.submit('hold', 'b');
    await second.created;
    gate.open();

    expect(await first.done).toEqual(['WORK_DATA partial a', 'WORK_COMPLETE finished']);
    await stopped;
    expect(worker.stats).toEqual({ taken: 1, completed: 1, exceptions: 0, lost: 0, held: 0 });
    expect(await fetchStatus(addressOf(server))).toEqual([{ function: 'hold', total: 1, running: 0, workers: 0 }]);
  });

  it('kill() aborts the job in hand, sends nothing more for it, and gearmand gives it to another worker', async () => {
    const server = await gearmand();
    const late: unknown[] = [];
    const first = newWorker({
      servers: [addressOf(server)],
      id: 'first',
      functions: {
        job: async (_job, io, signal) => {
          await aborted(signal);
          // Too late: the job is no longer ours, so this is refused and nothing reaches gearmand.
          await io.data('late').catch((error: unknown) => late.push(error));
          throw new Error('not sent either');
        },
      },
    });
    const started = next(first, 'job-start');
    first.start();
    const raw = await client(server);
    const job = raw.submit('job', 'payload');
    await started;

    const second = newWorker({
      servers: [addressOf(server)],
      id: 'second',
      functions: { job: (j) => Promise.resolve(`done by second: ${j.payload.toString('utf8')}`) },
    });
    const registered = next(second, 'registered');
    second.start();
    await registered;
    const ended = next(first, 'job-end');
    await first.kill();

    expect((await ended)[1]).toEqual({ outcome: 'lost' });
    expect(late).toHaveLength(1);
    expect(await job.done).toEqual(['WORK_COMPLETE done by second: payload']);
    expect(first.stats).toMatchObject({ taken: 1, lost: 1, held: 0 });
  });

  it('takes jobs from every server it is given', async () => {
    const [one, two] = await Promise.all([gearmand(), gearmand()]);
    const worker = newWorker({ servers: [addressOf(one), addressOf(two)], functions: { echo } });
    const servers: string[] = [];
    worker.on('job-start', (job) => servers.push(job.server));
    worker.start();
    const [rawOne, rawTwo] = await Promise.all([client(one), client(two)]);

    const replies = await Promise.all([rawOne.submit('echo', 'one').done, rawTwo.submit('echo', 'two').done]);
    expect(replies.map((packets) => packets.at(-1))).toEqual(['WORK_COMPLETE one', 'WORK_COMPLETE two']);
    expect(servers.sort()).toEqual([one.address, two.address].sort());
  });

  it('after gearmand restarts on the same port, registers again and runs new jobs; the job in hand is lost', async () => {
    const first = await gearmand();
    const worker = newWorker({
      servers: [addressOf(first)],
      functions: { hold: async (_job, _io, signal) => aborted(signal), echo },
    });
    const registeredOnce = next(worker, 'registered');
    worker.start();
    await registeredOnce;
    const raw = await client(first);
    const started = next(worker, 'job-start');
    void raw.submit('hold', '');
    await started;

    const disconnected = next(worker, 'disconnected');
    const ended = next(worker, 'job-end');
    first.kill('SIGKILL');
    await first.exited;
    const [server, error, abandoned] = await disconnected;
    expect([server, error.reason, abandoned]).toEqual([first.address, ConnectionErrorReason.CLOSED_BY_SERVER, 1]);
    expect((await ended)[1]).toEqual({ outcome: 'lost' });

    const registeredAgain = next(worker, 'registered');
    const second = await gearmand(first.port);
    await registeredAgain;
    const again = await client(second);
    expect(await again.submit('echo', 'back').done).toContain('WORK_COMPLETE back');
    expect(worker.stats).toMatchObject({ taken: 2, completed: 1, lost: 1, held: 0 });
  });
});
