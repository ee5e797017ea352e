// GearmanClient against real gearmands, with the worker side scripted packet by packet over a bare
// GearmanConnection (so that each test says exactly what the worker sends), and against a fake server
// for the two things gearmand cannot be made to do: pack JOB_CREATED and a job's packets into one
// chunk, and refuse OPTION_REQ `exceptions`.
import { afterEach, describe, expect, it } from 'vitest';
import { adminCommand } from '../../src/gearman/admin-client.js';
import { ClientJob, GearmanClient } from '../../src/gearman/client.js';
import type { ClientStatusEvent, GearmanClientOptions, JobEnd, JobPriority } from '../../src/gearman/client.js';
import { GearmanConnection } from '../../src/gearman/connection.js';
import { ConnectionErrorReason, GearmanServerError } from '../../src/gearman/errors.js';
import { PacketType } from '../../src/gearman/packet-types.js';
import type { ServerAddress } from '../../src/gearman/server-address.js';
import { startGearmand, whenStopped } from '../helpers/gearmand.js';
import type { Gearmand, GearmandOptions } from '../helpers/gearmand.js';
import { res, startFakeGearmanServer } from '../helpers/fake-gearman-server.js';

const FN = 'client.test';
const WAIT_MS = 10_000;

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gearmand(options: GearmandOptions = {}): Promise<Gearmand> {
  const server = await startGearmand(options);
  cleanups.push(() => server.stop());
  return server;
}

const addressOf = (server: Gearmand): ServerAddress => ({ host: server.host, port: server.port });

type StatusOf<T extends ClientStatusEvent['type']> = Extract<ClientStatusEvent, { type: T }>;

/**
 * A started client whose status events are recorded. waitFor() returns the first matching event after
 * the one it returned last, whether it already happened or is still to come.
 */
function startClient(
  servers: readonly ServerAddress[],
  options: GearmanClientOptions = { backoff: { minDelayMs: 10, maxDelayMs: 50 } },
): {
  client: GearmanClient;
  events: ClientStatusEvent[];
  waitFor: <T extends ClientStatusEvent['type']>(type: T, accept?: (event: StatusOf<T>) => boolean) => Promise<StatusOf<T>>;
} {
  const client = new GearmanClient(servers, options);
  const events: ClientStatusEvent[] = [];
  const wakers = new Set<() => void>();
  let cursor = 0;
  client.on('status', (event) => {
    events.push(event);
    for (const wake of [...wakers]) wake();
  });
  cleanups.push(() => client.close());
  client.start();
  return {
    client,
    events,
    waitFor(type, accept = () => true) {
      const matches = (event: ClientStatusEvent): event is StatusOf<typeof type> =>
        event.type === type && accept(event as StatusOf<typeof type>);
      return new Promise((resolve, reject) => {
        const wake = (): void => {
          const index = events.findIndex((event, i) => i >= cursor && matches(event));
          if (index < 0) return;
          cursor = index + 1;
          clearTimeout(timer);
          wakers.delete(wake);
          resolve(events[index] as StatusOf<typeof type>);
        };
        const timer = setTimeout(() => {
          wakers.delete(wake);
          reject(new Error(`no matching '${type}' status event within ${WAIT_MS} ms`));
        }, WAIT_MS);
        wakers.add(wake);
        wake();
      });
    },
  };
}

/** Starts a client and waits until every one of `servers` is up. */
async function upClient(servers: readonly Gearmand[]): Promise<ReturnType<typeof startClient>> {
  const started = startClient(servers.map(addressOf));
  // Whichever comes up last: the servers' 'up' events come in no particular order.
  await started.waitFor('up', () => started.client.upServers.length === servers.length);
  return started;
}

/** Every event of a job, in order, as [name, ...arguments as text]. */
function recordEvents(job: ClientJob): string[][] {
  const seen: string[][] = [];
  const names = ['created', 'data', 'warning', 'status', 'complete', 'fail', 'exception', 'refused', 'lost'] as const;
  for (const name of names) {
    job.on(name, (...args: unknown[]) => seen.push([name, ...args.map((arg) => (arg instanceof Error ? arg.name : String(arg)))]));
  }
  return seen;
}

