import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProgress, progressLine, shouldShowProgress } from '../../src/report/progress.js';
import type { ProgressStream } from '../../src/report/progress.js';

// What reached the terminal, kept as it is written (no stream buffering between a write and the assertion).
function terminal(isTTY: boolean, columns = 100): { stream: ProgressStream; output: () => string } {
  let text = '';
  const sink = new Writable({
    write(chunk: Buffer | string, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  const stream: ProgressStream = Object.assign(sink, { isTTY, columns });
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

  it('drops the ETA once done', () => {
    expect(progressLine({ done: 4, ok: 3, failed: 1 }, 4, 2000, 200)).toBe('[████████████████████] 4/4 · ok 3 · failed 1 · 2.0 hosts/s');
  });

  it('once the hosts left fit in the request slots, says how many it is waiting on, and how long, instead of an ETA', () => {
    expect(progressLine({ done: 1994, ok: 1990, failed: 4 }, 2000, 4000, 200, 200, undefined, 4230)).toBe(
      '[████████████████████] 1994/2000 · ok 1990 · failed 4 · 499 hosts/s · waiting on 6 hosts, 4.2 s',
    );
    expect(progressLine({ done: 1999, ok: 1999, failed: 0 }, 2000, 4000, 200, 200)).toMatch(/ · waiting on 1 host, 0\.0 s$/);
    expect(progressLine({ done: 1000, ok: 1000, failed: 0 }, 2000, 2000, 200, 200)).toContain('ETA');
  });

  it('leaves hosts never tried (a stopped run marks them at once) out of the rate', () => {
    expect(progressLine({ done: 2000, ok: 25, failed: 0, notAttempted: 1955 }, 2000, 5000, 200)).toMatch(/ · 9\.0 hosts\/s$/);
  });

  it('names the host in flight longest when the backend can tell, and counts the others', () => {
    const inFlight = (): readonly string[] => ['web03.dc1:8080', 'web07.dc1:8080', 'web09.dc1:8080'];
    expect(progressLine({ done: 1997, ok: 1997, failed: 0 }, 2000, 4000, 200, 200, inFlight, 4200)).toMatch(
      / · waiting on web03\.dc1:8080 and 2 more, 4\.2 s$/,
    );
    expect(progressLine({ done: 1999, ok: 1999, failed: 0 }, 2000, 4000, 200, 200, () => ['web07.dc1:8080'], 61_000)).toMatch(
      / · waiting on web07\.dc1:8080, 61\.0 s$/,
    );
    expect(progressLine({ done: 1990, ok: 1990, failed: 0 }, 2000, 4000, 200, 200, () => [], 100)).toMatch(
      / · waiting on 10 hosts, 0\.1 s$/,
    );
    // More hosts left than slots: some are not started yet, so an ETA still makes sense.
    expect(progressLine({ done: 1000, ok: 1000, failed: 0 }, 2000, 2000, 200, 200, inFlight)).toMatch(/ · ETA 2\.0s$/);
  });

  it('keeps the hosts waited on on a narrow terminal: the bar goes first, then the rate', () => {
    const inFlight = (): readonly string[] => ['web03.dc1:8080', 'web07.dc1:8080', 'web09.dc1:8080'];
    const line = (width: number): string => progressLine({ done: 1997, ok: 1990, failed: 7 }, 2000, 4000, width, 200, inFlight, 4200);
    expect(line(200)).toBe(
      '[████████████████████] 1997/2000 · ok 1990 · failed 7 · 499 hosts/s · waiting on web03.dc1:8080 and 2 more, 4.2 s',
    );
    expect(line(100)).toBe('1997/2000 · ok 1990 · failed 7 · 499 hosts/s · waiting on web03.dc1:8080 and 2 more, 4.2 s');
    expect(line(80)).toBe('1997/2000 · ok 1990 · failed 7 · waiting on web03.dc1:8080 and 2 more, 4.2 s');
    expect(line(40)).toBe('1997/2000 · ok 1990 · failed 7 · waitin');
  });

  it('fits a narrow terminal with a column to spare', () => {
    expect(progressLine({ done: 1, ok: 1, failed: 0 }, 10, 1000, 30)).toHaveLength(29);
  });
});

// cli-progress draws on its own setTimeout schedule and reads Date.now(): fake clocks make every frame a step.
describe('createProgress', () => {
  beforeEach(() => {
    vi.useFakeTimers();
    vi.setSystemTime(new Date('2026-01-01T00:00:00Z'));
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('draws nothing when disabled, and schedules nothing', () => {
    const { stream, output } = terminal(true);
    const progress = createProgress({ total: 10, stream, enabled: false });
    progress.update({ done: 5, ok: 5, failed: 0 });
    vi.advanceTimersByTime(10_000);
    progress.clear();
    progress.stop();
    expect(output()).toBe('');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('draws the latest counts once a frame, with rate and ETA over the whole run, and leaves Ctrl-C to the CLI', () => {
    const { stream, output } = terminal(true);
    const sigintListeners = process.listenerCount('SIGINT');
    const progress = createProgress({ total: 100, stream, enabled: true, fps: 10 });
    expect(process.listenerCount('SIGINT')).toBe(sigintListeners);
    // The first frame is drawn at once; with nothing done yet there is no rate to take an ETA from.
    expect(output()).toContain('0/100 · ok 0 · failed 0 · 0.0 hosts/s');
    expect(output()).not.toContain('ETA');

    for (let done = 1; done <= 7; done++) progress.update({ done, ok: done - 1, failed: 1 });
    const firstFrame = output();
    vi.advanceTimersByTime(99);
    expect(output()).toBe(firstFrame); // update() only stores the counts; the next frame (100 ms at 10 fps) draws them
    vi.advanceTimersByTime(1);
    expect(output().slice(firstFrame.length)).toContain('7/100 · ok 6 · failed 1 · 70 hosts/s · ETA 1.3s');
    expect(output()).not.toContain('3/100');

    // Nothing finishes for a while: the rate over the whole run falls and the ETA grows.
    vi.advanceTimersByTime(900);
    expect(output()).toContain('7/100 · ok 6 · failed 1 · 7.0 hosts/s · ETA 13.3s');
    vi.advanceTimersByTime(1000);
    expect(output()).toContain('7/100 · ok 6 · failed 1 · 3.5 hosts/s · ETA 26.6s');
  });

  it('says for how long no record has arrived while it waits on the last hosts', () => {
    const { stream, output } = terminal(false, 160);
    const inFlight = ['web03.dc1:8080', 'web07.dc1:8080'];
    const progress = createProgress({ total: 4, concurrency: 10, hostsInFlight: () => inFlight, stream, enabled: true });
    vi.advanceTimersByTime(1000);
    progress.update({ done: 2, ok: 2, failed: 0 }); // the last record, at t = 1 s
    vi.advanceTimersByTime(1000); // drawn at 2 s: it has just seen the record
    expect(output()).toMatch(/waiting on web03\.dc1:8080 and 1 more, 0\.0 s\n$/);
    vi.advanceTimersByTime(4000); // 6 s: nothing since
    expect(output()).toMatch(/waiting on web03\.dc1:8080 and 1 more, 4\.0 s\n$/);
    inFlight.shift();
    progress.update({ done: 3, ok: 3, failed: 0 });
    vi.advanceTimersByTime(2000);
    expect(output()).toMatch(/waiting on web07\.dc1:8080, 0\.0 s\n$/);
    vi.advanceTimersByTime(2000);
    expect(output()).toMatch(/waiting on web07\.dc1:8080, 2\.0 s\n$/);
    progress.stop();
  });

  it('erases itself on stop, for good, showing the cursor again and leaving auto-wrap alone', () => {
    const { stream, output } = terminal(true);
    const progress = createProgress({ total: 10, stream, enabled: true });
    progress.update({ done: 3, ok: 3, failed: 0 });
    vi.advanceTimersByTime(1000);
    progress.stop();
    progress.stop();
    // Cursor shown again, back on the bar's row, line erased.
    expect(output().endsWith('\u001b[?25h\u001b8\u001b[1G\u001b[2K')).toBe(true);
    // Auto-wrap stays as it was, so long failure lines still wrap.
    expect(output()).not.toContain('\u001b[?7l');
    expect(vi.getTimerCount()).toBe(0);
    const final = output();
    vi.advanceTimersByTime(10_000);
    expect(output()).toBe(final);
  });

  it('erases its line for failure lines and draws it again below them; stop() erases the bar, not a failure line', () => {
    const { stream, output } = terminal(true);
    const progress = createProgress({ total: 10, stream, enabled: true });
    progress.update({ done: 2, ok: 1, failed: 1 });
    const before = output().length;
    progress.clear();
    expect(output().slice(before)).toBe('\u001b[1G\u001b[2K');
    // Another writer on the same terminal, as the failure lines on stdout are.
    stream.write('web03  refused  connect ECONNREFUSED\n');
    const afterFailure = output().length;
    vi.advanceTimersByTime(125); // one frame at the default 8 fps
    expect(output().slice(afterFailure)).toContain('2/10 · ok 1 · failed 1');
    progress.stop();
    const text = output();
    const restore = text.lastIndexOf('\u001b8');
    // The position restored before erasing was saved after the failure line moved the cursor down.
    expect(text.lastIndexOf('\u001b7', restore)).toBeGreaterThan(text.lastIndexOf('\n'));
  });

  it('prints a plain line every 2 s when forced onto something that is not a terminal, and a last one on stop', () => {
    const { stream, output } = terminal(false);
    const progress = createProgress({ total: 4, stream, enabled: true });
    const first = '[░░░░░░░░░░░░░░░░░░░░] 0/4 · ok 0 · failed 0 · 0.0 hosts/s\n';
    expect(output()).toBe(first);
    progress.update({ done: 2, ok: 2, failed: 0 });
    vi.advanceTimersByTime(1999);
    expect(output()).toBe(first);
    vi.advanceTimersByTime(1);
    const second = '[██████████░░░░░░░░░░] 2/4 · ok 2 · failed 0 · 1.0 hosts/s · ETA 2.0s\n';
    expect(output()).toBe(first + second);
    progress.clear();
    expect(output()).toBe(first + second);
    progress.update({ done: 3, ok: 2, failed: 1 });
    vi.advanceTimersByTime(1000);
    progress.stop();
    expect(output()).toBe(`${first}${second}[███████████████░░░░░] 3/4 · ok 2 · failed 1 · 1.0 hosts/s · ETA 1.0s\n`);
    expect(vi.getTimerCount()).toBe(0);
  });
});
