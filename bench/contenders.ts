// The commands `npm run bench` times, each a shell line, and where each writes its per-host lines.
// Gearman mode also needs a gearmand and two `fanout worker` processes for the length of the bench:
// their CPU is part of what the mode costs, so the contender names their pids.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { SpawnedFleet } from '../fixtures/fleet/spawn-fleet.js';
import { fetchWorkers } from '../src/gearman/admin-client.js';
import { parseServerAddress } from '../src/gearman/server-address.js';
import { startGearmand } from '../test/helpers/gearmand.js';

export interface Contender {
  name: string;
  command: string;
  /** File holding one line per host, checked after each run; null when the tool writes none. */
  output: string | null;
  /** Long-running helpers (gearmand, workers) whose CPU during a run counts for this contender. */
  helperPids?: number[];
}

export interface ContenderContext {
  root: string;
  work: string;
  fleet: SpawnedFleet;
  concurrency: number;
  curlConfig: string;
  have: (command: string) => boolean;
  cleanups: Array<() => Promise<void>>;
}

const GEARMAN_WORKERS = 2;

async function startGearmanStack(ctx: ContenderContext, fanout: string[]): Promise<{ address: string; pids: number[] }> {
  const gearmand = await startGearmand();
  ctx.cleanups.push(() => gearmand.stop());
  const pids = [gearmand.pid];
  for (let i = 0; i < GEARMAN_WORKERS; i++) {
    const args = ['worker', '--gearman', gearmand.address, '-c', String(Math.ceil(ctx.concurrency / GEARMAN_WORKERS)), '-q'];
    const child = spawn(fanout[0]!, [...fanout.slice(1), ...args], { stdio: 'ignore' });
    ctx.cleanups.push(() => Promise.resolve(void child.kill('SIGTERM')));
    pids.push(child.pid!);
  }
  const address = parseServerAddress(gearmand.address);
  for (let waited = 0; (await fetchWorkers(address)).filter((w) => w.functions.length > 0).length < GEARMAN_WORKERS; waited += 50) {
    if (waited > 20_000) throw new Error('fanout workers did not register with gearmand');
    await sleep(50);
  }
  return { address: gearmand.address, pids };
}

export async function contendersFor(ctx: ContenderContext): Promise<Contender[]> {
  const { root, work, fleet, concurrency: c } = ctx;
  const fanout = [process.execPath, join(root, 'bin/run.js')];
  const common = `-f ${fleet.hostsFile} -c ${c} --timeout 5s --connect-timeout 5s --format ndjson --no-progress -q`;
  const list: Contender[] = [];
  if (ctx.have('curl')) {
    const out = join(work, 'curl.out');
    list.push({
      name: 'curl-parallel',
      command: `curl -s --no-progress-meter --parallel --parallel-max ${c} --connect-timeout 5 --max-time 5 -w '%{url_effective}\\t%{http_code}\\n' -K ${ctx.curlConfig} > ${out}`,
      output: out,
    });
  }
  const local = join(work, 'fanout-local.ndjson');
  list.push({ name: 'fanout-local', command: `${fanout.join(' ')} pull ${common} -o ${local}`, output: local });
  if (ctx.have('gearmand') || ctx.have('/usr/sbin/gearmand')) {
    const stack = await startGearmanStack(ctx, fanout);
    const out = join(work, 'fanout-gearman.ndjson');
    list.push({
      name: 'fanout-gearman',
      command: `${fanout.join(' ')} pull ${common} --gearman ${stack.address} -o ${out}`,
      output: out,
      helperPids: stack.pids,
    });
  }
  return list;
}
