// --resume on real runs cut short: a 20,000-host pull interrupted halfway (Ctrl-C, and kill -9), then the same
// command line again, with the hosts re-sorted and written as ranges: in the file, every host ends with exactly
// one ok record, and no host ok the first time is asked again. Once more in gearman mode.
//
// 20,000 hosts are two fleets of 10,000 in their own processes: one process cannot hold 20,000 listening
// sockets under this machine's descriptor limit. Their 20 ms latency caps a run at -c / 20 ms = 5,000 hosts/s,
// so a run needs seconds and is still going when the test sees its file reach 10,000 lines.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { spawnFleet, type SpawnedFleet } from '../../fixtures/fleet/spawn-fleet.js';
import type { HostResult } from '../../src/record/host-result.js';
import { startGearmand, type Gearmand } from '../helpers/gearmand.js';
import { parseNdjson, runCli, startCli } from '../helpers/run-cli.js';
import { waitForLines } from '../helpers/wait-for-lines.js';

const PER_FLEET = 10_000;
const HOSTS = 2 * PER_FLEET;
const SLOW_MACHINE_MS = 120_000;

let fleets: SpawnedFleet[] = [];
let dir: string;
let hosts: string[];
/** The hosts in fleet order, one per line. */
let hostsFile: string;
/** The same hosts for the second run: the first fleet as pdsh ranges, the second in reverse. */
let resortedFile: string;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fanout-resume-e2e-'));
  fleets = await Promise.all([0, 1].map(() => spawnFleet({ hosts: PER_FLEET, latencyMs: 20, readyTimeoutMs: SLOW_MACHINE_MS })));
  const [first, second] = fleets as [SpawnedFleet, SpawnedFleet];
  hosts = [...first.hosts, ...second.hosts];
  hostsFile = path.join(dir, 'hosts.txt');
  resortedFile = path.join(dir, 'resorted.txt');
  // The fleet's host i is 127.B.(i / 254).(i % 254 + 1): 39 full blocks of 254, then 94 hosts.
  const ranges = [`127.${first.base}.[0-38].[1-254]:${first.port}`, `127.${first.base}.39.[1-94]:${first.port}`];
  await Promise.all([
    fs.writeFile(hostsFile, `${hosts.join('\n')}\n`),
    fs.writeFile(resortedFile, `${[...ranges, ...[...second.hosts].reverse()].join('\n')}\n`),
  ]);
}, SLOW_MACHINE_MS);
afterAll(async () => {
  await Promise.all([...fleets.map((fleet) => fleet.stop()), fs.rm(dir, { recursive: true, force: true })]);
});

/** Hosts with an ok record, and how many ok records each has. */
function okCounts(records: readonly HostResult[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) if (record.ok) counts.set(record.host, (counts.get(record.host) ?? 0) + 1);
  return counts;
}

async function requestedHosts(spawned: readonly SpawnedFleet[]): Promise<string[]> {
  const stats = await Promise.all(spawned.map((fleet) => fleet.stats()));
  return stats.flatMap((s) => Object.keys(s.hosts));
}

/** Every host has exactly one ok record in the file, which is NDJSON throughout (parseNdjson checks each line). */
async function expectOneOkEach(file: string, expected: readonly string[]): Promise<HostResult[]> {
  const records = parseNdjson(await fs.readFile(file, 'utf8'));
  const counts = okCounts(records);
  expect(counts.size).toBe(expected.length);
  expect(expected.filter((host) => counts.get(host) !== 1)).toEqual([]);
  return records;
}

