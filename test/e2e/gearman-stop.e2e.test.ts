// Ctrl-C on a `push --gearman` through the real binaries: the client, two `fanout worker` processes, a real gearmand
// and a slow loopback fleet. Stopping must stop the workers too, and every record must be true.
import { afterEach, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { fetchStatus, fetchWorkers } from '../../src/gearman/admin-client.js';
import type { ServerAddress } from '../../src/gearman/server-address.js';
import { startGearmand, type Gearmand } from '../helpers/gearmand.js';
import { parseNdjson, startCli, type RunningCli } from '../helpers/run-cli.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const CAP = 40;

function start(args: readonly string[], stdin?: string): RunningCli {
  const running = startCli(args, stdin === undefined ? {} : { stdin });
  cleanups.push(() => running.stop());
  return running;
}

/** Polls `accept` (the fleet and gearmand's admin port have no events to wait on); the test's timeout bounds it. */
async function until(accept: () => boolean | Promise<boolean>, signal: AbortSignal): Promise<void> {
  while (!(await accept())) {
    signal.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

// With --secret on both sides the stop requests are signed too, and the workers, which refuse unsigned ones, take them.
describe.each([[[] as string[]], [['--secret', 'stop-test-secret']]])('SIGINT to push --gearman %j', (secret) => {
  it('stops the workers too: the fleet sees at most the requests in flight after the interrupt, and every record is true', async ({
    signal,
  }) => {
    const gearmand: Gearmand = await startGearmand();
    cleanups.push(() => gearmand.stop());
    const address: ServerAddress = { host: gearmand.host, port: gearmand.port };
    const fleet: Fleet = await startFleet({ hosts: 2000, latencyMs: 350, jitterMs: 150, record: true });
    cleanups.push(() => fleet.close());
    for (const id of ['s1', 's2']) start(['worker', '--gearman', gearmand.address, '-c', '100', '--id', id, ...secret]);
    const controls = async (): Promise<number> =>
      (await fetchWorkers(address)).filter((w) => w.functions.some((fn) => fn.startsWith('fanout.control.s'))).length;
    await until(async () => (await controls()) === 2, signal);

    const client = start(
      [
        'push',
        '-f',
        '-',
        '--gearman',
        gearmand.address,
        '-c',
        String(CAP),
        '--batch-size',
        '50',
        '-d',
        '{"v":1}',
        '--run-id',
        'stop1',
        ...secret,
      ],
      `${fleet.hosts.join('\n')}\n`,
    );
    await until(() => fleet.totalRequests() >= 200, signal);
    client.child.kill('SIGINT');
    await until(() => client.stderr().includes('interrupted'), signal);
    const atInterrupt = fleet.totalRequests();
    const { exitCode, stdout, stderr } = await client.exited;
    // The workers finish (abort) what they had in flight and complete their jobs: then nothing runs any more.
    await until(async () => fleet.inFlight() === 0 && (await fetchStatus(address)).every((s) => s.running === 0), signal);
    const atEnd = fleet.totalRequests();

    expect(exitCode).toBe(130);
    expect(stderr).toContain('asked 2 worker connection(s) to stop starting hosts and abort those in flight');
    // A run that does not stop its workers goes on to push all 2,000 hosts.
    expect(atEnd - atInterrupt).toBeLessThanOrEqual(CAP);
    expect(atEnd).toBeLessThan(1000);

    const records = parseNdjson(stdout);
    expect(records).toHaveLength(2000);
    expect(new Set(records.map((r) => r.host))).toEqual(new Set(fleet.hosts));
    const requested = fleet.stats().hosts;
    const notAttempted = records.filter((r) => r.code === 'not_attempted');
    expect(notAttempted.filter((r) => requested[r.host] !== undefined)).toEqual([]); // not_attempted: nothing was sent
    expect(records.filter((r) => r.ok).every((r) => requested[r.host]?.requests === 1)).toBe(true);
    expect(new Set(records.map((r) => r.code))).toEqual(new Set(['ok', 'aborted', 'not_attempted']));
    // The workers' own records came back within the grace: what they never started is said by them, by host.
    expect(notAttempted.filter((r) => r.worker !== undefined).length).toBeGreaterThan(0);
    expect(records.filter((r) => r.code === 'aborted').length).toBeLessThanOrEqual(CAP);
  });
});

describe('-c with --gearman', () => {
  it('caps the requests in flight of the whole run, across every job and both fanout worker processes', async ({ signal }) => {
    const gearmand: Gearmand = await startGearmand();
    cleanups.push(() => gearmand.stop());
    const address: ServerAddress = { host: gearmand.host, port: gearmand.port };
    const fleet: Fleet = await startFleet({ hosts: 400, latencyMs: 40, jitterMs: 20 });
    cleanups.push(() => fleet.close());
    for (const id of ['c1', 'c2']) start(['worker', '--gearman', gearmand.address, '-c', '100', '--id', id, '-q']);
    await until(async () => (await fetchStatus(address)).some((s) => s.function === 'fanout.http' && s.workers === 2), signal);

    const client = start(
      ['pull', '-f', '-', '--gearman', gearmand.address, '-c', '20', '--batch-size', '25', '-q'],
      `${fleet.hosts.join('\n')}\n`,
    );
    const { exitCode, stdout } = await client.exited;

    expect(exitCode).toBe(0);
    expect(parseNdjson(stdout).filter((r) => r.ok)).toHaveLength(400);
    // Each of the 16 jobs out at a time would run 20 at once without the cap: 2 workers × 100 in flight.
    expect(fleet.stats().maxInFlight).toBeLessThanOrEqual(20);
    expect(fleet.stats().maxInFlight).toBeGreaterThan(10);
  });
});
