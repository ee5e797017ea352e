// -c beyond the open-file limit: lowered to what fits, with a warning, so healthy hosts never fail with EMFILE
// (which would be recorded as a network failure). Both where request sockets are held: pull, and a worker.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { fetchWorkers } from '../../src/gearman/admin-client.js';
import { startGearmand } from '../helpers/gearmand.js';
import { BIN, parseNdjson, runCli, type CliResult } from '../helpers/run-cli.js';

const LIMIT = 256;

/** The binary under a soft open-file limit of LIMIT (the shell's ulimit, as an operator's would be). */
function underLimit(args: readonly string[]): { exited: Promise<CliResult>; kill: () => void } {
  const child = spawn('sh', ['-c', `ulimit -n ${LIMIT} && exec "$0" "$@"`, process.execPath, BIN, ...args], {
    env: { ...process.env, FANOUT_GEARMAN: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<CliResult>((resolve) =>
    child.on('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr })),
  );
  return { exited, kill: () => child.kill('SIGKILL') };
}

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ hosts: 400, latencyMs: 300 });
});
afterAll(() => fleet.close());

describe('-c above the open-file limit', () => {
  it('pull runs at the -c the limit allows, says so, and every healthy host is ok', async () => {
    fleet.reset();
    const { exitCode, stdout, stderr } = await underLimit(['pull', ...fleet.hosts, '-c', '1000']).exited;
    expect(stderr).toContain(`-c 1000 needs about 1064 open files but the limit is ${LIMIT}: running with -c ${LIMIT - 64}`);
    expect(parseNdjson(stdout).filter((r) => !r.ok)).toEqual([]);
    expect(exitCode).toBe(0);
    expect(fleet.stats().maxInFlight).toBeLessThanOrEqual(LIMIT - 64);
  });

  it('a worker runs at the --concurrency the limit allows, says so, and every healthy host is ok', async () => {
    fleet.reset();
    const gearmand = await startGearmand();
    const worker = underLimit(['worker', '--gearman', gearmand.address, '-c', '1000', '--id', 'fd1']);
    try {
      while (!(await fetchWorkers(gearmand)).some((w) => w.functions.includes('fanout.http'))) {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      const run = await runCli(['pull', ...fleet.hosts, '--gearman', gearmand.address, '-c', '1000']);
      expect(parseNdjson(run.stdout).filter((r) => !r.ok)).toEqual([]);
      expect(run.exitCode).toBe(0);
      expect(fleet.stats().maxInFlight).toBeLessThanOrEqual(LIMIT - 64);
    } finally {
      worker.kill();
      const { stderr } = await worker.exited;
      await gearmand.stop();
      expect(stderr).toContain(`-c 1000 needs about 1064 open files but the limit is ${LIMIT}: running with -c ${LIMIT - 64}`);
    }
  });
});
