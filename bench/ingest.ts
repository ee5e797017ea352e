// `npm run bench:ingest`: how fast the gearman-mode client turns WORK_DATA packets into records, keeps one per host
// (the JobBook), summarises them and writes them as NDJSON, on one core. No HTTP and no workers: a fake job server
// in its own process (bench/ingest-server.ts) answers every job with the packets a fanout worker would send, as fast
// as the socket takes them, so the client is the bottleneck. The client is the real one: runFanout (src/run) with a
// gearman RunConfig, in this process, from the TypeScript sources (so the numbers follow src/ without a build).
//
// On one core: with taskset (and 2 cores or more) this process, V8's helper threads (GC) included, is pinned to CPU 0
// and the job server to CPU 1. Reported per record, wall and CPU (this process), median of the runs after warm-up
// runs of at least WARMUP_RECORDS records in all (the JIT needs that many to settle), beside baselines timed in the same process over the same lines: JSON.parse of each line (the
// least any decoder does), and JSON.parse + JSON.stringify (the least a decoder that writes NDJSON does). The
// client's time also holds what it does besides ingesting in a real run: reading the hosts file (timed alone too,
// with the runner's own planTargets), making and submitting the jobs. The target: ≥ 150,000 records/s.
//
//   npm run bench:ingest                                       # 100,000 records, 20 per WORK_DATA, 3 runs
//   INGEST_RECORDS=30000 INGEST_RECORDS_PER_PACKET=50 INGEST_RUNS=5 npm run bench:ingest
import { execFileSync, spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { GEARMAN_DEFAULTS } from '../src/defaults.js';
import { planTargets } from '../src/hosts/host-source.js';
import type { Target } from '../src/hosts/target.js';
import { runFanout } from '../src/run/run-fanout.js';
import { runConfig } from '../test/helpers/run-config.js';
import { benchHost, recordFor, workDataBodies } from './ingest-records.js';
import { median } from './measure.js';
import { markdownTable } from './table.js';

const RECORDS = Number(process.env.INGEST_RECORDS ?? 100_000);
const PER_PACKET = Number(process.env.INGEST_RECORDS_PER_PACKET ?? 20);
const RUNS = Number(process.env.INGEST_RUNS ?? 3);
const TARGET_PER_S = 150_000;
const WARMUP_RECORDS = 100_000;
const WARMUPS = Math.max(1, Math.ceil(WARMUP_RECORDS / RECORDS));
const BATCH = GEARMAN_DEFAULTS.batchSize;
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const SERVER = fileURLToPath(new URL('./ingest-server.ts', import.meta.url));

interface Timing {
  wallMs: number;
  cpuMs: number;
}

async function timed(work: () => Promise<void> | void): Promise<Timing> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await work();
  const wallMs = performance.now() - started;
  const { user, system } = process.cpuUsage(cpu);
  return { wallMs, cpuMs: (user + system) / 1000 };
}

/** Pins every thread of this process to CPU 0; false where taskset is missing or there is one core only. */
function pinToFirstCore(): boolean {
  if (availableParallelism() < 2) return false;
  try {
    execFileSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function startServer(pinned: boolean): Promise<{ port: number; stop: () => void }> {
  const node = [process.execPath, '--import', 'tsx', SERVER, String(PER_PACKET)];
  const [command, ...args] = pinned ? ['taskset', '-c', '1', ...node] : node;
  const child = spawn(command!, args, { cwd: ROOT, stdio: ['pipe', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`ingest server exited (${code}) before it was ready`)));
    createInterface({ input: child.stdout }).once('line', resolve);
  });
  const { port } = JSON.parse(line) as { port: number };
  return { port, stop: () => child.stdin.end() };
}

const targets: Target[] = Array.from({ length: RECORDS }, (_, index) => ({ host: benchHost(index), index }));
const expectedOk = targets.filter((t) => recordFor(t).ok).length;

/** The lines the client will receive, for the baselines: the same bodies, the same cut into jobs. */
function allLines(): string[] {
  const lines: string[] = [];
  for (let i = 0; i < RECORDS; i += BATCH) {
    for (const body of workDataBodies(targets.slice(i, i + BATCH), PER_PACKET)) lines.push(...body.split('\n').filter((l) => l !== ''));
  }
  return lines;
}

