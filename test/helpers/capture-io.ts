// A RunIo for runs in this process: stdout and stderr collected as the text a user would see, and the run's
// interrupt handler callable as Ctrl-C would call it.
import { PassThrough } from 'node:stream';
import type { RunIo } from '../../src/run/run-fanout.js';

export interface CapturedIo {
  io: RunIo;
  stdout: () => string;
  stderr: () => string;
  /** Calls the handler the run registered for its first interrupt (nothing before it registered one). */
  interrupt: () => void;
}

/** `extra` adds to the RunIo (a resolver, a gearman back-off) or replaces its parts. */
export function captureIo(extra: Partial<RunIo> = {}): CapturedIo {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  const none = (): void => undefined;
  let handler: () => void = none;
  const onInterrupt = (h: () => void): (() => void) => {
    handler = h;
    return () => (handler = none);
  };
  return {
    io: { stdout: out, stderr: err, env: {}, onInterrupt, ...extra },
    stdout: () => stdout,
    stderr: () => stderr,
    interrupt: () => handler(),
  };
}
