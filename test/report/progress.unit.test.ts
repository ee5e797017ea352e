import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { createProgress, progressLine, shouldShowProgress } from '../../src/report/progress.js';
import type { ProgressStream } from '../../src/report/progress.js';

function terminal(isTTY: boolean): { stream: ProgressStream; output: () => string } {
  const stream: ProgressStream = Object.assign(new PassThrough(), { isTTY, columns: 100 });
  let text = '';
  stream.on('data', (chunk: Buffer) => (text += chunk.toString()));
  return { stream, output: () => text };
}

describe('shouldShowProgress', () => {
  it.each([
    [undefined, true, 'xterm-256color', true],
    [undefined, true, undefined, true],
    [undefined, true, 'dumb', false],
    [undefined, false, 'xterm', false],
    [undefined, undefined, 'xterm', false],
    [true, false, 'dumb', true],
    [false, true, 'xterm', false],
  ])('flag %s, isTTY %s, TERM %s → %s', (flag, isTTY, term, shown) => {
    expect(shouldShowProgress({ flag, isTTY, term })).toBe(shown);
  });
});

describe('progressLine', () => {
  it('shows the bar, counts, rate and time left', () => {
    expect(progressLine({ done: 500, ok: 480, failed: 20 }, 2000, 1000, 200)).toBe(
      '[█████░░░░░░░░░░░░░░░] 500/2000 · ok 480 · failed 20 · 500 hosts/s · ETA 3.0s',
    );
  });

  it('drops the bar and ETA while the total is unknown, and the ETA once done', () => {
    expect(progressLine({ done: 5, ok: 5, failed: 0 }, null, 2000, 200)).toBe('5 done · ok 5 · failed 0 · 2.5 hosts/s');
    expect(progressLine({ done: 4, ok: 3, failed: 1 }, 4, 2000, 200)).toBe(
      '[████████████████████] 4/4 · ok 3 · failed 1 · 2.0 hosts/s',
    );
  });

  it('fits a narrow terminal with a column to spare', () => {
    expect(progressLine({ done: 1, ok: 1, failed: 0 }, 10, 1000, 30)).toHaveLength(29);
  });
});

describe('createProgress', () => {
  it('draws nothing when disabled', async () => {
    const { stream, output } = terminal(true);
    const progress = createProgress({ total: 10, stream, enabled: false });
    progress.update({ done: 5, ok: 5, failed: 0 });
    progress.stop();
    await sleep(5);
    expect(output()).toBe('');
  });

  it('draws the latest counts on a terminal, erases itself on stop, and leaves Ctrl-C to the CLI', async () => {
    const { stream, output } = terminal(true);
    const sigintListeners = process.listenerCount('SIGINT');
    const progress = createProgress({ total: 10, stream, enabled: true, fps: 50 });
    expect(process.listenerCount('SIGINT')).toBe(sigintListeners);
    for (let done = 1; done <= 7; done++) progress.update({ done, ok: done - 1, failed: 1 });
    await sleep(60);
    expect(output()).toContain('7/10 · ok 6 · failed 1');
    expect(output()).not.toContain('3/10');
    progress.stop();
    progress.stop();
    // Cursor shown again, back on the bar's row, line erased.
    expect(output().endsWith('\u001b[?25h\u001b8\u001b[1G\u001b[2K')).toBe(true);
    // Auto-wrap stays as it was, so long failure lines still wrap.
    expect(output()).not.toContain('\u001b[?7l');
    const final = output();
    await sleep(60);
    expect(output()).toBe(final);
  });

  it('erases its line for failure lines, and stop() erases the bar below them, not a failure line', () => {
    const { stream, output } = terminal(true);
    const progress = createProgress({ total: 10, stream, enabled: true });
    const before = output().length;
    progress.clear();
    expect(output().slice(before)).toBe('\u001b[1G\u001b[2K');
    // Another writer on the same terminal, as the failure lines on stdout are.
    stream.write('web03  refused  connect ECONNREFUSED\n');
    progress.stop();
    const text = output();
    const restore = text.lastIndexOf('\u001b8');
    // The position restored before erasing was saved after the failure line moved the cursor down.
    expect(text.lastIndexOf('\u001b7', restore)).toBeGreaterThan(text.lastIndexOf('\n'));
  });

  it('prints plain lines when forced onto something that is not a terminal', () => {
    const { stream, output } = terminal(false);
    const progress = createProgress({ total: 3, stream, enabled: true });
    progress.setTotal(4);
    progress.update({ done: 2, ok: 2, failed: 0 });
    progress.clear();
    progress.stop();
    expect(output()).toMatch(/^\[░+\] 0\/3 · ok 0 · failed 0 · [\d.]+ hosts\/s\n/);
    expect(output()).toMatch(/\n\[█+░+\] 2\/4 · ok 2 · failed 0 · [\d.]+ hosts\/s.*\n$/);
    expect(output()).not.toContain('\u001b');
  });
});
