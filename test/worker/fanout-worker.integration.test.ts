// FanoutWorker against a real gearmand and real loopback HTTP hosts, driven by a bare Gearman client (and by
// the stock `gearman` CLI), as any client of fanout workers would.
import { spawn } from 'node:child_process';
import type { EventEmitter } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { startFleet } from '../../fixtures/fleet/fleet.js';
import type { Fleet, FleetOptions } from '../../fixtures/fleet/fleet.js';
import { fetchStatus } from '../../src/gearman/admin-client.js';
import { GearmanConnection } from '../../src/gearman/connection.js';
import { PacketType } from '../../src/gearman/packet-types.js';
import type { ServerAddress } from '../../src/gearman/server-address.js';
import { FanoutWorker } from '../../src/worker/fanout-worker.js';
import type { FanoutWorkerOptions, JobEnd, JobInfo, WorkerEvents } from '../../src/worker/fanout-worker.js';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';
import { encodeJobPayload } from '../../src/jobs/wire-payload.js';
import type { RequestSpec } from '../../src/jobs/request-spec.js';
import { gearmandPerTest } from '../helpers/gearmand.js';
import type { Gearmand } from '../helpers/gearmand.js';
import { RawClient, recordsOf } from '../helpers/raw-gearman-client.js';
import { checkRecords, schemaViolations } from '../helpers/schemas.js';

const FN = 'fanout.http';
const SPEC: RequestSpec = { ...DEFAULT_SPEC, url: 'http://{host}/', timeoutMs: 5_000, connectTimeoutMs: 2_000 };

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const gearmand = gearmandPerTest(cleanups);

async function fleet(hosts: number, options: Omit<FleetOptions, 'hosts'> = {}): Promise<Fleet> {
  const started = await startFleet({ hosts, ...options });
  cleanups.push(() => started.close());
  return started;
}

async function client(server: ServerAddress): Promise<RawClient> {
  const raw = await RawClient.connect(server);
  cleanups.push(() => raw.close());
  return raw;
}

const addressOf = (server: Gearmand): ServerAddress => ({ host: server.host, port: server.port });

/** A started worker, killed after the test, with the lines it logged and the jobs it held at most at once. */
function worker(options: Omit<FanoutWorkerOptions, 'id'> & { id?: string }): {
  worker: FanoutWorker;
  logs: string[];
  maxHeld: () => number;
  ends: JobEnd[];
  /** Resolves on the next such event. */
  next: (event: keyof WorkerEvents) => Promise<void>;
} {
  const logs: string[] = [];
  const ends: JobEnd[] = [];
  const w = new FanoutWorker({
    id: 'test-worker',
    backoff: { minDelayMs: 20, maxDelayMs: 100 },
    ...options,
    log: (line) => logs.push(line),
  });
  let held = 0;
  let maxHeld = 0;
  w.on('job-start', () => (maxHeld = Math.max(maxHeld, ++held)));
  w.on('job-end', (end) => {
    held--;
    ends.push(end);
  });
  cleanups.push(() => w.kill());
  w.start();
  return {
    worker: w,
    logs,
    maxHeld: () => maxHeld,
    ends,
    next: (event) => new Promise((resolve) => (w as EventEmitter).once(event, () => resolve())),
  };
}

