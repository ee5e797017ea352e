// Human text for stderr and terminals: the end-of-run summary and the one-line note per failed host.
// Owns wording, units and truncation; the numbers come from summary.ts, unchanged. No colour, so the text
// reads the same in a terminal, a log file or a CI console.

import { foldedSize } from './fold-hosts.js';
import type { HostResult } from '../record/host-result.js';
import type { Summary } from './summary.js';

export interface RenderSummaryOptions {
  /** Characters of folded host names on the `failed:` line before it is cut with "(+N more)". */
  failedBudget?: number;
}

const DEFAULT_FAILED_BUDGET = 240;
// Wide enough for `255.255.255.255:65535` and the longest code (`connect_timeout`), so columns line up.
const HOST_COLUMN = 21;
const CODE_COLUMN = 15;
// C0, DEL and C1: a server's error text must not move the cursor or retitle the terminal. Matching control
// characters is the point here, which no-control-regex exists to question.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;

/** The summary as text, one line per topic, ending with a newline. */
export function renderSummary(summary: Summary, options: RenderSummaryOptions = {}): string {
  const lines = [headline(summary)];
  const statuses = Object.entries(summary.byStatus).sort(([, a], [, b]) => b - a);
  if (statuses.length > 0) lines.push(`status: ${statuses.map(([status, n]) => `${status} ${n}`).join(', ')}`);
  if (summary.failed > 0) lines.push(`failed: ${failedList(summary, options.failedBudget ?? DEFAULT_FAILED_BUDGET)}`);
  const dropped = droppedLine(summary);
  if (dropped !== null) lines.push(dropped);
  return `${lines.join('\n')}\n`;
}

/** `web03.dc1              refused          connect ECONNREFUSED`: what a terminal shows per failed host. */
export function renderFailureLine(result: HostResult): string {
  const detail = result.error ?? (result.status === null ? '' : `HTTP ${result.status}`);
  const after = result.attempts > 1 ? ` (after ${result.attempts} attempts)` : '';
  return `${printable(result.host).padEnd(HOST_COLUMN)}  ${result.code.padEnd(CODE_COLUMN)}  ${printable(detail)}${after}`.trimEnd();
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

/** `714`, `3.5`: whole numbers once the rate is large enough that decimals are noise. */
export function formatRate(perSecond: number): string {
  return perSecond >= 10 ? String(Math.round(perSecond)) : perSecond.toFixed(1);
}

function headline(summary: Summary): string {
  const parts = [`${summary.hosts} hosts`, `${summary.ok} ok`, `${summary.failed} failed${failedCodes(summary)}`];
  if (summary.interrupted) parts.unshift('interrupted');
  const latency = summary.latencyMs;
  if (latency !== null) {
    const { p50, p90, p99, max } = latency;
    parts.push(`p50 ${formatDuration(p50)} p90 ${formatDuration(p90)} p99 ${formatDuration(p99)} max ${formatDuration(max)}`);
  }
  parts.push(`wall ${formatDuration(summary.wallMs)}`, `${formatRate(summary.hostsPerSecond)} hosts/s`);
  if (summary.retries > 0) parts.push(`${summary.retries} ${summary.retries === 1 ? 'retry' : 'retries'}`);
  if (summary.duplicates > 0) parts.push(`${summary.duplicates} duplicate${summary.duplicates === 1 ? '' : 's'} removed`);
  return parts.join(' · ');
}

// Biggest cause first: the operator reads the first one.
function failedCodes(summary: Summary): string {
  const codes = Object.entries(summary.byCode)
    .filter(([code]) => code !== 'ok')
    .sort(([a, x], [b, y]) => y - x || (a < b ? -1 : 1));
  return codes.length === 0 ? '' : ` (${codes.map(([code, n]) => `${code} ${n}`).join(', ')})`;
}

/** Worker output the client did not use, worth a look when a worker is not fanout's or is broken. */
function droppedLine({ droppedRecords }: Summary): string | null {
  if (droppedRecords === undefined) return null;
  const { malformed, repeats } = droppedRecords;
  const parts: string[] = [];
  if (malformed > 0)
    parts.push(`${malformed} worker line${malformed === 1 ? '' : 's'} that ${malformed === 1 ? 'is' : 'are'} not a record`);
  if (repeats > 0) parts.push(`${repeats} repeated record${repeats === 1 ? '' : 's'} (a job ran again)`);
  return parts.length === 0 ? null : `dropped: ${parts.join(', ')}`;
}

function failedList(summary: Summary, budget: number): string {
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
  return more > 0 ? `${shown.join(' ')} (+${more} more)` : shown.join(' ');
}

function printable(text: string): string {
  return text.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
}

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}
