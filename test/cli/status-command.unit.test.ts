import { describe, expect, it } from 'vitest';
import { withoutControlFunctions } from '../../src/cli/status-command.js';

describe('fanout status', () => {
  it("leaves out the workers' control functions and the connections that registered nothing else", () => {
    const report = {
      server: '127.0.0.1:4730',
      ok: true,
      error: null,
      functions: [
        { function: 'fanout.control.w1', queued: 0, running: 0, workers: 1 },
        { function: 'fanout.http', queued: 3, running: 1, workers: 1 },
      ],
      workers: [
        { id: 'w1', ip: '127.0.0.1', functions: ['fanout.http'] },
        { id: 'w1', ip: '127.0.0.1', functions: ['fanout.control.w1'] },
      ],
    };
    expect(withoutControlFunctions(report)).toEqual({
      ...report,
      functions: [{ function: 'fanout.http', queued: 3, running: 1, workers: 1 }],
      workers: [{ id: 'w1', ip: '127.0.0.1', functions: ['fanout.http'] }],
    });
  });
});