describe('FanoutWorker against gearmand', () => {
  it('runs a job of 50 hosts: one valid record per host in NDJSON WORK_DATA, WORK_STATUS, then WORK_COMPLETE', async () => {
    const server = await gearmand();
    const hosts = await fleet(50);
    worker({ servers: [addressOf(server)], id: 'worker-a' });
    const raw = await client(addressOf(server));

    const targets = hosts.hosts.map((host, index) => ({ host, index }));
    const reply = await raw.submit(FN, encodeJobPayload(SPEC, targets, 20)).done;

    expect(reply.end).toEqual({ type: 'complete', text: `${JSON.stringify({ hosts: 50, ok: 50, failed: 0 })}\n` });
    const records = recordsOf(reply);
    expect(records.map((record) => record.host).sort()).toEqual([...hosts.hosts].sort());
    expect(schemaViolations(records)).toEqual([]);
    expect(records.every((record) => record.ok && record.worker === 'worker-a')).toBe(true);
    // One status per WORK_DATA, counting up to 50 of 50.
    expect(reply.statuses).toHaveLength(reply.data.length);
    let delivered = 0;
    reply.data.forEach((body, i) => {
      delivered += body.toString('utf8').split('\n').length - 1;
      expect(reply.statuses[i]).toEqual([delivered, 50]);
    });
  });

  it('answers malformed payloads with WORK_EXCEPTION saying what is wrong, then runs the next valid job', async () => {
    const server = await gearmand();
    const hosts = await fleet(3);
    const { worker: w, logs } = worker({ servers: [addressOf(server)] });
    const raw = await client(addressOf(server));

    const bad = await Promise.all(
      ['{not json', JSON.stringify({ v: 99, hosts: ['a'] }), JSON.stringify({ v: 1, spec: {} })].map(
        (payload) => raw.submit(FN, payload).done,
      ),
    );
    expect(bad.map((reply) => reply.end.type)).toEqual(['exception', 'exception', 'exception']);
    expect(bad[0]?.end.text).toMatch(/^invalid job payload: payload is not JSON/);
    expect(bad[1]?.end.text).toMatch(/unsupported payload version 99/);
    expect(bad[2]?.end.text).toMatch(/"hosts"/);
    expect(bad.every((reply) => reply.data.length === 0)).toBe(true);
    expect(logs.filter((line) => line.includes('refused: invalid job payload'))).toHaveLength(3);

    const hand = JSON.stringify({ v: 1, hosts: hosts.hosts });
    const good = await raw.submit(FN, hand).done;
    expect(good.end.type).toBe('complete');
    expect(recordsOf(good).map((record) => record.code)).toEqual(['ok', 'ok', 'ok']);
    expect(w.stats).toMatchObject({ started: 1, completed: 1, rejected: 3, held: 0 });
  });

  it('keeps at most --concurrency requests in flight across jobs, and holds several jobs when room allows', async () => {
    const server = await gearmand();
    const counting = await countingHosts(60, (index) => 20 + (index % 5) * 10);
    cleanups.push(() => counting.close());
    const raw = await client(addressOf(server));
    const targets = counting.hosts.map((host, index) => ({ host, index }));
    // Jobs that may run 2, 2 and 100 requests at once: 104 wanted, the worker allows 5.
    const jobs = [
      raw.submit(FN, encodeJobPayload(SPEC, targets.slice(0, 20), 2)),
      raw.submit(FN, encodeJobPayload(SPEC, targets.slice(20, 40), 2)),
      raw.submit(FN, encodeJobPayload(SPEC, targets.slice(40), 100)),
    ];
    await Promise.all(jobs.map((job) => job.created));
    const { maxHeld } = worker({ servers: [addressOf(server)], concurrency: 5 });

    const replies = await Promise.all(jobs.map((job) => job.done));
    expect(replies.map((reply) => reply.end.type)).toEqual(['complete', 'complete', 'complete']);
    expect(replies.flatMap(recordsOf).filter((record) => record.ok)).toHaveLength(60);
    expect(counting.maxOpen()).toBe(5);
    expect(maxHeld()).toBe(3);
  });

  it('does not hoard: with every request slot taken it leaves the next job queued for other workers', async () => {
    const server = await gearmand();
    const gate = opening();
    const counting = await countingHosts(20, () => 0, gate.opened);
    cleanups.push(() => counting.close());
    const raw = await client(addressOf(server));
    const targets = counting.hosts.map((host, index) => ({ host, index }));
    const jobs = [
      raw.submit(FN, encodeJobPayload(SPEC, targets.slice(0, 10), 100)),
      raw.submit(FN, encodeJobPayload(SPEC, targets.slice(10), 100)),
    ];
    await Promise.all(jobs.map((job) => job.created));
    const sent = sentPackets();
    const { next } = worker({ servers: [addressOf(server)], concurrency: 5 });

    await next('job-start');
    // The hosts hold every answer: once all 5 slots are taken at the hosts, the worker has judged room since it
    // took the first job (it does so before its requests can even reach a host), and sent no second grab.
    await counting.whenOpen(5);
    expect(sent.count(PacketType.GRAB_JOB_UNIQ)).toBe(1);
    expect((await fetchStatus(addressOf(server))).filter((s) => s.function === FN)).toEqual([
      { function: FN, total: 2, running: 1, workers: 1 },
    ]);
    gate.open();
    const replies = await Promise.all(jobs.map((job) => job.done));
    expect(replies.flatMap(recordsOf)).toHaveLength(20);
    // Once the first job's last requests are finishing, slots free up and taking the second is right, so
    // how many jobs were held at once depends on timing; the queue check above is the no-hoarding proof.
    expect(counting.maxOpen()).toBe(5);
    // The grab that took the second job came after records of the first had come back (freeing slots).
    const secondGrab = sent.types().indexOf(PacketType.GRAB_JOB_UNIQ, sent.types().indexOf(PacketType.GRAB_JOB_UNIQ) + 1);
    expect(sent.types().slice(0, secondGrab)).toContain(PacketType.WORK_STATUS);
  });

  it('stop() lets the job in hand finish and deliver everything, and takes no new job', async () => {
    const server = await gearmand();
    const hosts = await fleet(10, { latencyMs: 100 });
    const { worker: w, next } = worker({ servers: [addressOf(server)] });
    const raw = await client(addressOf(server));

    const first = raw.submit(
      FN,
      encodeJobPayload(
        SPEC,
        hosts.hosts.map((host, index) => ({ host, index })),
        2,
      ),
    );
    await next('job-start');
    const stopped = w.stop();
    const second = raw.submit(FN, encodeJobPayload(SPEC, [{ host: hosts.hosts[0] ?? '', index: 0 }], 1));
    await second.created;
    let finished = false;
    void stopped.then(() => (finished = true));

    const reply = await first.done;
    expect(reply.end).toEqual({ type: 'complete', text: `${JSON.stringify({ hosts: 10, ok: 10, failed: 0 })}\n` });
    expect(recordsOf(reply)).toHaveLength(10);
    await stopped;
    expect(finished).toBe(true);
    expect(w.stats).toMatchObject({ started: 1, completed: 1, held: 0 });
    expect((await fetchStatus(addressOf(server))).filter((s) => s.function === FN)).toEqual([
      { function: FN, total: 1, running: 0, workers: 0 },
    ]);
  });

  it('after gearmand restarts on the same port, registers again and runs new jobs; the job in hand is abandoned', async () => {
    const first = await gearmand();
    // Hosts that never answer: the job is still in hand whenever gearmand dies.
    const hosts = await fleet(4, { faultFor: () => 'hang' });
    const { worker: w, next, ends, logs } = worker({ servers: [addressOf(first)] });
    await next('registered');
    const raw = await client(addressOf(first));
    void raw.submit(
      FN,
      encodeJobPayload(
        SPEC,
        hosts.hosts.map((host, index) => ({ host, index })),
        4,
      ),
    );
    await next('job-start');

    const lost = next('job-end');
    first.kill('SIGKILL');
    await first.exited;
    await lost;
    expect(ends).toMatchObject([{ outcome: 'lost', records: 0 }]);
    expect(w.stats.held).toBe(0);
    expect(logs.some((line) => line.startsWith(`lost ${first.address}`) && line.includes('1 job(s) in hand abandoned'))).toBe(true);

    const registered = next('registered');
    const second = await gearmand(first.port);
    await registered;
    const fast = await fleet(2);
    const again = await client(addressOf(second));
    const reply = await again.submit(FN, JSON.stringify({ v: 1, hosts: fast.hosts })).done;
    expect(reply.end.type).toBe('complete');
    expect(recordsOf(reply)).toHaveLength(2);
  });

  it('takes jobs from every server it is given', async () => {
    const [one, two] = await Promise.all([gearmand(), gearmand()]);
    const hosts = await fleet(4);
    const { worker: w } = worker({ servers: [addressOf(one), addressOf(two)] });
    const starts: JobInfo[] = [];
    w.on('job-start', (job) => starts.push(job));
    const [rawOne, rawTwo] = await Promise.all([client(addressOf(one)), client(addressOf(two))]);

    const halves = [hosts.hosts.slice(0, 2), hosts.hosts.slice(2)];
    const replies = await Promise.all([
      rawOne.submit(FN, JSON.stringify({ v: 1, hosts: halves[0] })).done,
      rawTwo.submit(FN, JSON.stringify({ v: 1, hosts: halves[1] })).done,
    ]);
    expect(
      replies.map((reply) =>
        recordsOf(reply)
          .map((record) => record.host)
          .sort(),
      ),
    ).toEqual(halves.map((half) => [...half].sort()));
    expect(new Set(starts.map((job) => job.server))).toEqual(new Set([one.address, two.address]));
  });

  it('serves the stock gearman CLI: a hand-written job prints one NDJSON record per host', async () => {
    const server = await gearmand();
    const hosts = await fleet(5);
    worker({ servers: [addressOf(server)] });

    const job = JSON.stringify({ v: 1, spec: { url: 'http://{host}/' }, hosts: hosts.hosts });
    const { code, stdout } = await runGearmanCli(['-h', server.host, '-p', String(server.port), '-f', FN], job);

    expect(code).toBe(0);
    // The CLI also prints WORK_STATUS as "N% Complete" lines and WORK_COMPLETE's summary after the records.
    const records = stdout
      .split('\n')
      .filter((line) => line.startsWith('{"host":'))
      .map((line) => checkRecords([JSON.parse(line) as unknown])[0]!);
    expect(records.map((record) => record.host).sort()).toEqual([...hosts.hosts].sort());
    expect(records.every((record) => record.ok)).toBe(true);
    expect(stdout).toContain(JSON.stringify({ hosts: 5, ok: 5, failed: 0 }));
  });
});

