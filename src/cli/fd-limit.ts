// Each request in flight holds a socket: a concurrency above the process's open-file limit ends in
// EMFILE failures that look like network trouble (`reset`, `refused` on healthy hosts). So -c is lowered to what
// the limit allows before anything is sent, with a warning that says so and how to raise the limit.
import { readFileSync } from 'node:fs';

/** Descriptors a run needs besides its sockets: stdio, output files, the event loop, job servers. */
const RESERVED_FDS = 64;

/** The soft limit on open files from /proc/self/limits (Linux); null where it cannot be read. */
export function openFileLimit(limits: string | null = readLimits()): number | null {
  const line = limits?.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.trim().split(/\s+/)[3];
  return soft === undefined || soft === 'unlimited' || !/^\d+$/.test(soft) ? null : Number(soft);
}

function readLimits(): string | null {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return null;
  }
}

export interface FdClamp {
  /** -c, lowered when it would not fit under the limit. */
  concurrency: number;
  /** What to tell people when it was lowered, else null. */
  warning: string | null;
}

/**
 * -c as the open-file limit allows: each request in flight holds a socket (connections close after their request),
 * so beyond the limit requests would fail with EMFILE and healthy hosts would be recorded as network failures.
 */
export function clampToFdLimit(concurrency: number, limit: number | null = openFileLimit()): FdClamp {
  if (limit === null || concurrency + RESERVED_FDS <= limit) return { concurrency, warning: null };
  const allowed = Math.max(1, limit - RESERVED_FDS);
  const warning =
    `-c ${concurrency} needs about ${concurrency + RESERVED_FDS} open files but the limit is ${limit}: ` +
    `running with -c ${allowed}; raise the limit (ulimit -n ${concurrency + RESERVED_FDS}) for more`;
  return { concurrency: allowed, warning };
}
