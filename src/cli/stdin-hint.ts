// `-f -` typed at a terminal waits for hosts from the keyboard: without a word it looks like a hang. From a pipe or
// a file the hosts are already on their way, and a line on stderr would only be noise in a script's log.
import type { HostSource } from '../hosts/host-source.js';

export const STDIN_HINT = 'reading hosts from stdin (Ctrl-D ends)';

/** The line to show before the hosts are read, or null when none is needed. Pure: the caller asks the terminal. */
export function stdinHint(sources: readonly HostSource[], stdinIsTerminal: boolean): string | null {
  return stdinIsTerminal && sources.some((source) => source.kind === 'stdin') ? STDIN_HINT : null;
}
