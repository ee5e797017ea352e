// Gearman mode against real gearmand processes, real fanout workers and a real loopback fleet.
import { spawn, type ChildProcess } from 'node:child_process';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { FAULT_KINDS, startFleet, type FaultKind, type Fleet } from '../../fixtures/fleet/fleet.js';
import { fetchStatus, fetchWorkers } from '../../src/gearman/admin-client.js';
import { GearmanConnection } from '../../src/gearman/connection.js';
import { PacketType } from '../../src/gearman/packet-types.js';
import { encodeRecordLines } from '../../src/jobs/wire-results.js';
import { parseServerAddress, type ServerAddress } from '../../src/gearman/server-address.js';
import { FanoutWorker } from '../../src/worker/fanout-worker.js';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';
import { decodeJobPayload } from '../../src/jobs/wire-payload.js';
import type { HostResult, ResultCode } from '../../src/record/host-result.js';
import type { Summary } from '../../src/report/summary.js';
import type { RunConfig } from '../../src/run/run-config.js';
import { exitCodeOfOutcome } from '../../src/cli/exit-codes.js';
import { runFanout, type RunIo } from '../../src/run/run-fanout.js';
import { createGearmanBackend } from '../../src/run/gearman/gearman-backend.js';
import { planTargets } from '../../src/hosts/host-source.js';
import { startGearmand, type Gearmand } from '../helpers/gearmand.js';
import { BIN, parseNdjson } from '../helpers/run-cli.js';
import { gearmanConfig, runConfig } from '../helpers/run-config.js';
import { makeResult } from '../report/make-result.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((c) => c().catch(() => undefined)));
});

const FAST_BACKOFF = { minDelayMs: 20, maxDelayMs: 200 };

interface Run {
  code: number;
  records: HostResult[];
  stderr: string;
  summary: Summary;
}

function baseConfig(hosts: readonly string[], overrides: Partial<RunConfig> = {}): RunConfig {
  return runConfig(hosts, { spec: { ...DEFAULT_SPEC, timeoutMs: 1500, connectTimeoutMs: 1000 }, runId: 'gm', ...overrides });
}

/** Runs in this process, as the pull command does, and collects what a user would see. */
async function run(config: RunConfig, during?: (records: () => number, interrupt: () => void) => void): Promise<Run> {
  let interrupt: () => void = () => undefined;
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => {
    stdout += d.toString();
    during?.(
      () => stdout.split('\n').length - 1,
      () => interrupt(),
    );
  });
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const summaryFile = `/tmp/fanout-gm-summary-${process.pid}-${Math.random().toString(36).slice(2)}.json`;
  const io: RunIo = {
    stdout: out,
    stderr: err,
    env: {},
    onInterrupt: (handler) => {
      interrupt = handler;
      return () => (interrupt = () => undefined);
    },
    gearmanBackoff: FAST_BACKOFF,
  };
  const code = exitCodeOfOutcome(await runFanout({ ...config, summaryFile }, io));
  const { readFile, rm } = await import('node:fs/promises');
  const summary = JSON.parse(await readFile(summaryFile, 'utf8')) as Summary;
  await rm(summaryFile, { force: true });
  return { code, records: parseNdjson<HostResult>(stdout), stderr, summary };
}

function startWorkers(servers: ServerAddress[], count: number, concurrency = 100): FanoutWorker[] {
  const workers = Array.from(
    { length: count },
    (_, i) => new FanoutWorker({ servers, concurrency, id: `w${i + 1}`, backoff: FAST_BACKOFF }),
  );
  for (const w of workers) w.start();
  cleanups.push(() => Promise.all(workers.map((w) => w.kill())));
  return workers;
}

async function gearmand(): Promise<Gearmand> {
  const g = await startGearmand();
  cleanups.push(() => g.stop());
  return g;
}

