// The --max-failures abort threshold, as pure functions: the flag's text → a threshold, and the counts of the
// hosts finished so far → whether the run must stop starting hosts. The runner asks after every record.
//
// Choices:
// - A count (`30`) is judged from the first host on: the 31st failure is the 31st whatever came before, and
//   `--max-failures 0` must stop at the first failure, not after a sample.
// - A percentage (`10%`) is of the hosts finished so far (ok + failed; never aborted or not_attempted, which
//   only a stop makes) and judged only once `minSample` hosts have finished: 1 failure of the first 2 hosts is
//   50% and says nothing about a fleet of 2,000.
// - "Exceeded" is strictly more than the limit: `30` allows 30 failures, as `10%` allows 10%.
// - `0%` is refused: it would read as "stop at the first failure" but wait for the sample first; `0` says that.
import type { FailureStop } from '../report/summary.js';

export type FailureThreshold =
  | { kind: 'count'; max: number }
  /** `percent` of the hosts finished, judged once `minSample` have. */
  | { kind: 'percent'; percent: number; minSample: number };

export type ParsedThreshold = { threshold: FailureThreshold } | { error: string };

/** What the judge needs of the run's counts (SummaryCounts has them). */
export interface FinishedCounts {
  ok: number;
  failed: number;
}

const COUNT = /^\d+$/;
const PERCENT = /^(\d+(?:\.\d+)?)%$/;

/** `30` or `10%` (decimals allowed: `2.5%`); `minSample` applies to a percentage only. */
export function parseFailureThreshold(text: string, minSample: number): ParsedThreshold {
  const value = text.trim();
  if (COUNT.test(value)) {
    const max = Number(value);
    return Number.isSafeInteger(max) ? { threshold: { kind: 'count', max } } : { error: `"${text}" is too large` };
  }
  const percent = PERCENT.exec(value);
  if (percent === null) return { error: `"${text}" is neither a count nor a percentage (expected e.g. 30 or 10%)` };
  const share = Number(percent[1]);
  if (share > 100) return { error: `"${text}" is over 100%` };
  if (share === 0) return { error: `0% would still wait for --min-sample hosts; to stop at the first failure, give 0` };
  return { threshold: { kind: 'percent', percent: share, minSample } };
}

/** The flag's value as the summary shows it: `30`, `10%`, `2.5%`. */
export function thresholdText(threshold: FailureThreshold): string {
  return threshold.kind === 'count' ? String(threshold.max) : `${threshold.percent}%`;
}

/** Why the run must stop starting hosts now, or null while it may go on. */
export function judgeFailures(threshold: FailureThreshold, { ok, failed }: FinishedCounts): FailureStop | null {
  const finished = ok + failed;
  const exceeded =
    threshold.kind === 'count' ? failed > threshold.max : finished >= threshold.minSample && failed * 100 > threshold.percent * finished;
  return exceeded ? { by: 'max-failures', limit: thresholdText(threshold), failed, finished } : null;
}
