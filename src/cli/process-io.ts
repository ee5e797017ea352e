// The real process as the runner's RunIo: stdio, environment and interrupt signals.
import { text } from 'node:stream/consumers';
import type { RunIo } from '../run/run-fanout.js';

export function processIo(): RunIo {
  return {
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onInterrupt(handler) {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
  };
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
