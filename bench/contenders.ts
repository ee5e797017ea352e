// The commands `npm run bench` times, each a shell line, and where each writes its per-host lines.
import { join } from 'node:path';
import type { SpawnedFleet } from '../fixtures/fleet/spawn-fleet.js';

export interface Contender {
  name: string;
  command: string;
  /** File holding one line per host, checked after each run; null when the tool writes none. */
  output: string | null;
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

export async function contendersFor(ctx: ContenderContext): Promise<Contender[]> {
  const { root, work, fleet, concurrency: c } = ctx;
  const fanout = `node ${join(root, 'bin/run.js')}`;
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
  list.push({ name: 'fanout-local', command: `${fanout} pull ${common} -o ${local}`, output: local });
  return list;
}
