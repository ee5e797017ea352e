import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { onStopSignals, type StopSignal } from '../../src/cli/signals.js';

function watch(): { source: EventEmitter; calls: string[]; remove: () => void } {
  const source = new EventEmitter();
  const calls: string[] = [];
  const remove = onStopSignals(
    { first: (s: StopSignal) => calls.push(`first ${s}`), again: (s: StopSignal) => calls.push(`again ${s}`) },
    source,
  );
  return { source, calls, remove };
}

describe('onStopSignals', () => {
  it('calls first on the first SIGINT or SIGTERM and again on every later one, whichever signal it is', () => {
    const { source, calls } = watch();
    source.emit('SIGTERM');
    source.emit('SIGINT');
    source.emit('SIGINT');
    expect(calls).toEqual(['first SIGTERM', 'again SIGINT', 'again SIGINT']);
  });

  it('leaves other signals alone', () => {
    const { source, calls } = watch();
    source.emit('SIGHUP');
    expect(calls).toEqual([]);
  });

  it('removes its listeners, so a finished run no longer swallows signals', () => {
    const { source, calls, remove } = watch();
    remove();
    expect(source.listenerCount('SIGINT') + source.listenerCount('SIGTERM')).toBe(0);
    source.emit('SIGINT');
    expect(calls).toEqual([]);
  });
});
