// The real process as the runner's RunIo: stdio, environment and interrupt signals.
import { text } from 'node:stream/consumers';
import type { RunIo } from '../run/run-fanout.js';
import { EXIT } from './exit-codes.js';
import { onStopSignals } from './signals.js';

/**
 * oclif rethrows every stdout error but EPIPE from an 'error' listener of its own, i.e. as an uncaught
 * exception with a stack. Our record sinks listen on stdout themselves and turn such errors (a full disk
 * under `> file`) into exit 3 with a message, so theirs is the only policy.
 */
export function ownStdoutErrors(): void {
  process.stdout.removeAllListeners('error');
}

export function processIo(): RunIo {
  ownStdoutErrors();
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    // The first signal asks the run to finish its accounting; a second one means "now".
    onInterrupt: (handler) => onStopSignals({ first: handler, again: () => quitNow() }),
  };
}

/** Erases a half-drawn progress line and shows the cursor again (the bar hides it while it runs). */
export const RESTORE_TERMINAL = '\r\u001b[2K\u001b[?25h';

/** For a quit that does not wait for the bar's stop(); on a terminal the write is synchronous, so exit cannot cut it. */
export function restoreTerminal(stderr: { isTTY?: boolean; write(text: string): unknown }): void {
  if (stderr.isTTY === true) stderr.write(RESTORE_TERMINAL);
}

function quitNow(): never {
  restoreTerminal(process.stderr);
  process.exit(EXIT.interrupted);
}

export async function readStdin(): Promise<Buffer> {
  return Buffer.from(await text(process.stdin), 'utf8');
}

/**
 * undici and Node's streams build an Error on the normal close of every connection (undici's
 * InformationalError('reset'), then stream destroy() reads its .stack): with V8's default 10 frames that
 * is ~10% of a run's CPU. fanout reports failures by code and message, never by stack, so runs capture
 * none unless FANOUT_DEBUG is set.
 */
export function skipErrorStacks(env: NodeJS.ProcessEnv = process.env): void {
  if (!env.FANOUT_DEBUG) Error.stackTraceLimit = 0;
}