// Two runs of 20,000 hosts each: on a loaded machine that is more than the ring's 30 s.
describe('--resume refuses', () => {
  it('a file that is not fanout records, and -o: one line, exit 2, nothing sent, the file untouched', async () => {
    const live = fleets[0]!;
    await live.resetStats();
    const notRecords = path.join(dir, 'not-records.ndjson');
    const text = `${JSON.stringify({ host: live.hosts[1], ok: true, code: 'ok' })}\n{"host": oops}\n`;
    await fs.writeFile(notRecords, text);
    const bad = await runCli(['pull', live.hosts[0]!, '--resume', notRecords]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toBe(`fanout: --resume ${notRecords}:2: not JSON, so not a file of fanout records\n`);
    expect(await fs.readFile(notRecords, 'utf8')).toBe(text);
    const withOutput = await runCli(['pull', live.hosts[0]!, '--resume', notRecords, '-o', path.join(dir, 'out.ndjson')]);
    expect(withOutput.exitCode).toBe(2);
    expect(withOutput.stderr).toBe('fanout: --resume appends the records to its FILE: leave out -o/--output\n');
    expect((await live.stats()).totalRequests).toBe(0);
  });
});

describe('--resume after a 20,000-host run cut short', { timeout: 3 * SLOW_MACHINE_MS }, () => {
  it('after Ctrl-C halfway: the second run does only the hosts not ok, and the file ends with one ok record per host', async ({
    signal,
  }) => {
    const file = path.join(dir, 'sigint.ndjson');
    const command = (list: string): string[] => ['pull', '-f', list, '--resume', file, '-c', '100'];
    const first = startCli(command(hostsFile));
    try {
      await waitForLines(file, HOSTS / 2, signal);
      first.child.kill('SIGINT');
      const cut = await first.exited;
      expect(cut.exitCode).toBe(130);
      expect(cut.stderr).toContain(`--resume ${file} does not exist yet: starting fresh, the records go to it`);
    } finally {
      await first.stop();
    }
    const firstRecords = parseNdjson(await fs.readFile(file, 'utf8'));
    expect(firstRecords).toHaveLength(HOSTS); // the interrupt finished with a record for every host
    const okBefore = new Set(okCounts(firstRecords).keys());
    expect(okBefore.size).toBeGreaterThanOrEqual(HOSTS / 2 - 200); // a few of the lines seen may be aborted hosts
    expect(okBefore.size).toBeLessThan(HOSTS); // the run really was cut short

    await Promise.all(fleets.map((fleet) => fleet.resetStats()));
    const second = await runCli(command(resortedFile), { timeoutMs: SLOW_MACHINE_MS });
    expect(second.exitCode).toBe(0);
    expect(second.stdout).toBe('');
    const left = HOSTS - okBefore.size;
    expect(second.stderr).toContain(`--resume ${file}: ${okBefore.size} of ${HOSTS} hosts already ok, skipped; ${left} to run`);
    expect(second.stderr).toMatch(
      new RegExp(`^${left} hosts · ${left} ok · 0 failed · ${okBefore.size} skipped \\(ok in the resumed file\\)`, 'm'),
    );
    const requested = await requestedHosts(fleets);
    expect(requested.filter((host) => okBefore.has(host))).toEqual([]);
    expect(requested).toHaveLength(left);
    const records = await expectOneOkEach(file, hosts);
    expect(records).toHaveLength(HOSTS + left); // the first run's records stay; the second's follow them
  });

  it('after kill -9 halfway, with the last record cut short: the same command line finishes the job', async ({ signal }) => {
    const file = path.join(dir, 'kill9.ndjson');
    const command = ['pull', '-f', hostsFile, '--resume', file, '-c', '100'];
    const first = startCli(command);
    try {
      await waitForLines(file, HOSTS / 2, signal);
      first.child.kill('SIGKILL');
      expect((await first.exited).signal).toBe('SIGKILL');
    } finally {
      await first.stop();
    }
    // A kill in the middle of a write leaves half a line; make that certain rather than a matter of timing.
    let text = await fs.readFile(file, 'utf8');
    if (text.endsWith('\n')) {
      const start = text.lastIndexOf('\n', text.length - 2) + 1;
      text = text.slice(0, start + Math.floor((text.length - start) / 2));
      await fs.writeFile(file, text);
    }
    const cutLine = text.split('\n').length;
    const okBefore = new Set(okCounts(parseNdjson(text.slice(0, text.lastIndexOf('\n') + 1))).keys());
    expect(okBefore.size).toBeGreaterThanOrEqual(HOSTS / 2 - 1);
    expect(okBefore.size).toBeLessThan(HOSTS);

    await Promise.all(fleets.map((fleet) => fleet.resetStats()));
    const second = await runCli(command, { timeoutMs: SLOW_MACHINE_MS });
    expect(second.exitCode).toBe(0);
    expect(second.stderr).toContain(`--resume ${file}:${cutLine}: a record cut short (a run killed mid-write): ignored, and removed`);
    expect((await requestedHosts(fleets)).filter((host) => okBefore.has(host))).toEqual([]);
    await expectOneOkEach(file, hosts);
  });
});

describe('--resume in gearman mode', { timeout: 3 * SLOW_MACHINE_MS }, () => {
  const GEARMAN_HOSTS = 2000;
  let fleet: Fleet;
  let gearmand: Gearmand;
  beforeAll(async () => {
    // 100 ms a host over 2 workers × -c 20: about 400 hosts/s, so the run is still going at 1,000 records.
    [fleet, gearmand] = await Promise.all([startFleet({ hosts: GEARMAN_HOSTS, latencyMs: 100 }), startGearmand()]);
  });
  afterAll(async () => {
    await Promise.all([fleet?.close(), gearmand?.stop()]);
  });

  it('after Ctrl-C halfway, the same command line skips the ok hosts before any job and finishes the job', async ({ signal }) => {
    const file = path.join(dir, 'gearman.ndjson');
    const list = path.join(dir, 'gearman-hosts.txt');
    await fs.writeFile(list, `${fleet.hosts.join('\n')}\n`);
    const command = [
      'pull',
      '-f',
      list,
      '--resume',
      file,
      '--gearman',
      gearmand.address,
      '--local-workers',
      '2',
      '--batch-size',
      '20',
      '-c',
      '20',
    ];
    const first = startCli(command);
    try {
      await waitForLines(file, GEARMAN_HOSTS / 2, signal);
      first.child.kill('SIGINT');
      expect((await first.exited).exitCode).toBe(130);
    } finally {
      await first.stop();
    }
    const firstRecords = parseNdjson(await fs.readFile(file, 'utf8'));
    expect(firstRecords).toHaveLength(GEARMAN_HOSTS);
    const okBefore = new Set(okCounts(firstRecords).keys());
    expect(okBefore.size).toBeLessThan(GEARMAN_HOSTS);

    fleet.reset();
    const second = await runCli(command, { timeoutMs: SLOW_MACHINE_MS });
    expect(second.exitCode).toBe(0);
    expect(second.stderr).toContain(`${okBefore.size} of ${GEARMAN_HOSTS} hosts already ok, skipped`);
    expect(Object.keys(fleet.stats().hosts).filter((host) => okBefore.has(host))).toEqual([]);
    await expectOneOkEach(file, fleet.hosts);
  });
});
