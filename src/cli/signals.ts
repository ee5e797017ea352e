// The one handler of stop signals (SIGINT, SIGTERM) for every command: the first asks to finish cleanly,
// any later one means "now". pull/push finish with a record for every host; a worker delivers the jobs in
// hand. Owning this in one place keeps both commands' Ctrl-C the same.
import type { EventEmitter } from 'node:events';

export const STOP_SIGNALS = ['SIGINT', 'SIGTERM'] as const;

export type StopSignal = (typeof STOP_SIGNALS)[number];

export interface StopHandlers {
  first: (signal: StopSignal) => void;
  again: (signal: StopSignal) => void;
}

/** Where signals come from: the process, or an EventEmitter in a test. */
export type SignalSource = Pick<EventEmitter, 'on' | 'off'>;

/** Calls `first` on the first stop signal and `again` on each later one; returns the removal of the handlers. */
export function onStopSignals(handlers: StopHandlers, source: SignalSource = process): () => void {
  let received = 0;
  const listeners = STOP_SIGNALS.map((signal) => {
    const listener = (): void => {
      received += 1;
      if (received === 1) handlers.first(signal);
      else handlers.again(signal);
    };
    source.on(signal, listener);
    return [signal, listener] as const;
  });
  return () => {
    for (const [signal, listener] of listeners) source.off(signal, listener);
  };
}
