// What `npm run bench` prints: one markdown table per scenario (medians of the measured runs, as ratios to the
// ideal and to curl measured alongside), then one summary table of every scenario. Formatting only.
import type { HelperRole } from './contenders.js';
import { median, type Measurement } from './measure.js';
import { describeScenario, idealMs, sizeNote, type Scenario } from './scenarios.js';

export interface ContenderResult {
  name: string;
  /** The measured runs (the warm-up left out). */
  runs: Measurement[];
  /** Role of each helper, aligned with Measurement.helperRssMb. */
  helperRoles: readonly HelperRole[];
  /** Runs (warm-up included) whose output did not have one line per host, e.g. "run 2: 1998 lines". */
  incomplete: string[];
  /** Hosts that succeeded in the last run: the same for every contender unless one of them is misconfigured. */
  okHosts: number;
}

export interface ScenarioResult {
  scenario: Scenario;
  contenders: ContenderResult[];
}

const DASH = '—';

export function markdownTable(head: readonly string[], rows: readonly (readonly string[])[]): string {
  return [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

const ratio = (value: number, base: number | null | undefined): string =>
  base === null || base === undefined || !Number.isFinite(base) || base === 0 || !Number.isFinite(value)
    ? DASH
    : `${(value / base).toFixed(2)}×`;

const fixed = (value: number | null, digits: number): string => (value === null || !Number.isFinite(value) ? DASH : value.toFixed(digits));

function medianOf(runs: readonly Measurement[], pick: (m: Measurement) => number | null): number | null {
  const values = runs.map(pick).filter((v): v is number => v !== null);
  return values.length === 0 ? null : median(values);
}

const medianWallMs = (c: ContenderResult | undefined): number | null => (c === undefined ? null : medianOf(c.runs, (m) => m.wallMs));

/** Peak RSS of the helpers with `role` in one run, summed; null when there are none. */
function helperRss(c: ContenderResult, role: HelperRole): number | null {
  if (!c.helperRoles.includes(role)) return null;
  return medianOf(c.runs, (m) =>
    m.helperRssMb.reduce<number>((sum, mb, i) => (c.helperRoles[i] === role ? sum + (mb ?? Number.NaN) : sum), 0),
  );
}

export function scenarioTable({ scenario, contenders }: ScenarioResult): string {
  const ideal = idealMs(scenario);
  const curl = contenders.find((c) => c.name === 'curl-parallel');
  const curlWall = medianWallMs(curl);
  const curlCpu = curl === undefined ? null : medianOf(curl.runs, (m) => m.cpuMs);
  const rows = contenders.map((c) => {
    const wall = medianOf(c.runs, (m) => m.wallMs) ?? Number.NaN;
    const cpu = medianOf(c.runs, (m) => m.cpuMs) ?? Number.NaN;
    return [
      c.name,
      fixed(wall / 1000, 2),
      ratio(wall, ideal),
      ratio(wall, curlWall),
      fixed(cpu / scenario.hosts, 3),
      ratio(cpu, curlCpu),
      fixed(
        medianOf(c.runs, (m) => m.peakRssMb),
        0,
      ),
      fixed(helperRss(c, 'worker'), 0),
      fixed(helperRss(c, 'gearmand'), 0),
      `${c.incomplete.length === 0 ? 'yes' : `NO (${c.incomplete.join('; ')})`}, ${c.okHosts} ok`,
    ];
  });
  const head = [
    'contender',
    'wall s (median)',
    '× ideal',
    '× curl wall',
    'CPU ms/host',
    '× curl CPU',
    'peak RSS MB',
    'workers RSS MB',
    'gearmand RSS MB',
    'lines = hosts',
  ];
  const runs = contenders[0]?.runs.length ?? 0;
  const idealText = ideal === null ? `ideal ${DASH} (no latency: throughput-bound)` : `ideal ${(ideal / 1000).toFixed(2)} s`;
  return [
    `\n### ${describeScenario(scenario)}`,
    `${idealText}; medians of ${runs} runs. CPU: the client and its children; gearman: + gearmand and both workers. ` +
      'Peak RSS: the client process (GNU time); gearman: the `fanout pull --gearman` process, the 2 workers summed ' +
      'and gearmand in their own columns (VmHWM during the run).',
    '',
    markdownTable(head, rows),
  ].join('\n');
}

export function summaryTable(results: readonly ScenarioResult[]): string {
  const rows = results.map(({ scenario, contenders }) => {
    const wall = (name: string): number | null => medianWallMs(contenders.find((c) => c.name === name));
    const [curl, local, gearman] = [wall('curl-parallel'), wall('fanout-local'), wall('fanout-gearman')];
    const ideal = idealMs(scenario);
    const seconds = (ms: number | null): string => fixed(ms === null ? null : ms / 1000, 2);
    return [
      `${scenario.id} ${scenario.title}${sizeNote(scenario)}`,
      ideal === null ? DASH : seconds(ideal),
      seconds(curl),
      seconds(local),
      seconds(gearman),
      local === null ? DASH : ratio(local, curl),
      gearman === null ? DASH : ratio(gearman, curl),
    ];
  });
  const head = ['scenario', 'ideal s', 'curl-parallel s', 'fanout-local s', 'fanout-gearman s', 'local ÷ curl', 'gearman ÷ curl'];
  return ['\n### Summary: median wall seconds', '', markdownTable(head, rows)].join('\n');
}
