import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminCommand, fetchStatus, fetchWorkers } from '../../src/gearman/admin-client.js';
import { AdminReplyAssembler, parseStatus, parseWorkers } from '../../src/gearman/admin-text.js';
import type { FunctionStatus } from '../../src/gearman/admin-text.js';
import { GearmanConnection } from '../../src/gearman/connection.js';
import { ConnectionErrorReason } from '../../src/gearman/errors.js';
import { PacketType } from '../../src/gearman/packet-types.js';
import { startGearmand } from '../helpers/gearmand.js';
import type { Gearmand } from '../helpers/gearmand.js';

const run = promisify(execFile);
let gearmand: Gearmand;
let worker: GearmanConnection;
let client: GearmanConnection;

beforeAll(async () => {
  gearmand = await startGearmand();
  const address = { host: gearmand.host, port: gearmand.port };
  [worker, client] = await Promise.all([GearmanConnection.connect(address), GearmanConnection.connect(address)]);
  worker.send(PacketType.SET_CLIENT_ID, ['admin-test-worker']);
  worker.send(PacketType.CAN_DO, ['admin.fa']);
  worker.send(PacketType.CAN_DO, ['admin.fb']);
  await worker.request(PacketType.ECHO_REQ, ['']); // the registrations are processed once this round trip completes
  await client.submit(PacketType.SUBMIT_JOB_BG, 'admin.fa', 'a-1', 'x');
  await client.submit(PacketType.SUBMIT_JOB_BG, 'admin.fa', 'a-2', 'x');
  await client.submit(PacketType.SUBMIT_JOB_BG, 'admin.nobody', 'n-1', 'x');
});
afterAll(async () => {
  await Promise.all([worker.close(), client.close()]);
  await gearmand.stop();
});

/** The lines of a list reply as gearadmin prints it (the server's bytes, `.` line included). */
function gearadminLines(command: string, stdout: string): string[] {
  const assembler = new AdminReplyAssembler();
  assembler.expect(command);
  const [reply] = assembler.push(Buffer.from(stdout));
  if (reply?.kind !== 'list') throw new Error(`gearadmin printed no complete list for "${command}": ${JSON.stringify(stdout)}`);
  return reply.lines;
}

const byFunction = (rows: FunctionStatus[]): FunctionStatus[] => [...rows].sort((a, b) => a.function.localeCompare(b.function));

describe('admin client against gearmand', () => {
  it('reads status: queued jobs and workers per function', async () => {
    expect(byFunction(await fetchStatus(gearmand))).toEqual([
      { function: 'admin.fa', total: 2, running: 0, workers: 1 },
      { function: 'admin.fb', total: 0, running: 0, workers: 1 },
      { function: 'admin.nobody', total: 1, running: 0, workers: 0 },
    ]);
  });

  it('reads the same status as gearadmin --status', async () => {
    const { stdout } = await run('gearadmin', ['--status', '-h', gearmand.host, '-p', String(gearmand.port)]);
    const fromGearadmin = parseStatus(gearadminLines('status', stdout));
    expect(fromGearadmin.length).toBe(3);
    expect(byFunction(await fetchStatus(gearmand))).toEqual(byFunction(fromGearadmin));
  });

  it('reads workers like gearadmin --workers', async () => {
    const ours = await fetchWorkers(gearmand);
    const { stdout } = await run('gearadmin', ['--workers', '-h', gearmand.host, '-p', String(gearmand.port)]);
    const theirs = parseWorkers(gearadminLines('workers', stdout));
    // Function order within a line is the server's; compare it as a set.
    const registered = (rows: typeof ours) => {
      const row = rows.find((candidate) => candidate.id === 'admin-test-worker');
      return row && { ...row, functions: [...row.functions].sort() };
    };
    expect(registered(ours)).toMatchObject({ ip: '127.0.0.1', id: 'admin-test-worker', functions: ['admin.fa', 'admin.fb'] });
    expect(registered(theirs)).toEqual(registered(ours));
    // The client connection is listed too, without functions and without an id.
    expect(ours.some((row) => row.id === '-' && row.functions.length === 0)).toBe(true);
  });

  it('returns ERR replies as data and single-line replies as ok', async () => {
    await expect(adminCommand(gearmand, 'no-such-command')).resolves.toMatchObject({ kind: 'err', code: 'UNKNOWN_COMMAND' });
    await expect(adminCommand(gearmand, 'getpid')).resolves.toEqual({ kind: 'ok', value: String(gearmand.pid) });
  });

  it('times out on a server that accepts but does not answer, and fails on one that is gone', async () => {
    const stuck = await startGearmand();
    try {
      stuck.kill('SIGSTOP');
      // The deadline that fired is the one given, not the 5 s default: the error says which.
      await expect(fetchStatus(stuck, { timeoutMs: 200 })).rejects.toMatchObject({
        reason: ConnectionErrorReason.TIMEOUT,
        message: expect.stringContaining('within 200 ms') as unknown,
      });
    } finally {
      await stuck.stop();
    }
    await expect(fetchStatus(stuck)).rejects.toMatchObject({ reason: ConnectionErrorReason.CONNECT_FAILED });
  });
});
