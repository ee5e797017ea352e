import { describe, expect, it } from 'vitest';
import { durationText, parseDuration, parseSize } from '../../src/cli/parse-units.js';
import { UsageError } from '../../src/cli/usage-error.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['10s', 10_000],
    ['1.5s', 1500],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['10', 10_000],
    ['0.25', 250],
    [' 3s ', 3000],
    ['1.0004s', 1000],
    ['0.6ms', 1],
    ['596h', 596 * 3_600_000],
  ])('reads %j as %d ms', (value, ms) => {
    expect(parseDuration('timeout', value)).toBe(ms);
  });

  it.each([['0'], ['0ms'], ['0.4ms'], ['-1s'], ['abc'], [''], ['10 s'], ['10sec'], ['1e3'], ['.5s'], ['5d'], ['9999999'], ['597h']])(
    'rejects %j naming the flag and the value',
    (value) => {
      expect(() => parseDuration('connect-timeout', value)).toThrow(UsageError);
      expect(() => parseDuration('connect-timeout', value)).toThrow(`--connect-timeout: invalid duration "${value}"`);
    },
  );
});

describe('parseSize', () => {
  it.each([
    ['0', 0],
    ['65536', 65_536],
    ['100b', 100],
    ['512k', 524_288],
    ['512KB', 524_288],
    ['1MiB', 1_048_576],
    ['2m', 2_097_152],
    ['1 mib', 1_048_576],
    ['1.5k', 1536],
    ['1g', 1_073_741_824],
    ['2GiB', 2_147_483_648],
    [' 10k ', 10_240],
  ])('reads %j as %d bytes', (value, bytes) => {
    expect(parseSize('max-body', value)).toBe(bytes);
  });

  it.each([['-1'], ['abc'], [''], ['1t'], ['1 MiB extra'], ['k'], ['1e6'], ['1.5.2k']])(
    'rejects %j naming the flag and the value',
    (value) => {
      expect(() => parseSize('max-body', value)).toThrow(UsageError);
      expect(() => parseSize('max-body', value)).toThrow(`--max-body: invalid size "${value}"`);
    },
  );
});

describe('durationText', () => {
  it.each([
    [250, '250ms'],
    [10_000, '10s'],
    [90_000, '90s'],
    [60_000, '1m'],
    [300_000, '5m'],
  ])('shows %d ms as %s, which parseDuration reads back', (ms, text) => {
    expect(durationText(ms)).toBe(text);
    expect(parseDuration('timeout', text)).toBe(ms);
  });
});