async function waitFor(condition: () => boolean | Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  while (!(await condition())) {
    if (performance.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function byHost(records: readonly HostResult[]): Map<string, HostResult> {
  return new Map(records.map((r) => [r.host, r]));
}

function comparable(record: HostResult): Omit<HostResult, 'durationMs' | 'worker'> {
  const { durationMs: _d, worker: _w, ...rest } = record;
  return rest;
}

describe('gearman mode', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ hosts: 2000, latencyMs: 5, faults: { '500': 0.02, refused: 0.01, hang: 0.005 }, record: true });
  });
  afterAll(() => fleet.close());

  it('2,000 hosts through 2 workers in batches of 100: the same records, summary and exit code as local mode', async () => {
    const g = await gearmand();
    startWorkers([parseServerAddress(g.address)], 2);
    const local = await run(baseConfig(fleet.hosts, { concurrency: 200 }));
    const remote = await run(baseConfig(fleet.hosts, { concurrency: 200, gearman: gearmanConfig(g.address) }));

    expect(remote.records).toHaveLength(2000);
    expect(new Set(remote.records.map((r) => r.host)).size).toBe(2000);
    const localByHost = byHost(local.records);
    for (const record of remote.records) expect(comparable(record)).toEqual(comparable(localByHost.get(record.host)!));
    expect(new Set(remote.records.map((r) => r.worker))).toEqual(new Set(['w1', 'w2']));
    expect(remote.code).toBe(local.code);
    expect(remote.code).toBe(1);
    for (const key of ['hosts', 'ok', 'failed', 'byCode', 'byStatus', 'failedHosts'] as const) {
      expect(remote.summary[key]).toEqual(local.summary[key]);
    }
    expect(local.summary.droppedRecords).toBeUndefined(); // local mode's summary keeps its shape
    expect(remote.summary.droppedRecords).toEqual({ malformed: 0, repeats: 0 });
  });

  it('ends with a clear message and exit 3 when no worker serves the function, every host with a record', async () => {
    const g = await gearmand();
    const result = await run(baseConfig(fleet.hosts.slice(0, 30), { gearman: gearmanConfig(g.address, { stallTimeoutMs: 1000 }) }));
    expect(result.code).toBe(3);
    expect(result.records).toHaveLength(30);
    expect(result.records.every((r) => r.code === 'job_lost')).toBe(true);
    expect(result.stderr).toContain(`no worker registered for function "fanout.http" on ${g.address}`);
    expect(result.stderr).toContain('fanout worker --gearman');
    // With no worker ever seen, --stall-timeout 1s means 1 s (not the 2.5 s a job of hosts that each take the 1.5 s
    // timeout needs once a worker runs it), and the run said at once why it was waiting.
    expect(result.stderr).toContain('(waited 1.0 s)');
    const hint = result.stderr.indexOf(`no worker has registered function "fanout.http" on ${g.address} yet: waiting up to 1.0 s`);
    expect(hint).toBeGreaterThanOrEqual(0);
    expect(hint).toBeLessThan(result.stderr.indexOf('30 hosts'));
  });

  it('a run reusing a --run-id is not joined to the jobs an earlier run with that id left queued in gearmand', async () => {
    const g = await gearmand();
    const lost = (hosts: readonly string[]) =>
      run(baseConfig(hosts, { runId: 'again', gearman: gearmanConfig(g.address, { stallTimeoutMs: 300 }) }));
    // No worker: each run gives up, and its job stays queued in gearmand for a worker to come.
    expect((await lost(fleet.hosts.slice(0, 5))).records.map((r) => r.code)).toEqual(Array(5).fill('job_lost'));
    expect((await lost(fleet.hosts.slice(5, 10))).records.map((r) => r.code)).toEqual(Array(5).fill('job_lost'));
    // Joined to the first run's job (the same unique), the second would have run the first run's hosts, not its own.
    expect(await fetchStatus(parseServerAddress(g.address))).toEqual([{ function: 'fanout.http', total: 2, running: 0, workers: 0 }]);
  });

  it('resubmits the unfinished hosts to the other server when one gearmand dies mid-run', async () => {
    const [a, b] = [await gearmand(), await gearmand()];
    const servers = [a.address, b.address].map(parseServerAddress);
    startWorkers(servers, 2, 50);
    const slow = await startFleet({ hosts: 400, latencyMs: 80 });
    cleanups.push(() => slow.close());
    let killed = false;
    const result = await run(
      baseConfig(slow.hosts, { concurrency: 25, gearman: gearmanConfig(`${a.address},${b.address}`, { batchSize: 25 }) }),
      (count) => {
        if (!killed && count() >= 60) {
          killed = true;
          a.kill('SIGKILL');
        }
      },
    );
    expect(killed).toBe(true);
    expect(result.records).toHaveLength(400);
    expect(new Set(result.records.map((r) => r.host)).size).toBe(400);
    expect(result.records.filter((r) => !r.ok)).toEqual([]);
    expect(result.code).toBe(0);
  });

  it('records the unfinished hosts as job_lost and exits 3 when the only gearmand dies; nothing else is lost', async () => {
    const g = await gearmand();
    startWorkers([parseServerAddress(g.address)], 1, 20);
    const slow = await startFleet({ hosts: 300, latencyMs: 80 });
    cleanups.push(() => slow.close());
    let killed = false;
    const result = await run(
      baseConfig(slow.hosts, { concurrency: 20, gearman: gearmanConfig(g.address, { batchSize: 20, serverTimeoutMs: 500 }) }),
      (count) => {
        if (!killed && count() >= 40) {
          killed = true;
          g.kill('SIGKILL');
        }
      },
    );
    expect(result.code).toBe(3);
    expect(result.records).toHaveLength(300);
    expect(new Set(result.records.map((r) => r.host)).size).toBe(300);
    const codes = new Set(result.records.map((r) => r.code));
    expect([...codes].sort()).toEqual(['job_lost', 'ok']);
    expect(result.records.filter((r) => r.ok).length).toBeGreaterThanOrEqual(40);
    // It says why at once (the reconnects are refused) and in the final reason.
    expect(result.stderr).toContain(`cannot reach job server ${g.address} (ECONNREFUSED)`);
    expect(result.stderr).toContain(`no job server reachable (${g.address}: ECONNREFUSED) for 500 ms`);
  });
});

