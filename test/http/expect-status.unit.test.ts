import { describe, expect, it } from 'vitest';
import { ExpectParseError, parseExpect } from '../../src/http/expect-status.js';

/** The statuses from 100 to 599 that `spec` accepts. */
function accepted(spec: string): number[] {
  const isExpected = parseExpect(spec);
  const out: number[] = [];
  for (let status = 100; status < 600; status++) if (isExpected(status)) out.push(status);
  return out;
}

const span = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);

describe('parseExpect', () => {
  it('accepts single statuses and nothing else', () => {
    expect(accepted('200')).toEqual([200]);
    expect(accepted('204,404')).toEqual([204, 404]);
  });

  it('accepts a class as its hundred statuses, in either case', () => {
    expect(accepted('2xx')).toEqual(span(200, 299));
    expect(accepted('3XX')).toEqual(span(300, 399));
  });

  it('accepts an inclusive range', () => {
    expect(accepted('200-204')).toEqual(span(200, 204));
    expect(accepted('418-418')).toEqual([418]);
  });

  it('unions a mixed list, with spaces around items', () => {
    expect(accepted(' 200 , 3xx,404-405 ')).toEqual([200, ...span(300, 399), 404, 405]);
  });

  it('rejects statuses outside the table without throwing', () => {
    const isExpected = parseExpect('2xx');
    expect([0, 99, 600, 999, -200, 200.5, Number.NaN].map(isExpected)).toEqual([false, false, false, false, false, false, false]);
  });

  it.each([
    ['abc', 'abc'],
    ['200,abc', 'abc'],
    ['600', '600'],
    ['099', '099'],
    ['20', '20'],
    ['6xx', '6xx'],
    ['2x', '2x'],
    ['299-200', '299-200'],
    ['200-600', '200-600'],
    ['200 - 299', '200 - 299'],
    ['200,', ''],
    ['', ''],
  ])('rejects %j naming the bad item %j', (spec, item) => {
    expect(() => parseExpect(spec)).toThrow(ExpectParseError);
    expect(() => parseExpect(spec)).toThrow(`invalid status "${item}" in "${spec}"`);
  });
});
