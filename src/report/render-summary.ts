// Human text for stderr and terminals: the end-of-run summary and the note per failed host (or per group of
// hosts that failed the same way). Owns wording, units, truncation and wrapping; the numbers come from
// summary.ts, unchanged. No colour, so the text reads the same in a terminal, a log file or a CI console.
//
// Host lists wrap to the width between folded entries, never inside a host name: a line is longer than the
// width only when one entry alone is.

import { foldedSize, foldHosts } from './fold-hosts.js';
import type { HostResult, ResultCode } from '../record/host-result.js';
import { isFailureCode, type FailureStop, type Summary } from './summary.js';

export interface RenderSummaryOptions {
  /** Characters of folded host names on the `failed:` lines before the list is cut with "(+N more …)". */
  failedBudget?: number | undefined;
  /** The run's --summary FILE, if it has one: where the cut list says the rest is. */
  summaryFile?: string | null | undefined;
  /** Columns to wrap host lists to (a terminal's width); default 80. */
  width?: number | undefined;
}

const DEFAULT_FAILED_BUDGET = 240;
export const DEFAULT_WIDTH = 80;
/** A rate is shown only over at least this many hosts whose request ran, and this much wall time: less says nothing about a fleet. */
export const RATE_MIN_HOSTS = 2;
export const RATE_MIN_MS = 100;
/** Continuation lines of a host list start under its first host (`failed: `), or this far in for a group. */
const FAILED_INDENT = 'failed: '.length;
const GROUP_INDENT = 4;
// Wide enough for `255.255.255.255:65535` and the longest code (`connect_timeout`), so columns line up.
const HOST_COLUMN = 21;
const LOST_JOB_TEXT = 'the reason follows the summary';
const CODE_COLUMN = 15;
// C0, DEL and C1: a server's error text must not move the cursor or retitle the terminal. Matching control
// characters is the point here, which no-control-regex exists to question.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** The summary as text, one topic per line (a host list may wrap onto more), ending with a newline. */
export function renderSummary(summary: Summary, options: RenderSummaryOptions = {}): string {
  const width = options.width ?? DEFAULT_WIDTH;
  const lines = [headline(summary)];
  if (summary.stopped !== undefined) lines.push(`stopped: ${describeStop(summary.stopped)}`);
  const statuses = Object.entries(summary.byStatus).sort(([, a], [, b]) => b - a);
  if (statuses.length > 0) lines.push(`status: ${statuses.map(([status, n]) => `${status} ${n}`).join(', ')}`);
  if (summary.failed > 0)
    lines.push(...failedLines(summary, options.failedBudget ?? DEFAULT_FAILED_BUDGET, options.summaryFile ?? null, width));
  const dropped = droppedLine(summary);
  if (dropped !== null) lines.push(dropped);
  return `${lines.join('\n')}\n`;
}

/** `web03.dc1              refused          connect ECONNREFUSED`: what a terminal shows per failed host. */
export function renderFailureLine(result: HostResult): string {
  return `${printable(result.host).padEnd(HOST_COLUMN)}  ${result.code.padEnd(CODE_COLUMN)}  ${failureText(result)}`.trimEnd();
}

/**
 * `web01.dc1              200              {"version":"2.4.1","uptime":…`: what a terminal shows per ok host with
 * --body, the body on one line and cut to the width (the record keeps all of it).
 */
export function renderBodyLine(result: HostResult, width: number): string {
  const body = typeof result.body === 'string' ? result.body : JSON.stringify(result.body);
  const head = `${printable(result.host).padEnd(HOST_COLUMN)}  ${String(result.status ?? '').padEnd(CODE_COLUMN)}  `;
  const text = printable(body.replace(/\s+/g, ' ').trim());
  const room = Math.max(8, width - head.length - 1);
  return `${head}${text.length > room ? `${text.slice(0, room - 1)}…` : text}`.trimEnd();
}

/** Failures with the same key read the same but for the host: renderFailureGroup may show them as one. */
export function failureKey(result: HostResult): string {
  return `${result.code} ${failureText(result)}`;
}

/**
 * Failures of one key (failureKey) as text without a final newline: one host's is its renderFailureLine;
 * several are one entry, `job_lost 2000: <message> — 127.0.0.[1-250]:8080 …`, the hosts folded and wrapped
 * to `width` between entries.
 */
export function renderFailureGroup(results: readonly HostResult[], width: number = DEFAULT_WIDTH): string {
  const first = results[0];
  if (first === undefined) return '';
  if (results.length === 1) return renderFailureLine(first);
  const text = failureText(first);
  const head = `${first.code} ${results.length}${text === '' ? '' : `: ${text}`} —`;
  return wrapWords(head, foldHosts(results.map((r) => r.host)).map(printable), width, GROUP_INDENT).join('\n');
}

/** The hosts/s to show, or null when the run did too little for a rate to mean anything (RATE_MIN_HOSTS, RATE_MIN_MS). */
export function shownRate(summary: Summary): number | null {
  const ran = summary.latencyMs?.count ?? 0;
  return ran < RATE_MIN_HOSTS || summary.wallMs < RATE_MIN_MS ? null : summary.hostsPerSecond;
}

/** `0.8ms`, `52ms`, `2.0s`, `1m05s`, `2h03m`: short, and precise where precision matters. */
export function formatDuration(ms: number): string {
  if (ms < 10) return `${ms.toFixed(1)}ms`;
  if (ms < 999.5) return `${Math.round(ms)}ms`;
  if (ms < 59_950) return `${(ms / 1000).toFixed(1)}s`;
  const seconds = Math.round(ms / 1000);
  if (seconds < 3600) return `${Math.floor(seconds / 60)}m${pad2(seconds % 60)}s`;
  const minutes = Math.round(seconds / 60);
  return `${Math.floor(minutes / 60)}h${pad2(minutes % 60)}m`;
}

