import { describe, expect, it } from 'vitest';
import { judgeFailures, parseFailureThreshold, thresholdText, type FailureThreshold } from '../../src/run/failure-threshold.js';

describe('parseFailureThreshold', () => {
  it.each([
    ['30', { kind: 'count', max: 30 }],
    ['0', { kind: 'count', max: 0 }],
    [' 7 ', { kind: 'count', max: 7 }],
    ['10%', { kind: 'percent', percent: 10, minSample: 20 }],
    ['2.5%', { kind: 'percent', percent: 2.5, minSample: 20 }],
    ['100%', { kind: 'percent', percent: 100, minSample: 20 }],
  ] satisfies Array<[string, FailureThreshold]>)('reads %j', (text, threshold) => {
    expect(parseFailureThreshold(text, 20)).toEqual({ threshold });
  });

  it.each([
    ['150%', '"150%" is over 100%'],
    ['100.5%', '"100.5%" is over 100%'],
    ['0%', '0% would still wait for --min-sample hosts; to stop at the first failure, give 0'],
    ['-3', '"-3" is neither a count nor a percentage (expected e.g. 30 or 10%)'],
    ['abc', '"abc" is neither a count nor a percentage (expected e.g. 30 or 10%)'],
    ['', '"" is neither a count nor a percentage (expected e.g. 30 or 10%)'],
    ['10 %', '"10 %" is neither a count nor a percentage (expected e.g. 30 or 10%)'],
    ['1.5', '"1.5" is neither a count nor a percentage (expected e.g. 30 or 10%)'],
    ['%', '"%" is neither a count nor a percentage (expected e.g. 30 or 10%)'],
    ['99999999999999999999', '"99999999999999999999" is too large'],
  ])('refuses %j', (text, error) => {
    expect(parseFailureThreshold(text, 20)).toEqual({ error });
  });
});

describe('thresholdText', () => {
  it('shows the limit as the summary names it', () => {
    expect(thresholdText({ kind: 'count', max: 30 })).toBe('30');
    expect(thresholdText({ kind: 'percent', percent: 2.5, minSample: 20 })).toBe('2.5%');
  });
});

describe('judgeFailures', () => {
  const count = (max: number): FailureThreshold => ({ kind: 'count', max });
  const percent = (share: number, minSample = 20): FailureThreshold => ({ kind: 'percent', percent: share, minSample });

  it.each([
    // a count allows exactly that many failures, from the first host on
    [count(30), 0, 30, false],
    [count(30), 0, 31, true],
    [count(30), 1000, 30, false],
    [count(0), 0, 0, false],
    [count(0), 0, 1, true],
    // a percentage waits for the sample: 19 failures of 19 hosts say nothing yet
    [percent(10), 0, 19, false],
    [percent(10), 18, 2, false], // 2 of 20: 10%, not more
    [percent(10), 17, 3, true], // 3 of 20: 15%
    [percent(10), 1, 19, true],
    [percent(10), 900, 100, false], // exactly 10%
    [percent(10), 899, 101, true],
    [percent(50, 4), 2, 2, false],
    [percent(50, 4), 1, 3, true],
    [percent(50, 5), 1, 3, false], // 4 finished < a sample of 5
    [percent(100), 0, 1000, false], // never more than all of them
    [percent(2.5), 39, 1, false], // 1 of 40: exactly 2.5%
    [percent(2.5), 38, 2, true],
  ] satisfies Array<[FailureThreshold, number, number, boolean]>)('%j with %i ok and %i failed: stop %s', (threshold, ok, failed, stop) => {
    expect(judgeFailures(threshold, { ok, failed }) !== null).toBe(stop);
  });

  it('says what crossed the limit: the counts at that moment and the limit as given', () => {
    expect(judgeFailures(count(30), { ok: 5, failed: 31 })).toEqual({ by: 'max-failures', limit: '30', failed: 31, finished: 36 });
    expect(judgeFailures(percent(10), { ok: 17, failed: 3 })).toEqual({ by: 'max-failures', limit: '10%', failed: 3, finished: 20 });
  });
});
