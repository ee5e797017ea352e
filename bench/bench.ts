// `npm run bench`: fanout against the tools it replaces, on the bundled loopback fleet, in one run.
// Scenario (issue #2): N hosts answering after L ms, concurrency C. Prints, per contender, the median wall
// time and CPU per host, as ratios to the ideal ceil(N/C) × L, to `curl --parallel` and to fanout's local
// mode measured alongside (gearman mode: gearmand and 2 `fanout worker` processes, their CPU included).
// Contenders run interleaved (A B C, A B C, …) after a warm-up so that drift hits all alike.
//
//   npm run bench                                  # N=2000 L=50 C=200, 3 runs each
//   BENCH_HOSTS=10000 BENCH_CONCURRENCY=500 BENCH_RUNS=5 npm run bench
import { execFileSync } from 'node:child_process';
import { readFile, writeFile, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnFleet } from '../fixtures/fleet/spawn-fleet.js';
import { measure, median, type Measurement } from './measure.js';
import { contendersFor, type Contender } from './contenders.js';

const N = Number(process.env.BENCH_HOSTS ?? 2000);
const L = Number(process.env.BENCH_LATENCY_MS ?? 50);
const C = Number(process.env.BENCH_CONCURRENCY ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ONLY = process.env.BENCH_ONLY?.split(',');
const ROOT = fileURLToPath(new URL('../', import.meta.url));

function have(command: string): boolean {
  try {
    execFileSync('bash', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function countLines(path: string): Promise<number> {
  const text = await readFile(path, 'utf8').catch(() => '');
  return text.split('\n').filter((l) => l !== '').length;
}

const work = await mkdtemp(join(tmpdir(), 'fanout-bench-'));
const fleet = await spawnFleet({ hosts: N, latencyMs: L });
const cleanups: Array<() => Promise<void>> = [() => fleet.stop(), () => rm(work, { recursive: true, force: true })];
try {
  const curlConfig = join(work, 'curl.cfg');
  await writeFile(curlConfig, fleet.hosts.map((h) => `url = "http://${h}/"\noutput = "/dev/null"\n`).join(''));
  const contenders = (await contendersFor({ root: ROOT, work, fleet, concurrency: C, curlConfig, have, cleanups })).filter(
    (c) => ONLY === undefined || ONLY.includes(c.name),
  );
  const results = new Map<string, Measurement[]>(contenders.map((c) => [c.name, []]));
  process.stderr.write(
    `bench: N=${N} hosts, latency ${L} ms, concurrency ${C}, ${RUNS} runs + 1 warm-up; ${contenders.map((c) => c.name).join(', ')}\n`,
  );
  for (let run = 0; run <= RUNS; run++) {
    for (const contender of contenders) {
      const m = await measure(contender.command, contender.helperPids);
      const lines = contender.output ? await countLines(contender.output) : N;
      if (lines !== N) throw new Error(`${contender.name}: ${lines} result lines for ${N} hosts`);
      if (run > 0) results.get(contender.name)!.push(m);
      process.stderr.write(
        `  ${run === 0 ? 'warm-up' : `run ${run}`} ${contender.name}: ${(m.wallMs / 1000).toFixed(2)} s wall, ${(m.cpuMs / 1000).toFixed(2)} s CPU\n`,
      );
    }
  }
  printTable(contenders, results);
} finally {
  for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
}

function printTable(contenders: readonly Contender[], results: Map<string, Measurement[]>): void {
  const ideal = Math.ceil(N / C) * L;
  const curl = results.get('curl-parallel');
  const local = results.get('fanout-local');
  const localWall = local ? median(local.map((m) => m.wallMs)) : NaN;
  const curlWall = curl ? median(curl.map((m) => m.wallMs)) : NaN;
  const curlCpu = curl ? median(curl.map((m) => m.cpuMs)) : NaN;
  const rows = contenders.map((c) => {
    const ms = results.get(c.name)!;
    const wall = median(ms.map((m) => m.wallMs));
    const cpu = median(ms.map((m) => m.cpuMs));
    return [
      c.name,
      `${(wall / 1000).toFixed(2)}`,
      `${(wall / ideal).toFixed(2)}×`,
      Number.isNaN(curlWall) ? '-' : `${(wall / curlWall).toFixed(2)}×`,
      Number.isNaN(localWall) ? '-' : `${(wall / localWall).toFixed(2)}×`,
      `${(cpu / N).toFixed(3)}`,
      Number.isNaN(curlCpu) ? '-' : `${(cpu / curlCpu).toFixed(2)}×`,
    ];
  });
  const head = ['contender', 'wall s (median)', '× ideal', '× curl wall', '× local wall', 'CPU ms/host', '× curl CPU'];
  const out = [
    `\nN=${N}, latency ${L} ms, C=${C}: ideal ceil(N/C)×L = ${(ideal / 1000).toFixed(2)} s; medians of ${RUNS} runs`,
    `| ${head.join(' | ')} |`,
    `|${head.map(() => '---').join('|')}|`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
  ];
  process.stdout.write(`${out.join('\n')}\n`);
}
