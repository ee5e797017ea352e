// --max-failures on a real run: against a fleet where every other host refuses, the run stops starting hosts
// soon after the threshold is passed, lets the requests in flight finish, and gives every other host
// not_attempted without sending it anything. Also run with two executor threads (the e2e-threads ring).
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import type { Summary } from '../../src/report/summary.js';
import { fetchWorkers } from '../../src/gearman/admin-client.js';
import { startGearmand } from '../helpers/gearmand.js';
import { parseNdjson, runCli, startCli } from '../helpers/run-cli.js';
import { validateSummary } from '../helpers/schemas.js';

const HOSTS = 2000;
let fleet: Fleet;
let dir: string;
beforeAll(async () => {
  // The ok hosts answer after 20 ms, the refusing ones at once: failures arrive first, as from a broken rack.
  [fleet, dir] = await Promise.all([
    startFleet({ hosts: HOSTS, latencyMs: 20, faultFor: (i) => (i % 2 === 1 ? 'refused' : 'ok') }),
    fs.mkdtemp(path.join(os.tmpdir(), 'fanout-max-failures-')),
  ]);
});
afterAll(async () => {
  await Promise.all([fleet.close(), fs.rm(dir, { recursive: true, force: true })]);
});

async function stoppedRun(
  limit: string,
  more: readonly string[] = [],
): Promise<{ exitCode: number | null; stderr: string; summary: Summary; records: ReturnType<typeof parseNdjson> }> {
  fleet.reset();
  const summaryFile = path.join(dir, `summary-${limit.replace('%', 'pct')}.json`);
  const run = await runCli(['pull', '-f', '-', '-c', '20', '--max-failures', limit, '--summary', summaryFile, ...more], {
    stdin: `${fleet.hosts.join('\n')}\n`,
    // The e2e-threads ring sets FANOUT_THREADS, which gearman mode refuses: its workers spread the requests.
    ...(more.includes('--gearman') ? { env: { FANOUT_THREADS: '' } } : {}),
  });
  const summary = JSON.parse(await fs.readFile(summaryFile, 'utf8')) as Summary;
  expect(validateSummary(summary), JSON.stringify(validateSummary.errors)).toBe(true);
  return { exitCode: run.exitCode, stderr: run.stderr, summary, records: parseNdjson(run.stdout) };
}

describe('--max-failures', () => {
  it('10%: stops starting hosts once a tenth of those finished failed; the fleet sees a fraction of the hosts; exit 1', async () => {
    const { exitCode, stderr, summary, records } = await stoppedRun('10%');
    expect(exitCode).toBe(1);
    expect(records).toHaveLength(HOSTS);
    expect(new Set(records.map((r) => r.host)).size).toBe(HOSTS);
    // Judged after 20 finished hosts (the default --min-sample), with at most -c 20 more in flight then.
    expect(fleet.totalRequests()).toBeLessThan(100);
    const notAttempted = records.filter((r) => r.code === 'not_attempted');
    expect(notAttempted.length).toBeGreaterThan(HOSTS - 200);
    expect(new Set(notAttempted.map((r) => r.error))).toEqual(new Set(['the run stopped starting hosts before this one']));
    // A not_attempted host was sent nothing: a record never says so of a host whose request went out.
    const requested = new Set(Object.keys(fleet.stats().hosts));
    expect(notAttempted.filter((r) => requested.has(r.host))).toEqual([]);
    // The requests in flight at the stop finished normally: none was cut short.
    expect(records.filter((r) => r.code === 'aborted')).toEqual([]);
    expect(records.filter((r) => r.ok).length).toBe(requested.size);

    expect(summary.stopped).toMatchObject({ by: 'max-failures', limit: '10%' });
    expect(summary.stopped!.finished).toBeGreaterThanOrEqual(20);
    expect(summary.stopped!.failed * 10).toBeGreaterThan(summary.stopped!.finished);
    expect(summary.interrupted).toBe(false);
    expect(stderr).toMatch(/^stopped: \d+ failed of \d+ finished \(\d+(\.\d)?%\) > --max-failures 10%$/m);
    expect(stderr).toMatch(/\d+ not attempted/);
  });

  it('a count: stops after one failure more than it allows, from the first host on', async () => {
    const { exitCode, stderr, summary, records } = await stoppedRun('5');
    expect(exitCode).toBe(1);
    expect(records).toHaveLength(HOSTS);
    expect(summary.stopped).toMatchObject({ by: 'max-failures', limit: '5', failed: 6 });
    expect(stderr).toMatch(/^stopped: 6 failed > --max-failures 5$/m);
    expect(fleet.totalRequests()).toBeLessThan(100);
    expect(summary.notAttempted).toBeGreaterThan(HOSTS - 200);
  });

  it('in gearman mode: no new job is submitted and the workers stop starting hosts; the rest not_attempted; exit 1', async ({ signal }) => {
    const gearmand = await startGearmand();
    const workers = ['m1', 'm2'].map((id) => startCli(['worker', '--gearman', gearmand.address, '--id', id, '-q']));
    try {
      const address = { host: gearmand.host, port: gearmand.port };
      // Both workers serve their control function, so the stop reaches them.
      while ((await fetchWorkers(address)).filter((w) => w.functions.some((fn) => fn.startsWith('fanout.control.m'))).length < 2) {
        signal.throwIfAborted();
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const { exitCode, stderr, summary, records } = await stoppedRun('10%', ['--gearman', gearmand.address, '--batch-size', '50']);
      expect(exitCode).toBe(1);
      expect(records).toHaveLength(HOSTS);
      expect(new Set(records.map((r) => r.host)).size).toBe(HOSTS);
      // Without the stop, the workers would go on through all 2,000 hosts of the jobs they hold and those queued.
      expect(fleet.totalRequests()).toBeLessThan(HOSTS / 4);
      const requested = new Set(Object.keys(fleet.stats().hosts));
      const notAttempted = records.filter((r) => r.code === 'not_attempted');
      expect(notAttempted.length).toBeGreaterThan(HOSTS / 2);
      expect(notAttempted.filter((r) => requested.has(r.host))).toEqual([]);
      expect(records.filter((r) => r.code === 'aborted')).toEqual([]);
      expect(summary.stopped).toMatchObject({ by: 'max-failures', limit: '10%' });
      expect(stderr).toMatch(/^stopped: \d+ failed of \d+ finished \(\d+(\.\d)?%\) > --max-failures 10%$/m);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
      await gearmand.stop();
    }
  });

  it('is a usage error, with nothing sent, for a limit that makes no sense', async () => {
    fleet.reset();
    for (const [limit, message] of [
      ['150%', '--max-failures: "150%" is over 100%'],
      ['abc', '--max-failures: "abc" is neither a count nor a percentage (expected e.g. 30 or 10%)'],
      ['-3', '--max-failures: "-3" is neither a count nor a percentage (expected e.g. 30 or 10%)'],
      ['0%', '--max-failures: 0% would still wait for --min-sample hosts; to stop at the first failure, give 0'],
    ] satisfies Array<[string, string]>) {
      const run = await runCli(['pull', fleet.hosts[0]!, '--max-failures', limit]);
      expect(run.exitCode, limit).toBe(2);
      expect(run.stderr.trim()).toBe(`fanout: ${message}`);
    }
    expect(fleet.totalRequests()).toBe(0);
  });
});