function mustSubmit(client: GearmanClient, unique: string, payload: string | Buffer = '', server?: string): ClientJob {
  const job = client.submit(FN, unique, payload, server === undefined ? {} : { server });
  if (job === null) throw new Error(`submit of ${unique} found no server up`);
  return job;
}

/** The job's next `name` event (for 'created': at once if it has a handle already), within WAIT_MS. */
function waitForEvent(job: ClientJob, name: 'created' | 'data'): Promise<void> {
  if (name === 'created' && job.handle !== null) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no '${name}' event of job ${job.unique} within ${WAIT_MS} ms`)), WAIT_MS);
    job.once(name, () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

interface Assignment {
  handle: string;
  functionName: string;
  unique: string;
  payload: Buffer;
}

/** The worker side, scripted: take() runs the §5.1 cycle until it holds one job; send() is the raw connection's. */
class ScriptedWorker {
  readonly #connection: GearmanConnection;
  #taking: ((job: Assignment) => void) | undefined;
  #grabbing = false;

  static async connect(server: Gearmand, functionName = FN): Promise<ScriptedWorker> {
    const connection = await GearmanConnection.connect(addressOf(server));
    cleanups.push(() => connection.close());
    connection.send(PacketType.CAN_DO, [functionName]);
    return new ScriptedWorker(connection);
  }

  private constructor(connection: GearmanConnection) {
    this.#connection = connection;
    connection.on('packet', (packet) => {
      if (packet.type === PacketType.NO_JOB) {
        this.#grabbing = false;
        connection.send(PacketType.PRE_SLEEP, []);
      } else if (packet.type === PacketType.NOOP) {
        this.#grab();
      } else if (packet.type === PacketType.JOB_ASSIGN_UNIQ) {
        this.#grabbing = false;
        const [handle, functionName, unique, payload] = packet.args;
        const taking = this.#taking;
        this.#taking = undefined;
        taking?.({
          handle: String(handle),
          functionName: String(functionName),
          unique: String(unique),
          payload: payload ?? Buffer.alloc(0),
        });
      }
    });
  }

  take(): Promise<Assignment> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the worker got no job within ${WAIT_MS} ms`)), WAIT_MS);
      this.#taking = (job) => {
        clearTimeout(timer);
        resolve(job);
      };
      this.#grab();
    });
  }

  send(type: Parameters<GearmanConnection['send']>[0], args: readonly (string | Buffer)[]): void {
    this.#connection.send(type, args);
  }

  /** One GRAB at a time and only while a take() waits, so the worker never holds a job nobody scripts. */
  #grab(): void {
    if (this.#taking === undefined || this.#grabbing) return;
    this.#grabbing = true;
    this.#connection.send(PacketType.GRAB_JOB_UNIQ, []);
  }
}

