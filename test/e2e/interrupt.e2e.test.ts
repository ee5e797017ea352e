// Ctrl-C on a real run: the first one finishes with a record for every host and exit 130.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import type { HostResult } from '../../src/record/host-result.js';
import { BIN, parseNdjson } from '../helpers/run-cli.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ hosts: 40, faultFor: (i) => (i < 10 ? 'hang' : 'ok') });
});
afterAll(() => fleet.close());

describe('SIGINT', () => {
  it('ends a run at once with every host accounted for, exit 130', async () => {
    const child = spawn(process.execPath, [BIN, 'pull', ...fleet.hosts, '-c', '5', '--timeout', '30s'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    // The first 5 hosts hang and fill every slot: wait until they are in flight at the fleet.
    while (fleet.totalRequests() < 5) await new Promise((resolve) => setTimeout(resolve, 20));
    child.kill('SIGINT');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    expect(code).toBe(130);
    const records = parseNdjson<HostResult>(stdout);
    expect(records).toHaveLength(40);
    expect(records.filter((r) => r.code === 'aborted')).toHaveLength(5);
    expect(records.filter((r) => r.code === 'not_attempted')).toHaveLength(35);
    expect(stderr).toContain('interrupted');
    expect(stderr).toMatch(/40 hosts · 0 ok · 40 failed/);
  });
});
