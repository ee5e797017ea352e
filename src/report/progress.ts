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
  // When the last record arrived, as the frames see it (a frame's precision is enough, and update() stays an assignment).
  let lastDone = 0;
  let lastRecordAt = startedAt;
  const line = (width: number): string => {
    const now = Date.now();
    if (counts.done !== lastDone) {
      lastDone = counts.done;
      lastRecordAt = now;
    }
    return progressLine(counts, total, now - startedAt, width, options.concurrency ?? 0, options.hostsInFlight, now - lastRecordAt);
  };

  const SingleBar = loadSingleBar();
  const bar = new SingleBar({
    stream,
    fps: options.fps ?? DEFAULT_FPS,
    format: (_options: unknown, params: Params) => line(params.maxWidth),
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
 * left fit in the request slots (`concurrency`), they are all in flight: the ETA gives way to what a run slowed by
 * its last slow hosts is doing, `waiting on web03.dc1:8080 and 2 more, 4.2 s`: the host in flight longest, and for
 * how long no record has arrived (`idleMs`).
 */
export function progressLine(
  counts: ProgressCounts,
  total: number,
  elapsedMs: number,
  width: number,
  concurrency = 0,
  hostsInFlight?: () => readonly string[],
  idleMs = 0,
): string {
  // Hosts never tried (a stop marks them at once) are not throughput.
  const rate = elapsedMs > 0 ? ((counts.done - (counts.notAttempted ?? 0)) * 1000) / elapsedMs : 0;
  const bar = barOf(total === 0 ? 1 : counts.done / total);
  const counted = `${counts.done}/${total} · ok ${counts.ok} · failed ${counts.failed}`;
  const rateText = `${formatRate(rate)} hosts/s`;
  // One column spare: writing the last column makes some terminals wrap.
  const room = Math.max(0, width - 1);
  const left = total - counts.done;
  if (left > 0 && left <= concurrency) {
    // Which hosts hold the run up matters more than the bar and the rate: on a narrow terminal those go first.
    const waiting = waitingOn(left, hostsInFlight?.()[0], idleMs);
    const lines = [`${bar} ${counted} · ${rateText} · ${waiting}`, `${counted} · ${rateText} · ${waiting}`, `${counted} · ${waiting}`];
    return (lines.find((line) => line.length <= room) ?? lines[lines.length - 1]!).slice(0, room);
  }
  const parts = [`${bar} ${counted}`, rateText];
  if (rate > 0 && counts.done < total) {
    const etaMs = ((total - counts.done) / rate) * 1000;
    parts.push(`ETA ${etaMs < 1000 ? '<1s' : formatDuration(etaMs)}`);
  }
  return parts.join(' · ').slice(0, room);
}

/**
 * `waiting on web03.dc1:8080 and 2 more, 4.2 s` (`oldest`: the host in flight longest, when the backend can tell;
 * the first hosts started are the first to hold a run up), or `waiting on 3 hosts, 4.2 s`.
 */
function waitingOn(left: number, oldest: string | undefined, idleMs: number): string {
  const seconds = `${(idleMs / 1000).toFixed(1)} s`;
  if (oldest === undefined) return `waiting on ${left} ${left === 1 ? 'host' : 'hosts'}, ${seconds}`;
  return left === 1 ? `waiting on ${oldest}, ${seconds}` : `waiting on ${oldest} and ${left - 1} more, ${seconds}`;
}

function barOf(fraction: number): string {
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * BAR_WIDTH);
  return `[${'█'.repeat(filled)}${'░'.repeat(BAR_WIDTH - filled)}]`;
}
