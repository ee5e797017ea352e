import { describe, expect, it } from 'vitest';
import { jobEndLine } from '../../src/cli/worker-command.js';

const job = { server: '127.0.0.1:4730', handle: 'H:x:1', unique: 'run7:3', hosts: 250 };

describe('jobEndLine', () => {
  it('says which job, how many hosts, how they went and how long it took', () => {
    expect(jobEndLine({ ...job, outcome: 'complete', records: 250, ok: 248, durationMs: 1340 })).toBe(
      'job run7:3: 250 of 250 hosts · 248 ok · 2 failed · 1.3 s',
    );
  });

  it('names an outcome other than complete', () => {
    expect(jobEndLine({ ...job, outcome: 'lost', records: 40, ok: 40, durationMs: 500 })).toBe(
      'job run7:3 lost: 40 of 250 hosts · 40 ok · 0 failed · 0.5 s',
    );
  });
});