/**
 * A worker that is not fanout's, scripted per job: it registers fanout.http on gearmand and answers each job with
 * `answer(send, handle, first host)`. Resolves once gearmand has taken its CAN_DO (a round trip), so a run
 * submitted next finds it.
 */
async function rogueWorker(
  address: ServerAddress,
  answer: (send: GearmanConnection['send'], handle: string, first: HostResult) => void,
): Promise<void> {
  const rogue = await GearmanConnection.connect(address);
  cleanups.push(() => rogue.close());
  const send: GearmanConnection['send'] = (type, args) => rogue.send(type, args);
  rogue.on('packet', (packet) => {
    if (packet.type === PacketType.NOOP) rogue.send(PacketType.GRAB_JOB_UNIQ, []);
    if (packet.type === PacketType.NO_JOB) rogue.send(PacketType.PRE_SLEEP, []);
    if (packet.type !== PacketType.JOB_ASSIGN_UNIQ) return;
    const { targets } = decodeJobPayload(packet.args[3]!);
    const host = targets[0]!.host;
    const record = makeResult({ host, url: `http://${host}/`, method: 'GET', durationMs: 1, bytes: 2, worker: 'rogue' });
    answer(send, packet.args[0]!.toString(), record);
  });
  rogue.send(PacketType.CAN_DO, ['fanout.http']);
  rogue.send(PacketType.PRE_SLEEP, []);
  await rogue.request(PacketType.ECHO_REQ, ['']);
}

// Hosts on addresses nothing is asked of: the rogue worker answers without any request.
const ROGUE_HOSTS = ['10.9.0.1:80', '10.9.0.2:80', '10.9.0.3:80'];

