// `npm run bench`: fanout against the tools it replaces, on the bundled loopback fleet, scenario by scenario
// (bench/scenarios.ts: A–F and S of docs/performance.md), each on its own fleet. Per scenario it prints, per
// contender, the median wall time, CPU per host and peak RSS, as ratios to the ideal and to `curl --parallel`
// measured alongside (gearman mode: gearmand and 2 `fanout worker` processes, their CPU included); then a summary
// of all scenarios.
// Within a scenario the contenders run interleaved (A B C, A B C, …) after a warm-up so that drift hits all alike.
//
//   npm run bench                                              # A–F and S, 3 runs each + 1 warm-up
//   BENCH_SCENARIOS=A,F BENCH_ONLY=fanout-local,curl-parallel BENCH_RUNS=5 npm run bench
//   BENCH_HOSTS=200 BENCH_RUNS=1 npm run bench                 # smoke run: every scenario at 200 hosts
//
// Raise the open-file limit first (ulimit -n $(ulimit -Hn)): the fleet holds a socket per host.
import { execFileSync } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { hostAddress } from '../fixtures/fleet/fleet.js';
import { spawnFleet } from '../fixtures/fleet/spawn-fleet.js';
import { makeFleetCertificates, type FleetCertificates } from '../fixtures/fleet/tls-certs.js';
import { contendersFor } from './contenders.js';
import { measure } from './measure.js';
import { scenariosFrom, type Scenario } from './scenarios.js';
import { scenarioTable, summaryTable, type ContenderResult, type ScenarioResult } from './table.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ONLY = process.env.BENCH_ONLY?.split(',').map((name) => name.trim());
const ROOT = fileURLToPath(new URL('../', import.meta.url));
/** Second octets a TLS fleet may get (as the fleet's own automatic choice): its certificates must name them. */
const TLS_BASE = { min: 100, max: 250 } as const;

function have(command: string): boolean {
  try {
    execFileSync('bash', ['-c', `command -v ${command}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function countLines(path: string, isOk: (line: string) => boolean): Promise<{ lines: number; ok: number }> {
  const lines = (await readFile(path, 'utf8').catch(() => '')).split('\n').filter((l) => l !== '');
  return { lines: lines.length, ok: lines.filter(isOk).length };
}

/** A JSON object of exactly `bytes` bytes. */
function jsonBody(bytes: number): string {
  const head = '{"pad":"';
  const tail = '"}';
  return `${head}${'x'.repeat(Math.max(0, bytes - head.length - tail.length))}${tail}`;
}

/** The fleet process needs a descriptor per host and per connection: say so before it fails with EMFILE. */
function warnAboutFdLimit(scenarios: readonly Scenario[]): void {
  const soft = /^Max open files\s+(\d+)/m.exec(readFileSync('/proc/self/limits', 'utf8'))?.[1];
  const needed = Math.max(...scenarios.map((s) => s.hosts + 2 * s.concurrency + 100));
  if (soft !== undefined && Number(soft) < needed) {
    process.stderr.write(`bench: open-file limit ${soft} < ~${needed} needed: run \`ulimit -n $(ulimit -Hn)\` first\n`);
  }
}

/**
 * An HTTPS scenario's fleet base and certificates: a small certificate per group of 16 hosts (tls-certs.ts), as real
 * servers each have their own; the certificates must name the addresses before the fleet listens, so the bench picks
 * the base.
 */
async function tlsFleet(scenario: Scenario, work: string): Promise<{ base: number; certs: FleetCertificates } | undefined> {
  if (scenario.tls !== true) return undefined;
  const base = randomInt(TLS_BASE.min, TLS_BASE.max + 1);
  const started = performance.now();
  const addresses = Array.from({ length: scenario.hosts }, (_, i) => hostAddress(base, i));
  const certs = await makeFleetCertificates(work, addresses);
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  process.stderr.write(`bench ${scenario.id}: ${certs.certFiles.length} certificates of ≤ ${certs.groupSize} addresses in ${seconds} s\n`);
  return { base, certs };
}

async function runScenario(scenario: Scenario): Promise<ScenarioResult> {
  const work = await mkdtemp(join(tmpdir(), `fanout-bench-${scenario.id}-`));
  const cleanups: Array<() => Promise<void>> = [() => rm(work, { recursive: true, force: true })];
  try {
    const https = await tlsFleet(scenario, work);
    const bodyFile = scenario.postBytes === undefined ? undefined : join(work, 'body.json');
    if (bodyFile !== undefined) await writeFile(bodyFile, jsonBody(scenario.postBytes ?? 0));
    const fleet = await spawnFleet({
      hosts: scenario.hosts,
      latencyMs: scenario.latencyMs,
      ...(scenario.faults === undefined ? {} : { faults: scenario.faults }),
      ...(https === undefined ? {} : { base: https.base, tls: https.certs }),
    });
    cleanups.push(() => fleet.stop());
    const context = { root: ROOT, work, scenario, fleet, have, cleanups };
    const contenders = await contendersFor(
      { ...context, ...(https === undefined ? {} : { caFile: https.certs.caFile }), ...(bodyFile === undefined ? {} : { bodyFile }) },
      ONLY,
    );
    const results: ContenderResult[] = contenders.map((c) => ({
      name: c.name,
      runs: [],
      helperRoles: c.helpers?.map((h) => h.role) ?? [],
      incomplete: [],
      okHosts: 0,
    }));
    process.stderr.write(`\nbench ${scenario.id}: ${RUNS} runs + 1 warm-up of ${contenders.map((c) => c.name).join(', ')}\n`);
    for (let run = 0; run <= RUNS; run++) {
      const label = run === 0 ? 'warm-up' : `run ${run}`;
      for (const [i, contender] of contenders.entries()) {
        const result = results[i]!;
        await rm(contender.output, { force: true }); // a run that writes nothing must not count the last run's lines
        const m = await measure(contender.command, {
          helperPids: contender.helpers?.map((h) => h.pid) ?? [],
          ...(contender.stdout === undefined ? {} : { stdout: contender.stdout }),
          ...(contender.env === undefined ? {} : { env: contender.env }),
        });
        const { lines, ok } = await countLines(contender.output, contender.isOk);
        if (lines !== scenario.hosts) result.incomplete.push(`${label}: ${lines} lines`);
        result.okHosts = ok;
        if (run > 0) result.runs.push(m);
        const rss = m.peakRssMb === null ? '' : `, ${m.peakRssMb.toFixed(0)} MB`;
        process.stderr.write(
          `  ${label} ${contender.name}: ${(m.wallMs / 1000).toFixed(2)} s wall, ${(m.cpuMs / 1000).toFixed(2)} s CPU${rss}, ` +
            `exit ${m.exitCode}, ${lines}/${scenario.hosts} lines, ${ok} ok\n`,
        );
      }
    }
    const result = { scenario, contenders: results };
    process.stdout.write(`${scenarioTable(result)}\n`);
    return result;
  } finally {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  }
}

const scenarios = scenariosFrom(process.env);
warnAboutFdLimit(scenarios);
const results: ScenarioResult[] = [];
for (const scenario of scenarios) results.push(await runScenario(scenario));
process.stdout.write(`${summaryTable(results)}\n`);
if (results.some((r) => r.contenders.some((c) => c.incomplete.length > 0))) {
  process.stderr.write('bench: some runs did not write one line per host (see the tables)\n');
  process.exitCode = 1;
}