describe('GearmanClient against gearmand', () => {
  it("delivers a job's data, warning and status in order with the worker's bytes, then complete", async () => {
    const server = await gearmand();
    const worker = await ScriptedWorker.connect(server);
    const { client } = await upClient([server]);
    expect(client.upServers).toEqual([server.address]);

    const payload = Buffer.from([0x68, 0x00, 0xff, 0x0a]);
    const job = mustSubmit(client, 'u-order', payload);
    const seen = recordEvents(job);
    expect(job).toMatchObject({ server: server.address, functionName: FN, unique: 'u-order', handle: null });
    const data: Buffer[] = [];
    job.on('data', (chunk) => data.push(chunk));
    const statuses: [number, number][] = [];
    job.on('status', (numerator, denominator) => statuses.push([numerator, denominator]));

    const assigned = await worker.take();
    expect(assigned).toMatchObject({ functionName: FN, unique: 'u-order' });
    expect(assigned.payload.equals(payload)).toBe(true);
    const binary = Buffer.from([0x00, 0x01, 0x00, 0xfe]);
    worker.send(PacketType.WORK_DATA, [assigned.handle, binary]);
    worker.send(PacketType.WORK_WARNING, [assigned.handle, 'slow host']);
    worker.send(PacketType.WORK_STATUS, [assigned.handle, '3', '10']);
    worker.send(PacketType.WORK_DATA, [assigned.handle, 'second']);
    worker.send(PacketType.WORK_COMPLETE, [assigned.handle, 'summary\0with NUL']);

    const end = await job.done;
    expect(end.type).toBe('complete');
    expect(end.type === 'complete' && end.data.toString('utf8')).toBe('summary\0with NUL');
    expect(job.handle).toBe(assigned.handle);
    expect(seen).toEqual([
      ['created', assigned.handle],
      ['data', binary.toString()],
      ['warning', 'slow host'],
      ['status', '3', '10'],
      ['data', 'second'],
      ['complete', 'summary\0with NUL'],
    ]);
    expect(data.map((chunk) => chunk.toString('hex'))).toEqual([binary.toString('hex'), Buffer.from('second').toString('hex')]);
    expect(statuses).toEqual([[3, 10]]);
  });

  it('ends a job fail on WORK_FAIL, and exception with its data on WORK_EXCEPTION (not a bare fail)', async () => {
    const server = await gearmand();
    const worker = await ScriptedWorker.connect(server);
    const { client } = await upClient([server]);

    const failing = mustSubmit(client, 'u-fail');
    const failed = recordEvents(failing);
    const first = await worker.take();
    worker.send(PacketType.WORK_FAIL, [first.handle]);
    expect(await failing.done).toEqual({ type: 'fail' });
    expect(failed).toEqual([['created', first.handle], ['fail']]);

    const throwing = mustSubmit(client, 'u-exception');
    const thrown = recordEvents(throwing);
    const second = await worker.take();
    worker.send(PacketType.WORK_EXCEPTION, [second.handle, 'disk full']);
    const end = await throwing.done;
    expect(end.type === 'exception' && end.data.toString()).toBe('disk full');
    expect(thrown).toEqual([
      ['created', second.handle],
      ['exception', 'disk full'],
    ]);
  });

  it('submits round-robin over two servers and routes by connection when both hand out the same handle', async () => {
    const [one, two] = [await gearmand(), await gearmand()];
    const [workerOne, workerTwo] = await Promise.all([ScriptedWorker.connect(one), ScriptedWorker.connect(two)]);
    const { client } = await upClient([one, two]);
    expect(client.upServers).toEqual([one.address, two.address]);

    const onOne = mustSubmit(client, 'u-rr-1');
    const onTwo = mustSubmit(client, 'u-rr-2');
    expect([onOne.server, onTwo.server]).toEqual([one.address, two.address]);
    const [seenOne, seenTwo] = [recordEvents(onOne), recordEvents(onTwo)];
    const [takenOne, takenTwo] = await Promise.all([workerOne.take(), workerTwo.take()]);
    // Two fresh gearmands on one host number their first job alike: the premise of this test.
    expect(takenOne.handle).toBe(takenTwo.handle);

    workerTwo.send(PacketType.WORK_DATA, [takenTwo.handle, 'from two']);
    workerOne.send(PacketType.WORK_DATA, [takenOne.handle, 'from one']);
    workerTwo.send(PacketType.WORK_STATUS, [takenTwo.handle, '2', '2']);
    workerTwo.send(PacketType.WORK_COMPLETE, [takenTwo.handle, 'two done']);
    workerOne.send(PacketType.WORK_COMPLETE, [takenOne.handle, 'one done']);
    await Promise.all([onOne.done, onTwo.done]);
    expect(seenOne).toEqual([
      ['created', takenOne.handle],
      ['data', 'from one'],
      ['complete', 'one done'],
    ]);
    expect(seenTwo).toEqual([
      ['created', takenTwo.handle],
      ['data', 'from two'],
      ['status', '2', '2'],
      ['complete', 'two done'],
    ]);

    // The rotation goes on where it stopped; a named server is used as asked.
    expect([mustSubmit(client, 'u-rr-3').server, mustSubmit(client, 'u-rr-4').server]).toEqual([one.address, two.address]);
    expect(mustSubmit(client, 'u-rr-5', '', two.address).server).toBe(two.address);
    expect(mustSubmit(client, 'u-rr-6').server).toBe(one.address);
  });

  it("gives every submit that coalesced on one unique each of the job's packets once, though gearmand sends one copy per submit", async () => {
    const server = await gearmand();
    const worker = await ScriptedWorker.connect(server);
    const { client } = await upClient([server]);
    const jobs = [mustSubmit(client, 'u-same', 'first payload'), mustSubmit(client, 'u-same', 'ignored payload')];
    const seen = jobs.map(recordEvents);
    const taken = await worker.take();
    expect(taken.payload.toString()).toBe('first payload');
    worker.send(PacketType.WORK_DATA, [taken.handle, 'd1']);
    worker.send(PacketType.WORK_STATUS, [taken.handle, '1', '1']);
    worker.send(PacketType.WORK_COMPLETE, [taken.handle, 'end']);
    await Promise.all(jobs.map((job) => job.done));
    const expected = [
      ['created', taken.handle],
      ['data', 'd1'],
      ['status', '1', '1'],
      ['complete', 'end'],
    ];
    expect(seen).toEqual([expected, expected]);
  });

  it("ends a running job 'lost' when its gearmand is SIGKILLed, then reports 'down', and 'up' again after a restart", async () => {
    const first = await gearmand();
    const worker = await ScriptedWorker.connect(first);
    const { client, events, waitFor } = await upClient([first]);
    const order: string[] = [];
    client.on('status', (event) => order.push(`status ${event.type}`));

    const job = mustSubmit(client, 'u-doomed');
    job.on('lost', () => order.push('job lost'));
    const gotData = waitForEvent(job, 'data');
    const taken = await worker.take();
    worker.send(PacketType.WORK_DATA, [taken.handle, 'partial']);
    await gotData;

    first.kill('SIGKILL');
    const end = await job.done;
    expect(end.type).toBe('lost');
    expect(end.type === 'lost' && end.error.reason).toBe(ConnectionErrorReason.CLOSED_BY_SERVER);
    const down = await waitFor('down');
    expect(down).toMatchObject({ server: first.address, address: addressOf(first) });
    expect(order.slice(0, 2)).toEqual(['job lost', 'status down']);
    expect(client.upServers).toEqual([]);
    expect(client.submit(FN, 'u-while-down', '')).toBeNull();

    await first.exited;
    const failed = await waitFor('connect-failed');
    expect(failed).toMatchObject({ server: first.address, attempt: 1, error: { reason: ConnectionErrorReason.CONNECT_FAILED } });
    await gearmand({ port: first.port });
    const up = await waitFor('up');
    expect(up.server).toBe(first.address);
    expect(client.upServers).toEqual([first.address]);
    expect(events.filter((event) => event.type === 'up')).toHaveLength(2);
  });

  it("ends 'lost' a job whose connection closes before JOB_CREATED", async () => {
    const server = await gearmand();
    const { client, waitFor } = await upClient([server]);
    server.kill('SIGSTOP'); // the submit stays unanswered
    await whenStopped(server.pid); // kill() only queues the signal: a running gearmand could still answer
    const job = mustSubmit(client, 'u-unanswered');
    const seen = recordEvents(job);
    server.kill('SIGKILL');
    const end = await job.done;
    expect(end).toMatchObject({ type: 'lost', error: { reason: ConnectionErrorReason.CLOSED_BY_SERVER } });
    expect(job.handle).toBeNull();
    expect(seen).toEqual([['lost', 'GearmanConnectionError']]);
    await waitFor('down');
  });

  it("ends 'refused' a submit gearmand answers with ERROR (ARGUMENT_TOO_LARGE, QUEUE_ERROR at maxqueue), and goes on", async () => {
    const server = await gearmand();
    const { client } = await upClient([server]);

    // Pipelined: the ERROR answers the middle submit only, and its neighbours get their handles.
    const jobs = [mustSubmit(client, 'u-before'), mustSubmit(client, 'x'.repeat(65)), mustSubmit(client, 'u-behind')];
    const [before, tooLarge, behind] = jobs as [ClientJob, ClientJob, ClientJob];
    const seen = recordEvents(tooLarge);
    const end = await tooLarge.done;
    expect(end.type === 'refused' && end.error).toBeInstanceOf(GearmanServerError);
    expect(end).toMatchObject({ type: 'refused', error: { code: 'ARGUMENT_TOO_LARGE', serverText: 'Unique value too large' } });
    expect(seen).toEqual([['refused', 'GearmanServerError']]);
    expect(tooLarge.handle).toBeNull();
    await waitForEvent(behind, 'created');
    expect([before.handle, behind.handle]).toEqual([expect.stringMatching(/^H:/), expect.stringMatching(/^H:/)]);

    // gearmand 1.1.20 has no option that bounds its queue; the admin command `maxqueue` does (§5.8), and only
    // for a function it already knows: on an unknown one it answers OK and limits nothing.
    await expect(adminCommand(addressOf(server), `maxqueue ${FN} 2`)).resolves.toEqual({ kind: 'ok', value: '' });
    const full = mustSubmit(client, 'u-full');
    await expect(full.done).resolves.toMatchObject({ type: 'refused', error: { code: 'QUEUE_ERROR', serverText: 'Job queue is full' } });

    await adminCommand(addressOf(server), `maxqueue ${FN} 0`);
    const after = mustSubmit(client, 'u-after');
    await waitForEvent(after, 'created');
    expect(after.handle).toMatch(/^H:/);
  });

  it('submits at high or low priority: gearmand hands a queued high job out first and a low one last', async () => {
    const server = await gearmand();
    const { client, waitFor } = startClient([addressOf(server)]);
    await waitFor('up');
    const submit = (unique: string, priority: JobPriority): ClientJob | null => client.submit(FN, unique, '', { priority });
    const jobs = [submit('u-normal-1', 'normal'), submit('u-low', 'low'), submit('u-normal-2', 'normal'), submit('u-high', 'high')];
    for (const job of jobs) {
      expect(job).not.toBeNull();
      if (job !== null) await waitForEvent(job, 'created');
    }
    const worker = await ScriptedWorker.connect(server);
    const order: string[] = [];
    for (let i = 0; i < jobs.length; i++) {
      const taken = await worker.take();
      order.push(taken.unique);
      worker.send(PacketType.WORK_COMPLETE, [taken.handle, '']);
    }
    expect(order).toEqual(['u-high', 'u-normal-1', 'u-normal-2', 'u-low']);
  });

  it('returns null from submit() while no server (or not the named one) is up', async () => {
    const up = await gearmand();
    const gone = await startGearmand();
    await gone.stop();
    const client = new GearmanClient([addressOf(gone), addressOf(up)]);
    cleanups.push(() => client.close());
    expect(client.submit(FN, 'u-before-start', '')).toBeNull();
    const upped = new Promise<void>((resolve) => client.on('status', (event) => event.type === 'up' && resolve()));
    const failed = new Promise<void>((resolve) => client.on('status', (event) => event.type === 'connect-failed' && resolve()));
    client.start();
    await Promise.all([upped, failed]);
    expect(client.upServers).toEqual([up.address]);
    expect(client.submit(FN, 'u-to-gone', '', { server: gone.address })).toBeNull();
    expect(client.submit(FN, 'u-unknown', '', { server: '127.0.0.1:1' })).toBeNull();
    expect(mustSubmit(client, 'u-default').server).toBe(up.address);
    expect(mustSubmit(client, 'u-default-2').server).toBe(up.address);
  });

  it("close() ends every unfinished job 'lost' (CLOSED_LOCALLY) before it resolves, and reports the server down", async () => {
    const server = await gearmand();
    const worker = await ScriptedWorker.connect(server);
    const { client, waitFor } = await upClient([server]);
    const running = mustSubmit(client, 'u-running');
    const queued = mustSubmit(client, 'u-queued');
    const queuedCreated = waitForEvent(queued, 'created');
    const ends: JobEnd[] = [];
    for (const job of [running, queued]) void job.done.then((end) => ends.push(end));
    const gotData = waitForEvent(running, 'data');
    const taken = await worker.take();
    worker.send(PacketType.WORK_DATA, [taken.handle, 'partial']);
    await gotData;
    await queuedCreated;

    await client.close();
    expect(ends.map((end) => end.type === 'lost' && end.error.reason)).toEqual([
      ConnectionErrorReason.CLOSED_LOCALLY,
      ConnectionErrorReason.CLOSED_LOCALLY,
    ]);
    const down = await waitFor('down');
    expect(down.error.reason).toBe(ConnectionErrorReason.CLOSED_LOCALLY);
    expect(client.upServers).toEqual([]);
    expect(client.submit(FN, 'u-after-close', '')).toBeNull();
    await client.close(); // idempotent
  });

  it('refuses a function name or unique with a NUL byte at once, and an empty server list', () => {
    const client = new GearmanClient([{ host: '127.0.0.1', port: 1 }]); // never started: nothing is contacted
    expect(() => client.submit('f\0x', 'u', '')).toThrow(TypeError);
    expect(() => client.submit('f', 'u\0x', '')).toThrow(/NUL/);
    expect(() => new GearmanClient([])).toThrow(TypeError);
  });
});

