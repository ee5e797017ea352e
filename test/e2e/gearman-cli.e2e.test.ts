// Gearman mode from the command line: one command with embedded workers does the whole job.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { startGearmand, type Gearmand } from '../helpers/gearmand.js';
import { parseNdjson, runCli } from '../helpers/run-cli.js';

let fleet: Fleet;
let gearmand: Gearmand;
beforeAll(async () => {
  [fleet, gearmand] = await Promise.all([startFleet({ hosts: 300, latencyMs: 5, faults: { '500': 0.05 } }), startGearmand()]);
});
afterAll(async () => {
  await Promise.all([fleet.close(), gearmand.stop()]);
});

describe('fanout pull --gearman --local-workers', () => {
  it('runs every host through gearmand with embedded workers: one record each, tagged with its worker', async () => {
    const run = await runCli([
      'pull',
      ...fleet.hosts,
      '--gearman',
      gearmand.address,
      '--local-workers',
      '2',
      '--batch-size',
      '40',
      '-c',
      '40',
    ]);
    const records = parseNdjson(run.stdout); // each checked against the schema
    expect(records).toHaveLength(300);
    expect(new Set(records.map((r) => r.host)).size).toBe(300);
    expect(records.every((r) => r.worker?.startsWith('local-'))).toBe(true);
    const failed = records
      .filter((r) => !r.ok)
      .map((r) => r.host)
      .sort();
    expect(failed).toEqual([...fleet.faultyHosts('500')].sort());
    expect(run.exitCode).toBe(1);
    expect(run.stderr).toMatch(/300 hosts · \d+ ok · \d+ failed \(http_status \d+\)/);
  });

  it('takes the job servers from FANOUT_GEARMAN, and rejects a malformed server list with exit 2', async () => {
    const run = await runCli(['pull', fleet.hosts[0]!, '--local-workers', '1', '-q'], { env: { FANOUT_GEARMAN: gearmand.address } });
    expect(run.exitCode).toBe(0);
    expect(parseNdjson(run.stdout)[0]?.worker).toMatch(/^local-/);
    const bad = await runCli(['pull', fleet.hosts[0]!, '--gearman', '127.0.0.1:99999']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toContain('--gearman');
  });
});
