// Each request in flight holds a socket: a concurrency above the process's open-file limit ends in
// EMFILE failures that look like network trouble. Warn before anything is sent, with the fix.
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

/** A warning for people when `concurrency` sockets would not fit under the limit, else null. */
export function fdLimitWarning(concurrency: number, limit: number | null = openFileLimit()): string | null {
  if (limit === null || concurrency + RESERVED_FDS <= limit) return null;
  return (
    `-c ${concurrency} needs about ${concurrency + RESERVED_FDS} open files but the limit is ${limit}: ` +
    `requests beyond it fail with EMFILE; raise it (ulimit -n ${concurrency + RESERVED_FDS}) or lower -c`
  );
}
