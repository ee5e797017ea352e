// fanout worker end to end: the real binary against a real gearmand and loopback fleet, stopped with signals
// as a service manager would, and under its own supervisor with --processes.
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFleet } from '../../fixtures/fleet/fleet.js';
import type { Fleet } from '../../fixtures/fleet/fleet.js';
import { fetchStatus, fetchWorkers } from '../../src/gearman/admin-client.js';
import type { WorkerInfo } from '../../src/gearman/admin-text.js';
import { startGearmand } from '../helpers/gearmand.js';
import type { Gearmand } from '../helpers/gearmand.js';
import { RawClient, recordsOf } from '../helpers/raw-gearman-client.js';
import { BIN } from '../helpers/run-cli.js';
import { checkRecords } from '../helpers/schemas.js';

const FN = 'fanout.http';

const cleanups: (() => Promise<void> | void)[] = [];
// Aborted when the test times out: polling stops with it instead of querying servers the cleanup has stopped.
let testSignal: AbortSignal;
beforeEach(({ signal }) => {
  testSignal = signal;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Running {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function spawnWorker(args: readonly string[]): Running {
  const child = spawn(process.execPath, [BIN, 'worker', ...args], {
    env: { ...process.env, FANOUT_GEARMAN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout?.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('close', (code, signal) => resolve({ code, signal })),
  );
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    await exited;
  });
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}

async function gearmand(): Promise<Gearmand> {
  const server = await startGearmand();
  cleanups.push(() => server.stop());
  return server;
}

async function fleet(hosts: number, latencyMs: number): Promise<Fleet> {
  const started = await startFleet({ hosts, latencyMs });
  cleanups.push(() => started.close());
  return started;
}

async function client(server: Gearmand): Promise<RawClient> {
  const raw = await RawClient.connect({ host: server.host, port: server.port });
  cleanups.push(() => raw.close());
  return raw;
}

/**
 * Polls until `accept` holds for what `read` returns (gearmand's admin answers have no event to wait for).
 * No deadline of its own: the test's timeout bounds it, and then it stops, naming the last value.
 */
async function until<T>(read: () => Promise<T>, accept: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (testSignal.aborted) throw new Error(`condition never met; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Resolves once the process has written `text` on stderr. */
async function untilStderr(worker: Running, text: string): Promise<void> {
  await until(
    () => Promise.resolve(worker.stderr()),
    (stderr) => stderr.includes(text),
  );
}

const fanoutWorkers = async (server: Gearmand): Promise<WorkerInfo[]> =>
  (await fetchWorkers({ host: server.host, port: server.port })).filter((worker) => worker.functions.includes(FN));

const running = async (server: Gearmand): Promise<number> =>
  (await fetchStatus({ host: server.host, port: server.port })).find((status) => status.function === FN)?.running ?? 0;

/** Worker pids from their default ids (HOSTNAME/PID). */
const pidsOf = (workers: WorkerInfo[]): number[] => workers.map((w) => Number(w.id.split('/').pop())).sort((a, b) => a - b);

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('fanout worker', () => {
  it('serves jobs, and on SIGTERM finishes the job in hand, delivers it and exits 0 with nothing on stdout', async () => {
    const server = await gearmand();
    const hosts = await fleet(6, 300);
    const worker = spawnWorker(['--gearman', server.address, '-c', '2', '--id', 'e2e-worker']);
    await until(
      () => fanoutWorkers(server),
      (workers) => workers.some((w) => w.id === 'e2e-worker'),
    );
    const raw = await client(server);

    const job = raw.submit(FN, JSON.stringify({ v: 1, hosts: hosts.hosts })).done;
    await until(
      () => running(server),
      (count) => count === 1,
    );
    worker.child.kill('SIGTERM');

    const reply = await job;
    expect(reply.end).toEqual({ type: 'complete', text: `${JSON.stringify({ hosts: 6, ok: 6, failed: 0 })}\n` });
    expect(checkRecords(recordsOf(reply)).map((record) => [record.ok, record.worker])).toEqual(Array(6).fill([true, 'e2e-worker']));
    expect(await worker.exited).toEqual({ code: 0, signal: null });
    expect(worker.stdout()).toBe('');
    const lines = worker.stderr().trimEnd().split('\n');
    expect(lines.every((line) => line.startsWith('fanout worker: '))).toBe(true);
    expect(lines.some((line) => line.includes('SIGTERM'))).toBe(true);
    // It said it serves only once registered, and one line for the job: its id, hosts, how they went, its time.
    const serving = lines.findIndex((line) => line.includes('e2e-worker serving fanout.http'));
    expect(serving).toBeGreaterThan(lines.findIndex((line) => line.includes(`connected to ${server.address}`)));
    expect(lines.filter((line) => /^fanout worker: job \S+: 6 of 6 hosts · 6 ok · 0 failed · \d+\.\d s$/.test(line))).toHaveLength(1);
  });

  it('quits at once with 130 on a second signal, handing the unfinished job back to gearmand', async () => {
    // The hosts answer after an hour and the job's timeout is an hour, far past any test timeout: the worker can
    // only exit because of the second signal, and the job can only be back in the queue because it let go of it.
    const HOUR = 3_600_000;
    const server = await gearmand();
    const hosts = await fleet(2, HOUR);
    const worker = spawnWorker(['--gearman', server.address]);
    const raw = await client(server);
    void raw.submit(FN, JSON.stringify({ v: 1, hosts: hosts.hosts, spec: { timeoutMs: HOUR } }));
    await until(
      () => running(server),
      (count) => count === 1,
    );

    worker.child.kill('SIGTERM');
    await untilStderr(worker, 'SIGTERM: taking no new jobs, finishing the 1 in hand');
    worker.child.kill('SIGINT');
    expect(await worker.exited).toEqual({ code: 130, signal: null });
    expect(worker.stderr()).toContain('SIGINT again: quitting, 1 job(s) in hand go back to gearmand');
    // Back in the queue, waiting for another worker.
    const requeued = async (): Promise<unknown> =>
      (await fetchStatus({ host: server.host, port: server.port })).filter((s) => s.function === FN);
    await until(requeued, (status) => JSON.stringify(status) === JSON.stringify([{ function: FN, total: 1, running: 0, workers: 0 }]));
  });

  it('--processes 2: restarts a worker process that dies, and stops them all on SIGTERM', async () => {
    const server = await gearmand();
    const supervisor = spawnWorker(['--gearman', server.address, '--processes', '2']);
    const children = pidsOf(
      await until(
        () => fanoutWorkers(server),
        (workers) => workers.length === 2,
      ),
    );
    cleanups.push(() => children.forEach((pid) => isAlive(pid) && process.kill(pid, 'SIGKILL')));
    const [victim, survivor] = children as [number, number];

    process.kill(victim, 'SIGKILL');
    const after = pidsOf(
      await until(
        () => fanoutWorkers(server),
        (workers) => workers.length === 2 && !pidsOf(workers).includes(victim),
      ),
    );
    expect(after).toContain(survivor);
    const restarted = after.find((pid) => pid !== survivor) as number;
    children.push(restarted);
    expect(supervisor.stderr()).toMatch(new RegExp(`worker process ${victim} was killed by SIGKILL; restarting it`));

    supervisor.child.kill('SIGTERM');
    expect(await supervisor.exited).toEqual({ code: 0, signal: null });
    expect([survivor, restarted].filter(isAlive)).toEqual([]);
    expect(supervisor.stdout()).toBe('');
  });

  it('--processes: when the supervisor is killed, its worker processes leave instead of running on as orphans', async () => {
    const server = await gearmand();
    const supervisor = spawnWorker(['--gearman', server.address, '--processes', '2']);
    const children = pidsOf(
      await until(
        () => fanoutWorkers(server),
        (list) => list.length === 2,
      ),
    );
    cleanups.push(() => children.forEach((pid) => isAlive(pid) && process.kill(pid, 'SIGKILL')));

    supervisor.child.kill('SIGKILL');
    await until(
      () => fanoutWorkers(server),
      (list) => list.length === 0,
    );
  });
});
