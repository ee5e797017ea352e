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