async function ingestOnce(port: number, hostsFile: string, run: number): Promise<Timing> {
  let stderr = '';
  const err = new PassThrough().setEncoding('utf8');
  err.on('data', (text: string) => (stderr += text));
  const config = runConfig([], {
    sources: [{ kind: 'file', path: hostsFile }],
    runId: `ingest-${run + WARMUPS}`,
    outputFile: '/dev/null',
    quiet: true,
    gearman: {
      servers: [{ host: '127.0.0.1', port }],
      functionName: GEARMAN_DEFAULTS.functionName,
      batchSize: BATCH,
      localWorkers: 0,
      serverTimeoutMs: GEARMAN_DEFAULTS.serverTimeoutMs,
      stallTimeoutMs: GEARMAN_DEFAULTS.stallTimeoutMs,
    },
  });
  const io = { stdout: new PassThrough().resume(), stderr: err, env: {}, onInterrupt: () => () => undefined };
  let outcome: Awaited<ReturnType<typeof runFanout>> | undefined;
  const timing = await timed(async () => {
    outcome = await runFanout(config, io);
  });
  // A fast run that lost records would be a wrong one: every host must have its record, none dropped.
  const summary = outcome?.kind === 'run' ? outcome.summary : undefined;
  const dropped = summary?.droppedRecords;
  if (summary?.hosts !== RECORDS || summary.ok !== expectedOk || (dropped?.malformed ?? 0) + (dropped?.repeats ?? 0) > 0) {
    throw new Error(`ingest run ${run}: ${JSON.stringify({ hosts: summary?.hosts, ok: summary?.ok, dropped })} ${stderr}`);
  }
  return timing;
}

function row(step: string, timings: readonly Timing[], baselineCpuMs: number): string[] {
  const wall = median(timings.map((t) => t.wallMs));
  const cpu = median(timings.map((t) => t.cpuMs));
  return [
    step,
    wall.toFixed(0),
    Math.round((RECORDS / wall) * 1000).toLocaleString('en-US'),
    ((wall * 1000) / RECORDS).toFixed(2),
    ((cpu * 1000) / RECORDS).toFixed(2),
    `${(cpu / baselineCpuMs).toFixed(1)}×`,
  ];
}

const pinned = pinToFirstCore();
const work = await mkdtemp(join(tmpdir(), 'fanout-ingest-'));
const server = await startServer(pinned);
try {
  const hostsFile = join(work, 'hosts.txt');
  await writeFile(hostsFile, `${targets.map((t) => t.host).join('\n')}\n`);
  const lines = allLines();
  process.stderr.write(
    `bench:ingest: ${RECORDS} records in ${Math.ceil(RECORDS / BATCH)} jobs of ${BATCH}, ${PER_PACKET} per WORK_DATA; ` +
      `${RUNS} runs + ${WARMUPS} warm-up each; ${pinned ? 'client on CPU 0, job server on CPU 1' : 'not pinned (no taskset or one core)'}\n`,
  );
  const hosts: Timing[] = [];
  const parse: Timing[] = [];
  const parseStringify: Timing[] = [];
  const client: Timing[] = [];
  for (let run = 1 - WARMUPS; run <= RUNS; run++) {
    const p = await timed(() => {
      for (const line of lines) JSON.parse(line);
    });
    const ps = await timed(() => {
      for (const line of lines) JSON.stringify(JSON.parse(line));
    });
    const h = await timed(async () => {
      const plan = await planTargets([{ kind: 'file', path: hostsFile }]);
      for await (const _target of plan.targets());
      await plan.close();
    });
    const c = await ingestOnce(server.port, hostsFile, run);
    const label = run <= 0 ? 'warm-up' : `run ${run}`;
    process.stderr.write(`  ${label}: client ${c.wallMs.toFixed(0)} ms wall, ${c.cpuMs.toFixed(0)} ms CPU\n`);
    if (run <= 0) continue;
    hosts.push(h);
    parse.push(p);
    parseStringify.push(ps);
    client.push(c);
  }
  const baselineCpu = median(parse.map((t) => t.cpuMs));
  const head = [
    'step (in this process, same records)',
    'wall ms',
    'records/s (wall)',
    'µs/record wall',
    'µs/record CPU',
    '× JSON.parse CPU',
  ];
  const clientPerS = (RECORDS / median(client.map((t) => t.wallMs))) * 1000;
  process.stdout.write(
    [
      `\n${RECORDS.toLocaleString('en-US')} records, ${PER_PACKET} per WORK_DATA, medians of ${RUNS} runs`,
      '',
      markdownTable(head, [
        row('JSON.parse each line (baseline)', parse, baselineCpu),
        row('JSON.parse + JSON.stringify each line', parseStringify, baselineCpu),
        row('gearman client: runFanout, WORK_DATA → NDJSON on /dev/null', client, baselineCpu),
        row('client part: reading the hosts file alone (planTargets, targets())', hosts, baselineCpu),
      ]),
      '',
      `target ≥ ${TARGET_PER_S.toLocaleString('en-US')} records/s: ${Math.round(clientPerS).toLocaleString('en-US')} records/s wall, ` +
        `${clientPerS >= TARGET_PER_S ? 'met' : 'not met'} (${(clientPerS / TARGET_PER_S).toFixed(2)}× the target)`,
      '',
    ].join('\n'),
  );
} finally {
  server.stop();
  await rm(work, { recursive: true, force: true });
}
