// Ctrl-C on a real run: the first one finishes with a record for every host and exit 130.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { parseNdjson, startCli, type RunningCli } from '../helpers/run-cli.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ hosts: 40, faultFor: (i) => (i < 10 ? 'hang' : 'ok') });
});
afterAll(() => fleet.close());

let run: RunningCli | undefined;
afterEach(async () => {
  await run?.stop();
  run = undefined;
});

/** Resolves once `accept` holds, polling the fleet's counters (they have no event); stops when the test times out. */
async function until(accept: () => boolean, signal: AbortSignal): Promise<void> {
  while (!accept()) {
    signal.throwIfAborted();
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('SIGINT', () => {
  it('ends a run whose hosts would hang for an hour, with every host accounted for, exit 130', async ({ signal }) => {
    // The hung hosts never answer and the request timeout is an hour, far past any test timeout: the run can
    // only end because of the interrupt, and only the interrupt can give the hung hosts the code `aborted`.
    run = startCli(['pull', ...fleet.hosts, '-c', '5', '--timeout', '1h']);
    // The first 5 hosts hang and fill every slot: wait until they are in flight at the fleet.
    await until(() => fleet.totalRequests() >= 5, signal);
    run.child.kill('SIGINT');
    const { exitCode, stdout, stderr } = await run.exited;
    expect(exitCode).toBe(130);
    const records = parseNdjson(stdout);
    expect(records).toHaveLength(40);
    expect(new Set(records.map((r) => r.host))).toEqual(new Set(fleet.hosts));
    const aborted = records.filter((r) => r.code === 'aborted');
    // The hosts in flight (the first 5 in one thread; with --threads, each thread's first) are the aborted ones.
    expect(aborted.map((r) => r.host).sort()).toEqual(Object.keys(fleet.stats().hosts).sort());
    expect(records.filter((r) => r.code === 'not_attempted')).toHaveLength(35);
    expect(fleet.totalRequests()).toBe(5); // nothing was sent after the interrupt
    expect(stderr).toContain('interrupted');
    expect(stderr).toMatch(/interrupted · 40 hosts · 0 ok · 0 failed · 5 aborted · 35 not attempted/);
  });
});
