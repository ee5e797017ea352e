// The commands `npm run bench` times in one scenario, each a shell line, and where each writes its per-host lines.
// Gearman mode also needs a gearmand and two `fanout worker` processes for the length of the scenario (started
// per scenario: the workers' -c follows the scenario's C, and over HTTPS they need the CA in their environment):
// their CPU is part of what the mode costs, so the contender names their pids.
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stopChild, type SpawnedFleet } from '../fixtures/fleet/spawn-fleet.js';
import { fetchWorkers } from '../src/gearman/admin-client.js';
import { parseServerAddress } from '../src/gearman/server-address.js';
import { gearmandAvailable, startGearmand } from '../test/helpers/gearmand.js';
import type { Scenario } from './scenarios.js';

export type HelperRole = 'gearmand' | 'worker';

export interface Contender {
  name: string;
  /** One program and its arguments (measure() wraps it with GNU time). */
  command: string;
  /** Where the command's stdout goes, when that is its per-host output. */
  stdout?: string;
  /** File holding one line per host, checked after each run. */
  output: string;
  /** Whether a line of `output` is a host that succeeded: the counts of all contenders should agree. */
  isOk: (line: string) => boolean;
  env?: Record<string, string>;
  /** Long-running helpers (gearmand, workers) whose CPU during a run counts for this contender. */
  helpers?: { pid: number; role: HelperRole }[];
}

export interface ScenarioContext {
  root: string;
  /** Scratch directory of this scenario. */
  work: string;
  scenario: Scenario;
  fleet: SpawnedFleet;
  /** HTTPS: the CA every contender must verify the fleet's certificates with (one per group of hosts, tls-certs.ts). */
  caFile?: string;
  /** POST: the request body. */
  bodyFile?: string;
  have: (command: string) => boolean;
  /** Run (in reverse) when the scenario ends. */
  cleanups: Array<() => Promise<void>>;
}

const GEARMAN_WORKERS = 2;
// A substring test rather than JSON.parse: the record's fields are written in a fixed order without spaces.
const isOkRecord = (line: string): boolean => line.includes('"ok":true');
const WORKER_STOP_GRACE_MS = 5_000;

/** One transfer per host, its body discarded: curl's -w then prints the one line per host that is counted. */
function curlConfig(ctx: ScenarioContext): string {
  return ctx.fleet.hosts.map((h) => `url = "${ctx.fleet.scheme}://${h}/"\noutput = "/dev/null"\n`).join('');
}

interface GearmanStack {
  address: string;
  helpers: { pid: number; role: HelperRole }[];
}

async function startGearmanStack(ctx: ScenarioContext, fanout: string, env: Record<string, string>): Promise<GearmanStack> {
  const gearmand = await startGearmand();
  ctx.cleanups.push(() => gearmand.stop());
  const helpers: GearmanStack['helpers'] = [{ pid: gearmand.pid, role: 'gearmand' }];
  const perWorker = String(Math.ceil(ctx.scenario.concurrency / GEARMAN_WORKERS));
  for (let i = 0; i < GEARMAN_WORKERS; i++) {
    const args = ['worker', '--gearman', gearmand.address, '-c', perWorker, '-q'];
    const child = spawn(process.execPath, [fanout, ...args], { stdio: 'ignore', env: { ...process.env, ...env } });
    ctx.cleanups.push(() => stopChild(child, WORKER_STOP_GRACE_MS));
    helpers.push({ pid: child.pid!, role: 'worker' });
  }
  const address = parseServerAddress(gearmand.address);
  for (let waited = 0; (await fetchWorkers(address)).filter((w) => w.functions.length > 0).length < GEARMAN_WORKERS; waited += 50) {
    if (waited > 20_000) throw new Error('fanout workers did not register with gearmand');
    await sleep(50);
  }
  return { address: gearmand.address, helpers };
}

export async function contendersFor(ctx: ScenarioContext, only: readonly string[] | undefined): Promise<Contender[]> {
  const { root, work, scenario: s, fleet } = ctx;
  const wanted = (name: string): boolean => only === undefined || only.includes(name);
  const fanout = join(root, 'bin/run.js');
  // fanout has no --ca flag yet: Node reads extra trusted CAs from this variable at start-up (workers included).
  const env: Record<string, string> = ctx.caFile === undefined ? {} : { NODE_EXTRA_CA_CERTS: ctx.caFile };
  const request =
    ctx.bodyFile === undefined
      ? 'pull'
      : // push sends its default Idempotency-Key header too: what a user's push does, and one short header.
        `push -d @${ctx.bodyFile} -H 'Content-Type: application/json'`;
  const url = fleet.scheme === 'https' ? `-u 'https://{host}/'` : '';
  const common = `-f ${fleet.hostsFile} ${url} -c ${s.concurrency} --timeout ${s.timeoutS}s --connect-timeout ${s.timeoutS}s --format ndjson --no-progress -q`;
  const fanoutCommand = `${process.execPath} ${fanout} ${request} ${common}`;
  const list: Contender[] = [];
  if (ctx.have('curl') && wanted('curl-parallel')) {
    const config = join(work, 'curl.cfg');
    await writeFile(config, curlConfig(ctx));
    const post = ctx.bodyFile === undefined ? '' : `--data-binary @${ctx.bodyFile} -H 'Content-Type: application/json' -H 'Expect:'`;
    const tls = ctx.caFile === undefined ? '' : `--cacert ${ctx.caFile}`;
    const out = join(work, 'curl.out');
    list.push({
      name: 'curl-parallel',
      command:
        `curl -s --no-progress-meter --parallel --parallel-max ${s.concurrency} --connect-timeout ${s.timeoutS} --max-time ${s.timeoutS} ` +
        `${post} ${tls} -w '%{url_effective}\\t%{http_code}\\n' -K ${config}`,
      stdout: out,
      output: out,
      isOk: (line) => /\t2\d\d$/.test(line),
    });
  }
  if (wanted('fanout-local')) {
    const out = join(work, 'fanout-local.ndjson');
    list.push({ name: 'fanout-local', command: `${fanoutCommand} -o ${out}`, output: out, isOk: isOkRecord, env });
  }
  if (gearmandAvailable && wanted('fanout-gearman')) {
    const stack = await startGearmanStack(ctx, fanout, env);
    const out = join(work, 'fanout-gearman.ndjson');
    list.push({
      name: 'fanout-gearman',
      command: `${fanoutCommand} --gearman ${stack.address} -o ${out}`,
      output: out,
      isOk: isOkRecord,
      env,
      helpers: stack.helpers,
    });
  }
  return list;
}
