import { describe, expect, it } from 'vitest';
import { EXIT, exitCodeOfError, exitCodeOfOutcome } from '../../src/cli/exit-codes.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { HostInputError } from '../../src/hosts/host-input-error.js';
import { UrlTemplateError } from '../../src/hosts/url-template.js';
import { ExpectParseError } from '../../src/http/expect-status.js';
import { SinkWriteError } from '../../src/report/record-sink.js';
import { createSummaryBuilder } from '../../src/report/summary.js';
import { OutputOpenError } from '../../src/run/open-output.js';
import { ResumeFileError } from '../../src/run/resume-file.js';
import type { RunOutcome } from '../../src/run/run-outcome.js';
import { makeFailure, makeResult } from '../report/make-result.js';

function outcome(failedHosts: number, overrides: Partial<RunOutcome> = {}): RunOutcome {
  const summary = createSummaryBuilder({ startedAt: 0 });
  summary.add(makeResult({ host: 'ok1' }));
  for (let i = 0; i < failedHosts; i++) summary.add(makeFailure(`bad${i}`, 'refused'));
  return { kind: 'run', summary: summary.finish(1000), failures: [], interrupted: false, readerGone: false, ...overrides };
}

describe('exitCodeOfOutcome', () => {
  it('is 0 when every host is ok and 1 when one is not', () => {
    expect(exitCodeOfOutcome(outcome(0))).toBe(EXIT.ok);
    expect(exitCodeOfOutcome(outcome(1))).toBe(EXIT.someFailed);
  });

  it('counts the hosts --resume skipped as ok: 0 when the rest are ok, even when nothing was left to run', () => {
    const resumed = createSummaryBuilder({ startedAt: 0, skipped: 10 });
    resumed.add(makeResult({ host: 'ok1' }));
    expect(exitCodeOfOutcome({ kind: 'run', summary: resumed.finish(1), failures: [], interrupted: false, readerGone: false })).toBe(
      EXIT.ok,
    );
    const nothingLeft = createSummaryBuilder({ startedAt: 0, skipped: 10 }).finish(1);
    expect(exitCodeOfOutcome({ kind: 'run', summary: nothingLeft, failures: [], interrupted: false, readerGone: false })).toBe(EXIT.ok);
    const stillFailing = createSummaryBuilder({ startedAt: 0, skipped: 10 });
    stillFailing.add(makeFailure('bad1', 'refused'));
    expect(exitCodeOfOutcome({ kind: 'run', summary: stillFailing.finish(1), failures: [], interrupted: false, readerGone: false })).toBe(
      EXIT.someFailed,
    );
  });

  it('is 1 when --max-failures stopped the run: the hosts never started are not ok', () => {
    const stopped = createSummaryBuilder({ startedAt: 0 });
    stopped.add(makeFailure('bad1', 'refused'));
    stopped.add(makeFailure('later', 'not_attempted', { attempts: 0 }));
    const summary = stopped.finish(1, { stopped: { by: 'max-failures', limit: '0', failed: 1, finished: 1 } });
    expect(exitCodeOfOutcome({ kind: 'run', summary, failures: [], interrupted: false, readerGone: false })).toBe(EXIT.someFailed);
  });

  it('is 130 when interrupted or when the reader of stdout left, even with failed hosts', () => {
    expect(exitCodeOfOutcome(outcome(3, { interrupted: true }))).toBe(EXIT.interrupted);
    expect(exitCodeOfOutcome(outcome(0, { readerGone: true }))).toBe(EXIT.interrupted);
  });

  it('is 3 for a run-level failure, which outranks an interrupt and failed hosts', () => {
    expect(exitCodeOfOutcome(outcome(2, { failures: ['no worker registered'], interrupted: true }))).toBe(EXIT.runFailure);
  });

  it('is 0 for a listing, complete or not: nothing was being sent when its reader left (| head)', () => {
    expect(exitCodeOfOutcome({ kind: 'listing', complete: true })).toBe(EXIT.ok);
    expect(exitCodeOfOutcome({ kind: 'listing', complete: false })).toBe(EXIT.ok);
  });
});

describe('exitCodeOfError', () => {
  it('is 2 for every input error: nothing was sent', () => {
    expect(exitCodeOfError(new UsageError('-X: bad'))).toBe(EXIT.usage);
    expect(exitCodeOfError(new HostInputError('hosts.txt:2', 'unclosed range'))).toBe(EXIT.usage);
    expect(exitCodeOfError(new UrlTemplateError('unknown placeholder'))).toBe(EXIT.usage);
    expect(exitCodeOfError(new ExpectParseError('bad status'))).toBe(EXIT.usage);
    expect(exitCodeOfError(new ResumeFileError('--resume run.ndjson:3: not JSON'))).toBe(EXIT.usage);
  });

  it('is 3 for output that cannot be written', () => {
    expect(exitCodeOfError(new OutputOpenError('cannot write --output /x'))).toBe(EXIT.runFailure);
    expect(exitCodeOfError(new SinkWriteError(new Error('ENOSPC')))).toBe(EXIT.runFailure);
  });

  it('is null for anything else, so a bug surfaces with its stack instead of passing for bad input', () => {
    expect(exitCodeOfError(new TypeError('x is undefined'))).toBeNull();
    expect(exitCodeOfError('a string')).toBeNull();
  });
});