/**
 * HTTP hosts on 127.98.0.N (one address each, so each is its own origin) that answer delayMs(index) after `gate`
 * resolves and count the requests open at once, as the fleet does not.
 */
async function countingHosts(
  count: number,
  delayMs: (index: number) => number,
  gate: Promise<void> = Promise.resolve(),
): Promise<{ hosts: string[]; maxOpen: () => number; whenOpen: (n: number) => Promise<void>; close: () => Promise<void> }> {
  let open = 0;
  let maxOpen = 0;
  const waiting: { n: number; resolve: () => void }[] = [];
  const servers = await Promise.all(
    Array.from({ length: count }, (_, index) => {
      const server = http.createServer((_req, res) => {
        maxOpen = Math.max(maxOpen, ++open);
        for (const waiter of waiting.filter((w) => open >= w.n)) {
          waiting.splice(waiting.indexOf(waiter), 1);
          waiter.resolve();
        }
        void gate.then(() =>
          setTimeout(() => {
            open--;
            res.end('{}');
          }, delayMs(index)),
        );
      });
      // Each host on its own loopback address, as real hosts are (the port is the kernel's choice).
      return new Promise<http.Server>((resolve) => server.listen(0, `127.98.0.${index + 1}`, () => resolve(server)));
    }),
  );
  return {
    hosts: servers.map((server) => {
      const { address, port } = server.address() as AddressInfo;
      return `${address}:${port}`;
    }),
    maxOpen: () => maxOpen,
    /** Resolves once n requests are open at the same time. */
    whenOpen: (n) => (open >= n ? Promise.resolve() : new Promise((resolve) => waiting.push({ n, resolve }))),
    close: async () => {
      await Promise.all(
        servers.map((server) => {
          const closed = new Promise((resolve) => server.close(resolve));
          server.closeAllConnections();
          return closed;
        }),
      );
    },
  };
}

/** A promise and the function that resolves it. */
function opening(): { opened: Promise<void>; open: () => void } {
  let open: () => void = () => undefined;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/**
 * Every packet sent with GearmanConnection.send in this process from now on, in order: the worker's packets
 * (the bare client's SUBMIT_JOB and OPTION_REQ go through request()). Restored after the test.
 */
/** The packets sent on the connections that registered FN (the worker's control function has a connection of its own). */
function sentPackets(): { types: () => number[]; count: (type: number) => number } {
  const spy = vi.spyOn(GearmanConnection.prototype, 'send');
  cleanups.push(() => Promise.resolve(spy.mockRestore()));
  const types = (): number[] => {
    const calls = spy.mock.calls.map(([type, args], i) => ({ type, args, connection: spy.mock.contexts[i] }));
    const serving = new Set(calls.filter((c) => c.type === PacketType.CAN_DO && String(c.args[0]) === FN).map((c) => c.connection));
    return calls.filter((c) => serving.has(c.connection)).map((c) => c.type);
  };
  return { types, count: (type) => types().filter((sentType) => sentType === type).length };
}

function runGearmanCli(args: readonly string[], stdin: string): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('gearman', args, { stdio: ['pipe', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout });
    });
    child.stdin.end(stdin);
  });
}