describe('GearmanClient against a fake server', () => {
  it('counts a server that refuses OPTION_REQ exceptions as up, and routes packets that share the chunk of JOB_CREATED', async () => {
    const address = await startFakeGearmanServer(({ type }, socket) => {
      if (type === PacketType.OPTION_REQ) socket.write(res(PacketType.ERROR, ['UNKNOWN_OPTION', 'Server does not recognize given option']));
      if (type !== PacketType.SUBMIT_JOB) return;
      socket.write(
        Buffer.concat([
          res(PacketType.JOB_CREATED, ['H:fake:1']),
          res(PacketType.WORK_DATA, ['H:fake:1', 'r1']),
          res(PacketType.WORK_DATA, ['H:someone-else:1', 'not ours']),
          res(PacketType.WORK_STATUS, ['H:fake:1', '', 'x']),
          res(PacketType.WORK_FAIL, ['H:fake:1']),
        ]),
      );
    }, cleanups);
    const { client, waitFor } = startClient([address]);
    await waitFor('up');
    const job = mustSubmit(client, 'u-fake');
    const seen = recordEvents(job);
    const statuses: [number, number][] = [];
    job.on('status', (numerator, denominator) => statuses.push([numerator, denominator]));
    await expect(job.done).resolves.toEqual({ type: 'fail' });
    expect(seen).toEqual([['created', 'H:fake:1'], ['data', 'r1'], ['status', 'NaN', 'NaN'], ['fail']]);
    expect(statuses).toEqual([[Number.NaN, Number.NaN]]);
  });

  it('ends coalesced jobs even when a copy gearmand owes never comes: a missing copy never swallows the next packet', async () => {
    let submits = 0;
    const address = await startFakeGearmanServer(({ type }, socket) => {
      if (type === PacketType.OPTION_REQ) socket.write(res(PacketType.OPTION_RES, ['exceptions']));
      if (type !== PacketType.SUBMIT_JOB) return;
      socket.write(res(PacketType.JOB_CREATED, ['H:fake:1']));
      if (++submits < 2) return;
      // Two submits share the job: each packet is owed twice, but WORK_DATA and WORK_COMPLETE come once.
      socket.write(
        Buffer.concat([
          res(PacketType.WORK_DATA, ['H:fake:1', 'd1']),
          res(PacketType.WORK_STATUS, ['H:fake:1', '1', '1']),
          res(PacketType.WORK_STATUS, ['H:fake:1', '1', '1']),
          res(PacketType.WORK_COMPLETE, ['H:fake:1', 'end']),
        ]),
      );
    }, cleanups);
    const { client, waitFor } = startClient([address]);
    await waitFor('up');
    const jobs = [mustSubmit(client, 'u-same'), mustSubmit(client, 'u-same')];
    const seen = jobs.map(recordEvents);
    await Promise.all(jobs.map((job) => job.done));
    const expected = [
      ['created', 'H:fake:1'],
      ['data', 'd1'],
      ['status', '1', '1'],
      ['complete', 'end'],
    ];
    expect(seen).toEqual([expected, expected]);
  });

  it('reports a connection that closes before answering OPTION_REQ as a failed attempt, never up', async () => {
    const address = await startFakeGearmanServer(({ type }, socket) => {
      if (type === PacketType.OPTION_REQ) socket.destroy();
    }, cleanups);
    const { client, events, waitFor } = startClient([address]);
    const failed = await waitFor('connect-failed');
    expect(failed.error.reason).toBe(ConnectionErrorReason.CLOSED_BY_SERVER);
    expect(events.some((event) => event.type === 'up' || event.type === 'down')).toBe(false);
    expect(client.upServers).toEqual([]);
  });
});
