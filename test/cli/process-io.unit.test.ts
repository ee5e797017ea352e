import { describe, expect, it } from 'vitest';
import { RESTORE_TERMINAL, restoreTerminal } from '../../src/cli/process-io.js';

describe('restoreTerminal (a second Ctrl-C quits without the bar’s own stop)', () => {
  it('on a terminal, erases the half-drawn line and shows the cursor again', () => {
    const written: string[] = [];
    restoreTerminal({ isTTY: true, write: (text) => written.push(text) });
    expect(written).toEqual([RESTORE_TERMINAL]);
    expect(RESTORE_TERMINAL).toContain('\u001b[?25h');
  });

  it('writes nothing into a pipe or a file', () => {
    const written: string[] = [];
    restoreTerminal({ isTTY: false, write: (text) => written.push(text) });
    expect(written).toEqual([]);
  });
});