describe('a worker that fails its job', () => {
  it('gives the hosts it sent no record for worker_error with its message; the rest keep their records', async () => {
    const g = await gearmand();
    await rogueWorker(parseServerAddress(g.address), (send, handle, record) => {
      // A repeat is dropped, and so is a line that is not a record: both counted, the garbage also said on stderr.
      send(PacketType.WORK_DATA, [handle, `${encodeRecordLines([record, record]).join('')}not a record\n`]);
      send(PacketType.WORK_EXCEPTION, [handle, 'disk full']);
    });
    const result = await run(baseConfig(ROGUE_HOSTS, { gearman: gearmanConfig(g.address, { batchSize: 3 }) }));
    expect(result.code).toBe(1);
    expect(result.records.map((r) => [r.host, r.code, r.error])).toEqual([
      ['10.9.0.1:80', 'ok', null],
      ['10.9.0.2:80', 'worker_error', 'worker exception: disk full'],
      ['10.9.0.3:80', 'worker_error', 'worker exception: disk full'],
    ]);
    expect(result.summary.droppedRecords).toEqual({ malformed: 1, repeats: 1 });
    expect(result.stderr).toContain('ignored 1 line(s) of worker output that are not records');
  });

  it('says so when a worker that sent garbage completes the job: its hosts are not silently "without a record"', async () => {
    const g = await gearmand();
    await rogueWorker(parseServerAddress(g.address), (send, handle) => {
      send(PacketType.WORK_DATA, [handle, 'OK 3 hosts\n']);
      send(PacketType.WORK_COMPLETE, [handle, 'done']);
    });
    const result = await run(baseConfig(ROGUE_HOSTS, { gearman: gearmanConfig(g.address, { batchSize: 3 }) }));
    expect(result.code).toBe(1);
    expect(result.records.map((r) => r.code)).toEqual(['worker_error', 'worker_error', 'worker_error']);
    expect(result.records[0]?.error).toBe(
      'the worker completed the job without a record for this host (it sent lines that are not fanout records: is it a fanout worker?)',
    );
    expect(result.summary.droppedRecords).toEqual({ malformed: 1, repeats: 0 });
  });

  it('says so when a worker completes a job with a body that is not a fanout completion', async () => {
    const g = await gearmand();
    await rogueWorker(parseServerAddress(g.address), (send, handle, record) => {
      send(PacketType.WORK_DATA, [handle, encodeRecordLines([record]).join('')]);
      send(PacketType.WORK_COMPLETE, [handle, 'done']);
    });
    const result = await run(baseConfig(ROGUE_HOSTS, { gearman: gearmanConfig(g.address, { batchSize: 3 }) }));
    expect(result.records.map((r) => r.code)).toEqual(['ok', 'worker_error', 'worker_error']);
    expect(result.records[1]?.error).toBe(
      "the worker completed the job without a record for this host (its WORK_COMPLETE is not a fanout worker's: is it one?)",
    );
  });
});

describe('an interrupted gearman run', () => {
  it('ends at once with a record for every host: with a worker aborted, never submitted not_attempted; exit 130', async () => {
    const g = await gearmand();
    startWorkers([parseServerAddress(g.address)], 1, 10);
    const fleet = await startFleet({ hosts: 300, latencyMs: 100 });
    cleanups.push(() => fleet.close());
    let interrupted = false;
    const result = await run(
      baseConfig(fleet.hosts, { concurrency: 10, gearman: gearmanConfig(g.address, { batchSize: 10 }) }),
      (count, interrupt) => {
        if (!interrupted && count() >= 20) {
          interrupted = true;
          interrupt();
        }
      },
    );
    expect(result.code).toBe(130);
    expect(result.records).toHaveLength(300);
    expect(new Set(result.records.map((r) => r.host)).size).toBe(300);
    const codes = new Set(result.records.map((r) => r.code));
    expect(codes).toEqual(new Set(['ok', 'aborted', 'not_attempted']));
    expect(result.summary.interrupted).toBe(true);
  });
});

describe('a worker killed with SIGKILL mid-push', () => {
  it('still yields exactly one record per host; a host pushed twice got the same Idempotency-Key both times', async () => {
    const g = await gearmand();
    // A quarter of the hosts are slow (10 × 60 ms), so each worker always has requests in flight.
    const fleet = await startFleet({ hosts: 600, latencyMs: 60, faults: { slow: 0.25 }, record: true });
    cleanups.push(() => fleet.close());
    const children: ChildProcess[] = [];
    for (const id of ['p1', 'p2']) {
      const child = spawn(process.execPath, [BIN, 'worker', '--gearman', g.address, '-c', '40', '--id', id, '-q'], { stdio: 'ignore' });
      children.push(child);
      cleanups.push(() => Promise.resolve(child.kill('SIGKILL')));
    }
    await waitFor(
      async () => (await fetchWorkers(parseServerAddress(g.address))).filter((w) => w.functions.includes('fanout.http')).length === 2,
    );
    let killedAt = -1;
    const result = await run(
      baseConfig(fleet.hosts, {
        spec: { ...DEFAULT_SPEC, method: 'POST', bodyBase64: Buffer.from('{"a":1}').toString('base64'), idempotencyKeyPrefix: 'push7' },
        concurrency: 40,
        gearman: gearmanConfig(g.address, { batchSize: 40 }),
      }),
      (count) => {
        if (killedAt < 0 && count() >= 120) {
          killedAt = count();
          children[0]!.kill('SIGKILL');
        }
      },
    );
    expect(killedAt).toBeGreaterThan(0);
    expect(killedAt).toBeLessThan(600);
    expect(result.records).toHaveLength(600);
    expect(new Set(result.records.map((r) => r.host)).size).toBe(600);
    expect(result.records.filter((r) => !r.ok)).toEqual([]);
    expect(result.code).toBe(0);
    const stats = fleet.stats().hosts;
    // The killed worker had requests in flight: gearmand gave its job to the other worker, which pushed again.
    expect(fleet.hosts.filter((h) => (stats[h]?.keys?.length ?? 0) > 1).length).toBeGreaterThan(0);
    for (const host of fleet.hosts) {
      const keys = stats[host]?.keys ?? [];
      expect(keys.length).toBeGreaterThanOrEqual(1);
      expect(new Set(keys)).toEqual(new Set([`push7-${host}`]));
    }
  });
});