/**
 * `31 failed > --max-failures 30`, `12 failed of 40 finished (30%) > --max-failures 10%`: why --max-failures stopped
 * the run from starting hosts, with the counts at that moment (hosts in flight then may have failed since).
 */
export function describeStop({ limit, failed, finished }: FailureStop): string {
  if (!limit.endsWith('%')) return `${failed} failed > --max-failures ${limit}`;
  const share = finished === 0 ? 0 : (failed * 100) / finished;
  return `${failed} failed of ${finished} finished (${Number(share.toFixed(1))}%) > --max-failures ${limit}`;
}

/** `714`, `3.5`: whole numbers once the rate is large enough that decimals are noise. */
export function formatRate(perSecond: number): string {
  return perSecond >= 10 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}

function headline(summary: Summary): string {
  const parts = [counted(summary.hosts, 'host'), `${summary.ok} ok`, `${summary.failed} failed${failedCodes(summary)}`];
  if (summary.aborted > 0) parts.push(`${summary.aborted} aborted`);
  if (summary.notAttempted > 0) parts.push(`${summary.notAttempted} not attempted`);
  if (summary.skipped !== undefined && summary.skipped > 0) parts.push(`${summary.skipped} skipped (ok in the resumed file)`);
  if (summary.interrupted) parts.unshift('interrupted');
  const latency = summary.latencyMs;
  if (latency !== null) {
    const { p50, p90, p99, max } = latency;
    parts.push(`p50 ${formatDuration(p50)} p90 ${formatDuration(p90)} p99 ${formatDuration(p99)} max ${formatDuration(max)}`);
  }
  parts.push(`wall ${formatDuration(summary.wallMs)}`);
  const rate = shownRate(summary);
  if (rate !== null) parts.push(`${formatRate(rate)} hosts/s`);
  if (summary.retries > 0) parts.push(counted(summary.retries, 'retry', 'retries'));
  if (summary.duplicates > 0) parts.push(`${counted(summary.duplicates, 'duplicate')} removed`);
  if (summary.runId !== undefined) parts.push(`run ${summary.runId}`);
  return parts.join(' · ');
}

// Biggest cause first: the operator reads the first one.
function failedCodes(summary: Summary): string {
  const codes = Object.entries(summary.byCode)
    .filter(([code]) => isFailureCode(code as ResultCode))
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  return codes.length === 0 ? '' : ` (${codes.map(([code, n]) => `${code} ${n}`).join(', ')})`;
}

/** Worker output the client did not use, worth a look when a worker is not fanout's or is broken. */
function droppedLine({ droppedRecords }: Summary): string | null {
  if (droppedRecords === undefined) return null;
  const { malformed, repeats } = droppedRecords;
  const parts: string[] = [];
  if (malformed > 0) parts.push(`${counted(malformed, 'worker line')} that ${malformed === 1 ? 'is' : 'are'} not a record`);
  if (repeats > 0) parts.push(`${counted(repeats, 'repeated record')} (a job ran again)`);
  return parts.length === 0 ? null : `dropped: ${parts.join(', ')}`;
}

function failedLines(summary: Summary, budget: number, summaryFile: string | null, width: number): string[] {
  const shown: string[] = [];
  let length = 0;
  let named = 0;
  for (const entry of summary.failedHosts) {
    // The first entry is always shown, however long: a bare "(+N more)" says nothing.
    if (shown.length > 0 && length + 1 + entry.length > budget) break;
    shown.push(printable(entry));
    length += entry.length + 1;
    named += foldedSize(entry);
  }
  const more = summary.failed - named;
  // The note is one word to the wrapping: it reads best whole, on the next line if it must.
  const words = more > 0 ? [...shown, moreNote(more, summary.failedHostsOmitted, summaryFile)] : shown;
  return wrapWords('failed:', words, width, FAILED_INDENT);
}

/** `(+19 more; …)`: how many the list left out, and where they are all named. */
function moreNote(more: number, omitted: number, summaryFile: string | null): string {
  // Beyond the summary's cap the file does not name every host either; the records always do.
  if (omitted > 0) return `(+${more} more; their records name them all)`;
  if (summaryFile !== null) return `(+${more} more; the full list is in ${printable(summaryFile)})`;
  return `(+${more} more; --summary FILE has them all)`;
}

/**
 * `head` then the words, a space apart, on lines of at most `width` unless one word alone is longer;
 * continuation lines start `indent` spaces in. A word that does not fit goes to the next line, except the
 * first when it would start no further left there.
 */
function wrapWords(head: string, words: readonly string[], width: number, indent: number): string[] {
  const lines: string[] = [];
  let line = head;
  let bare = true; // the line holds the head only
  for (const word of words) {
    const joined = `${line} ${word}`;
    if (joined.length <= width || (bare && head.length + 1 <= indent)) {
      line = joined;
    } else {
      lines.push(line);
      line = `${' '.repeat(indent)}${word}`;
    }
    bare = false;
  }
  lines.push(line);
  return lines;
}

/** What a failure says, besides its host and code: its message or status, and how many attempts it took. */
/** What a terminal line says of a failure. A lost job is a failure of the run: its reason is said once, after the summary. */
function failureText(result: HostResult): string {
  if (result.code === 'job_lost') return LOST_JOB_TEXT;
  const detail = result.error ?? (result.status === null ? '' : `HTTP ${result.status}`);
  const after = result.attempts > 1 ? ` (after ${result.attempts} attempts)` : '';
  return `${printable(detail)}${after}`;
}

/** `1 host`, `2 hosts`. */
export function counted(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
