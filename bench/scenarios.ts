// The scenarios of `npm run bench` (docs/performance.md, "Where fanout stands"): what each asks of the fleet and of
// the contenders, and the environment knobs that pick and shrink them.
import type { FaultRates } from '../fixtures/fleet/fleet.js';

export interface Scenario {
  id: string;
  title: string;
  hosts: number;
  latencyMs: number;
  concurrency: number;
  /** Whole-request and connect timeout of every contender. */
  timeoutS: number;
  /** POST a JSON body of this many bytes (fanout push -d @file, curl --data-binary @file) instead of a GET. */
  postBytes?: number;
  faults?: FaultRates;
  /** HTTPS, each host with a small certificate (16 IP SANs) of a CA made at bench time, verified by every contender. */
  tls?: boolean;
}

const A = { hosts: 2000, latencyMs: 50, concurrency: 200, timeoutS: 5 } as const;

export const SCENARIOS: readonly Scenario[] = [
  { id: 'A', title: '2,000 hosts, 50 ms, C=200', ...A },
  { id: 'B', title: '10,000 hosts, 50 ms, C=500', ...A, hosts: 10_000, concurrency: 500 },
  { id: 'C', title: '10,000 hosts, 0 ms, C=500', ...A, hosts: 10_000, latencyMs: 0, concurrency: 500 },
  { id: 'D', title: 'as A, POST 4 KiB JSON', ...A, postBytes: 4096 },
  {
    id: 'E',
    title: 'as A, 2% 500, 2% refused, 1% hang, 2 s timeout',
    ...A,
    timeoutS: 2,
    faults: { '500': 0.02, refused: 0.02, hang: 0.01 },
  },
  { id: 'F', title: 'as A over HTTPS (a TLS handshake per host)', ...A, tls: true },
  // The everyday run: a few hosts, where start-up and exit are all there is to measure.
  { id: 'S', title: '20 hosts, 50 ms (start-up and exit)', ...A, hosts: 20 },
];

function numberFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const text = env[name];
  if (text === undefined || text === '') return undefined;
  const value = Number(text);
  if (!Number.isFinite(value) || value < 0) throw new RangeError(`expected ${name} a number ≥ 0, received "${text}"`);
  return value;
}

/**
 * BENCH_SCENARIOS=A,C picks scenarios (default all, in order); BENCH_HOSTS, BENCH_CONCURRENCY and BENCH_LATENCY_MS
 * override that size in every scenario picked, for a quick smoke run.
 */
export function scenariosFrom(env: NodeJS.ProcessEnv): Scenario[] {
  const wanted = env.BENCH_SCENARIOS?.split(',').map((id) => id.trim().toUpperCase());
  const unknown = wanted?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0)
    throw new RangeError(`unknown BENCH_SCENARIOS ${unknown.join(',')}: expected some of ${SCENARIOS.map((d) => d.id).join(',')}`);
  const hosts = numberFrom(env, 'BENCH_HOSTS');
  const concurrency = numberFrom(env, 'BENCH_CONCURRENCY');
  const latencyMs = numberFrom(env, 'BENCH_LATENCY_MS');
  return SCENARIOS.filter((s) => wanted === undefined || wanted.includes(s.id)).map((s) => ({
    ...s,
    hosts: hosts ?? s.hosts,
    concurrency: concurrency ?? s.concurrency,
    latencyMs: latencyMs ?? s.latencyMs,
  }));
}

/**
 * The wall time no client can beat: ceil(N/C) rounds of L ms; with hung hosts, at least the timeout (a hung request
 * ends only then). null when it is 0 (no latency: throughput-bound, so no ideal to compare with).
 */
export function idealMs(s: Scenario): number | null {
  const rounds = Math.ceil(s.hosts / s.concurrency) * s.latencyMs;
  const ideal = (s.faults?.hang ?? 0) > 0 ? Math.max(rounds, s.timeoutS * 1000) : rounds;
  return ideal > 0 ? ideal : null;
}

/** The sizes a run used, when BENCH_HOSTS & co. changed them: "" for the scenario as defined. */
export function sizeNote(s: Scenario): string {
  const defined = SCENARIOS.find((d) => d.id === s.id);
  const same = defined?.hosts === s.hosts && defined.latencyMs === s.latencyMs && defined.concurrency === s.concurrency;
  return same ? '' : ` (run as N=${s.hosts}, L=${s.latencyMs} ms, C=${s.concurrency})`;
}

export function describeScenario(s: Scenario): string {
  return `${s.id}: ${s.title} (run as N=${s.hosts}, L=${s.latencyMs} ms, C=${s.concurrency}, timeout ${s.timeoutS} s)`;
}