describe('stopping a gearman run', () => {
  it('drain: no job is submitted any more, the workers stop starting hosts, in flight finish ok, the rest not_attempted', async () => {
    const g = await gearmand();
    startWorkers([parseServerAddress(g.address)], 2, 10);
    const fleet = await startFleet({ hosts: 400, latencyMs: 200 });
    cleanups.push(() => fleet.close());
    const backend = createGearmanBackend({
      ...gearmanConfig(g.address, { batchSize: 20 }),
      runId: 'dr',
      embeddedWorkerConcurrency: 1,
      log: () => undefined,
    });
    cleanups.push(() => backend.close());
    const plan = await planTargets([{ kind: 'args', entries: fleet.hosts }]);
    const drain = new AbortController();
    const records: HostResult[] = [];
    for await (const event of backend.run(baseConfig([]).spec, plan, {
      concurrency: 20,
      signal: new AbortController().signal,
      drain: drain.signal,
    })) {
      if (event.type === 'records') records.push(...event.records);
      if (records.length >= 30) drain.abort();
    }
    expect(records).toHaveLength(400);
    expect(new Set(records.map((r) => r.host)).size).toBe(400);
    const stats = fleet.stats();
    const requested = new Set(Object.keys(stats.hosts));
    const notAttempted = records.filter((r) => r.code === 'not_attempted');
    // Every other host was started before the drain reached its worker, and finished normally.
    expect(records.filter((r) => r.code !== 'not_attempted').every((r) => r.ok)).toBe(true);
    expect(notAttempted.filter((r) => requested.has(r.host))).toEqual([]); // a not_attempted host got nothing
    expect(stats.totalRequests).toBe(400 - notAttempted.length);
    // 30 records, 20 in flight at most when the drain came: far from the 400 a run that ignores it sends.
    expect(stats.totalRequests).toBeLessThan(100);
  });

  /** A run over two workers of `hosts` hosts answering after `latencyMs`, under `-c`: its records, and the most in flight at the fleet. */
  async function runUnderCap(hosts: number, latencyMs: number, concurrency: number, batchSize: number) {
    const g = await gearmand();
    startWorkers([parseServerAddress(g.address)], 2, 100);
    const fleet = await startFleet({ hosts, latencyMs });
    cleanups.push(() => fleet.close());
    const result = await run(baseConfig(fleet.hosts, { concurrency, gearman: gearmanConfig(g.address, { batchSize }) }));
    expect(result.records.filter((r) => r.ok)).toHaveLength(hosts);
    return { records: result.records, maxInFlight: fleet.stats().maxInFlight };
  }

  it('-c 20 is a cap for the whole run: never more than 20 requests in flight at the fleet, over many jobs and workers', async () => {
    const { records, maxInFlight } = await runUnderCap(600, 30, 20, 25);
    expect(maxInFlight).toBeLessThanOrEqual(20);
    expect(maxInFlight).toBeGreaterThan(10); // and it is used: 16 jobs of 1 or 2 requests
    expect(new Set(records.map((r) => r.worker))).toEqual(new Set(['w1', 'w2']));
  });

  it('a run of fewer jobs than job slots still uses all of -c: 4 jobs share -c 40 as 10 each', async () => {
    const { maxInFlight } = await runUnderCap(200, 50, 40, 50);
    expect(maxInFlight).toBeLessThanOrEqual(40);
    // Split over 16 job slots, each of the 4 jobs would get 3 (12 in flight at most).
    expect(maxInFlight).toBeGreaterThan(20);
  });
});

