// Supervisor with tiny real child processes (node -e): restart back-off, its reset after a stable run, and stop.
import { afterEach, describe, expect, it } from 'vitest';
import { Supervisor } from '../../src/worker/supervisor.js';
import type { SupervisorOptions } from '../../src/worker/supervisor.js';

const supervisors: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.stop('SIGKILL')));
});

/** A started supervisor of children running `script`, the restart delays it announced, and a wait for the n-th spawn. */
function supervise(
  script: string,
  options: Partial<SupervisorOptions> = {},
): { supervisor: Supervisor; delays: number[]; spawned: (count: number) => Promise<void> } {
  const delays: number[] = [];
  let spawns = 0;
  let waiting: { count: number; resolve: () => void } | undefined;
  const supervisor = new Supervisor({
    processes: 1,
    command: process.execPath,
    args: () => ['-e', script],
    backoff: { minDelayMs: 10, maxDelayMs: 40, jitter: 0 },
    log: (line) => {
      const delay = /restarting it in (\d+) ms/.exec(line)?.[1];
      if (delay !== undefined) delays.push(Number(delay));
    },
    ...options,
  });
  supervisors.push(supervisor);
  supervisor.on('spawn', () => {
    if (++spawns === waiting?.count) waiting.resolve();
  });
  supervisor.start();
  const spawned = (count: number): Promise<void> =>
    spawns >= count ? Promise.resolve() : new Promise((resolve) => (waiting = { count, resolve }));
  return { supervisor, delays, spawned };
}

describe('Supervisor', () => {
  it('restarts a child that keeps dying with doubling delays up to the maximum', async () => {
    const { delays, spawned } = supervise('process.exit(3)');
    await spawned(5);
    expect(delays.slice(0, 4)).toEqual([10, 20, 40, 40]);
  });

  it('restarts a child that had run stably after the shortest delay again', async () => {
    const { delays, spawned } = supervise('setTimeout(() => process.exit(1), 30)', { stableAfterMs: 1 });
    await spawned(4);
    expect(delays.slice(0, 3)).toEqual([10, 10, 10]);
  });

  it('stop() forwards the signal to every child, restarts none, and resolves once they have exited', async () => {
    const { supervisor, delays, spawned } = supervise('setInterval(() => {}, 1000)', { processes: 3 });
    const exits: Array<NodeJS.Signals | null> = [];
    supervisor.on('exit', (_slot, _pid, _code, signal) => exits.push(signal));
    await spawned(3);

    await supervisor.stop('SIGTERM');
    expect(exits).toEqual(['SIGTERM', 'SIGTERM', 'SIGTERM']);
    expect(supervisor.pids()).toEqual([]);
    expect(delays).toEqual([]);
  });
});
