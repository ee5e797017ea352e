// `fanout status` reads the same numbers as gearmand's own `gearadmin --status`.
import { execFileSync } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GearmanConnection } from '../../src/gearman/connection.js';
import { PacketType } from '../../src/gearman/packet-types.js';
import { parseServerAddress } from '../../src/gearman/server-address.js';
import { startGearmand, type Gearmand } from '../helpers/gearmand.js';
import { runCli } from '../helpers/run-cli.js';

let gearmand: Gearmand;
const connections: GearmanConnection[] = [];
beforeAll(async () => {
  gearmand = await startGearmand();
  const address = parseServerAddress(gearmand.address);
  const client = await GearmanConnection.connect(address);
  const worker = await GearmanConnection.connect(address);
  connections.push(client, worker);
  worker.send(PacketType.SET_CLIENT_ID, ['probe-worker']);
  worker.send(PacketType.CAN_DO, ['fanout.http']);
  worker.send(PacketType.CAN_DO, ['other.fn']);
  for (let i = 0; i < 3; i++) await client.submit(PacketType.SUBMIT_JOB_BG, 'fanout.http', `status-test-${i}`, '{}');
  await client.submit(PacketType.SUBMIT_JOB_BG, 'idle.fn', 'status-test-idle', '{}');
  await worker.request(PacketType.ECHO_REQ, ['']); // a round trip: the worker's CAN_DOs are processed before the admin queries
});
afterAll(async () => {
  await Promise.all(connections.map((c) => c.close()));
  await gearmand.stop();
});

function gearadminStatus(): Record<string, { total: number; running: number; workers: number }> {
  const text = execFileSync('gearadmin', ['-h', gearmand.host, '-p', String(gearmand.port), '--status'], { encoding: 'utf8' });
  const out: Record<string, { total: number; running: number; workers: number }> = {};
  for (const line of text.split('\n')) {
    const [fn, total, running, workers] = line.split('\t');
    if (fn && fn !== '.' && workers !== undefined) out[fn] = { total: Number(total), running: Number(running), workers: Number(workers) };
  }
  return out;
}

describe('fanout status', () => {
  it('agrees with gearadmin --status on queued, running and workers per function', async () => {
    const run = await runCli(['status', '--gearman', gearmand.address, '--json']);
    expect(run.exitCode).toBe(0);
    const [report] = JSON.parse(run.stdout) as Array<{
      ok: boolean;
      functions: Array<{ function: string; queued: number; running: number; workers: number }>;
      workers: Array<{ id: string }>;
    }>;
    const reference = gearadminStatus();
    expect(Object.keys(reference).sort()).toEqual(report!.functions.map((f) => f.function).sort());
    for (const f of report!.functions) {
      expect({ fn: f.function, total: f.queued + f.running, running: f.running, workers: f.workers }).toEqual({
        fn: f.function,
        ...reference[f.function],
      });
    }
    expect(reference['fanout.http']).toEqual({ total: 3, running: 0, workers: 1 });
    expect(report!.workers.map((w) => w.id)).toContain('probe-worker');
  });

  it('prints a table for people, and exits 3 naming a server that does not answer', async () => {
    const run = await runCli(['status', '--gearman', `${gearmand.address},127.0.0.1:1`, '--function', 'fanout.http']);
    expect(run.exitCode).toBe(3);
    expect(run.stdout).toMatch(new RegExp(`${gearmand.address.replaceAll('.', '\\.')}\\s+fanout\\.http\\s+3\\s+0\\s+1`));
    expect(run.stdout).toContain('127.0.0.1:1: unreachable');
  });
});