describe('chaos in gearman mode', () => {
  it('3,000 hosts with 5% of every fault, a worker SIGKILLed and restarted twice: one record per host, pushes repeated only under one key', async () => {
    const g = await gearmand();
    const faults = Object.fromEntries(FAULT_KINDS.filter((kind) => kind !== 'ok').map((kind) => [kind, 0.05]));
    const fleet = await startFleet({ hosts: 3000, latencyMs: 20, jitterMs: 15, faults, hugeBytes: 256 * 1024, record: true });
    cleanups.push(() => fleet.close());
    const spawnWorker = (id: string): ChildProcess => {
      const child = spawn(process.execPath, [BIN, 'worker', '--gearman', g.address, '-c', '60', '--id', id, '-q'], { stdio: 'ignore' });
      cleanups.push(() => Promise.resolve(child.kill('SIGKILL')));
      return child;
    };
    const workersOf = async (): Promise<number> =>
      (await fetchWorkers(parseServerAddress(g.address))).filter((w) => w.functions.includes('fanout.http')).length;
    spawnWorker('steady');
    let victim = spawnWorker('victim-1');
    await waitFor(async () => (await workersOf()) === 2);
    const kills: number[] = [];
    const result = await run(
      baseConfig(fleet.hosts, {
        spec: {
          ...DEFAULT_SPEC,
          method: 'POST',
          bodyBase64: Buffer.from('{"chaos":1}').toString('base64'),
          idempotencyKeyPrefix: 'chaos',
          timeoutMs: 2500,
          connectTimeoutMs: 1000,
        },
        concurrency: 100,
        gearman: gearmanConfig(g.address, { batchSize: 50, stallTimeoutMs: 20_000 }),
      }),
      (count) => {
        // At 800 and 1,600 records: SIGKILL the victim with requests in flight, and start its successor.
        const due = [800, 1600][kills.length];
        if (due === undefined || count() < due) return;
        kills.push(count());
        victim.kill('SIGKILL');
        victim = spawnWorker(`victim-${kills.length + 1}`);
      },
    );
    expect(kills).toHaveLength(2);
    expect(kills.every((at) => at < 3000)).toBe(true);
    expect(result.records).toHaveLength(3000);
    expect(new Set(result.records.map((r) => r.host))).toEqual(new Set(fleet.hosts));
    // Every host was tried (a killed worker's jobs went to another worker), and its record says what the fleet did.
    const codeOfFault: Partial<Record<FaultKind, ResultCode>> = {
      ok: 'ok',
      slow: 'ok',
      huge: 'ok', // a POST's answer body is not kept: its size does not matter
      '500': 'http_status',
      '404': 'http_status',
      refused: 'refused',
      hang: 'timeout',
      reset: 'reset',
    };
    const untrue = result.records.filter((r) => {
      const expected = codeOfFault[fleet.faultOf(r.host)];
      return expected !== undefined && r.code !== expected;
    });
    expect(untrue.map((r) => ({ fault: fleet.faultOf(r.host), code: r.code, error: r.error }))).toEqual([]);
    expect(result.records.filter((r) => r.code === 'not_attempted' || r.code === 'aborted' || r.code === 'job_lost')).toEqual([]);
    const stats = fleet.stats().hosts;
    for (const host of fleet.hosts) {
      const keys = stats[host]?.keys ?? [];
      if (fleet.faultOf(host) !== 'refused') expect(keys.length).toBeGreaterThanOrEqual(1);
      expect(new Set(keys).size).toBeLessThanOrEqual(1);
      for (const key of keys) expect(key).toBe(`chaos-${host}`);
    }
    const repeated = fleet.hosts.filter((h) => (stats[h]?.keys?.length ?? 0) > 1);
    expect(repeated.length).toBeGreaterThan(0); // the kills did cut pushes short: the repeats above were real
    // The summary is the records' own account.
    const byCode: Partial<Record<string, number>> = {};
    for (const r of result.records) byCode[r.code] = (byCode[r.code] ?? 0) + 1;
    expect(result.summary.byCode).toEqual(byCode);
    expect(result.summary.hosts).toBe(3000);
    expect(result.summary.ok).toBe(result.records.filter((r) => r.ok).length);
    expect(result.summary.failed).toBe(3000 - result.summary.ok);
    expect(result.code).toBe(1);
  }, 120_000);
});
