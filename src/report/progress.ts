// The progress line on stderr: done/total, ok, failed, hosts/s, ETA. Owns when it is drawn and what it says;
// cli-progress owns the drawing (cursor, line wrap, redraw at a fixed frame rate).
//
// update() only stores the latest counts, so calling it per host costs an assignment: cli-progress redraws
// on its own timer at `fps`, reading those counts through our formatter, and skips unchanged lines.
// Rate and ETA are over the whole run (done / elapsed): steadier than cli-progress's short ETA window.
// cli-progress's SIGINT/SIGTERM hooks stay off: a listener would stop Ctrl-C from ending the process, and
// interrupting is the CLI's business (it calls stop()).

import { createRequire } from 'node:module';
import { clearLine, cursorTo } from 'node:readline';
import type { Writable } from 'node:stream';
import type { Params, SingleBar as SingleBarClass } from 'cli-progress';
import { formatDuration, formatRate } from './render-summary.js';
import type { SummaryCounts } from './summary.js';

/** What the line shows; hosts never tried (a stopped run's) count as done but not in the rate. */
export type ProgressCounts = SummaryCounts & { notAttempted?: number };

export type ProgressStream = Writable & { isTTY?: boolean; columns?: number };

export interface ProgressOptions {
  /** Hosts in the run. */
  total: number;
  /** Requests in flight at most (-c): once no more than this many hosts are left, they are all in flight. */
  concurrency?: number;
  /** The hosts in flight, where the backend can tell: named when only a few are left. Called once a frame. */
  hostsInFlight?: () => readonly string[];
  stream: ProgressStream;
  enabled: boolean;
  /** Redraws per second. */
  fps?: number;
}

export interface Progress {
  update(counts: ProgressCounts): void;
  /** Erases the line so other output can start at column 0; the next frame draws it again below. */
  clear(): void;
  /** Erases the line for good (the summary takes its place). Idempotent. */
  stop(): void;
}

export interface ProgressDecision {
  /** --progress (true), --no-progress (false), or neither. */
  flag: boolean | undefined;
  isTTY: boolean | undefined;
  term: string | undefined;
}

const DEFAULT_FPS = 8;
const BAR_WIDTH = 20;
// Forced onto a pipe or file (--progress), a plain line every few seconds reads better than a redraw storm.
const NOT_TTY_INTERVAL_MS = 2000;
const SAVE_CURSOR = '\u001b7';

/** cli-progress is loaded only when a bar is drawn: a run into a pipe (or --dry-run) never compiles its 15 files. */
function loadSingleBar(): typeof SingleBarClass {
  const require = createRequire(import.meta.url);
  return (require('cli-progress') as typeof import('cli-progress')).SingleBar;
}

/** Drawn only on a terminal that can redraw a line, unless --progress / --no-progress says otherwise. */
export function shouldShowProgress({ flag, isTTY, term }: ProgressDecision): boolean {
  return flag ?? (isTTY === true && term !== 'dumb');
}

export function createProgress(options: ProgressOptions): Progress {
  if (!options.enabled) return { update() {}, clear() {}, stop() {} };

  const { stream, total } = options;
  const isTTY = stream.isTTY === true;
  const startedAt = Date.now();
  let counts: ProgressCounts = { done: 0, ok: 0, failed: 0 };
  let stopped = false;

  const SingleBar = loadSingleBar();
  const bar = new SingleBar({
    stream,
    fps: options.fps ?? DEFAULT_FPS,
    format: (_options: unknown, params: Params) =>
      progressLine(counts, total, Date.now() - startedAt, params.maxWidth, options.concurrency ?? 0, options.hostsInFlight),
    hideCursor: true,
    clearOnComplete: true,
    gracefulExit: false,
    // Failure lines written to the same terminal erase the bar (clear()); an unchanged line must still be redrawn.
    forceRedraw: true,
    // Our line already fits the width; turning auto-wrap off would also cut those failure lines. `true` leaves
    // the terminal's setting alone (cli-progress reads the documented `null` as its default, `false`).
    linewrap: true,
    noTTYOutput: !isTTY,
    notTTYSchedule: NOT_TTY_INTERVAL_MS,
  });
  if (isTTY) {
    // stop() returns the cursor to the position saved at start() before erasing the line. Once failure lines
    // have scrolled the screen, that row holds one of them: save again after every draw, so it is the bar's.
    bar.on('redraw-post', () => stream.write(SAVE_CURSOR));
  }
  bar.start(total, 0);

  return {
    update(next) {
      counts = next;
    },
    clear() {
      if (stopped || !isTTY) return;
      cursorTo(stream, 0);
      clearLine(stream, 0);
    },
    stop() {
      if (stopped) return;
      stopped = true;
      bar.stop();
    },
  };
}

/**
 * `[████░░░░] 1234/2000 · ok 1200 · failed 34 · 714 hosts/s · ETA 1.1s`, cut to the terminal's width. Once the hosts
 * left fit in the request slots (`concurrency`), they are all in flight: the ETA gives way to `waiting on N`, which
 * is what a run slowed by its last few slow hosts is doing.
 */
export function progressLine(
  counts: ProgressCounts,
  total: number,
  elapsedMs: number,
  width: number,
  concurrency = 0,
  hostsInFlight?: () => readonly string[],
): string {
  // Hosts never tried (a stop marks them at once) are not throughput.
  const rate = elapsedMs > 0 ? ((counts.done - (counts.notAttempted ?? 0)) * 1000) / elapsedMs : 0;
  const parts = [
    `${barOf(total === 0 ? 1 : counts.done / total)} ${counts.done}/${total}`,
    `ok ${counts.ok}`,
    `failed ${counts.failed}`,
    `${formatRate(rate)} hosts/s`,
  ];
  const left = total - counts.done;
  if (left > 0 && left <= concurrency) parts.push(waitingOn(left, left <= NAMED_AT_MOST ? (hostsInFlight?.() ?? []) : []));
  else if (rate > 0 && counts.done < total) {
    const etaMs = ((total - counts.done) / rate) * 1000;
    parts.push(`ETA ${etaMs < 1000 ? '<1s' : formatDuration(etaMs)}`);
  }
  // One column spare: writing the last column makes some terminals wrap.
  return parts.join(' · ').slice(0, Math.max(0, width - 1));
}

/** Up to this many hosts left, the line names them. */
const NAMED_AT_MOST = 3;

/** `waiting on 2: web03.dc1, web07.dc1`, or `waiting on 40` when there are more (or no names to give). */
function waitingOn(left: number, hosts: readonly string[]): string {
  return hosts.length === 0 ? `waiting on ${left}` : `waiting on ${left}: ${hosts.slice(0, NAMED_AT_MOST).join(', ')}`;
}

function barOf(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
}
