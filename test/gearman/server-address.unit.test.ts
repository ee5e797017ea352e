import { describe, expect, it } from 'vitest';
import { ServerAddressError } from '../../src/gearman/errors.js';
import { formatServerAddress, parseServerAddress, parseServerList } from '../../src/gearman/server-address.js';

describe('parseServerList', () => {
  it('parses hosts, ports, IPv6 in brackets, with the default port 4730', () => {
    expect(parseServerList('127.0.0.1:4731, gm1 ,[::1]:9000,[fe80::1]')).toEqual([
      { host: '127.0.0.1', port: 4731 },
      { host: 'gm1', port: 4730 },
      { host: '::1', port: 9000 },
      { host: 'fe80::1', port: 4730 },
    ]);
  });

  it.each([
    ['gm1:0', 'gm1:0', /port must be a number from 1 to 65535, got "0"/],
    ['gm1:65536', 'gm1:65536', /got "65536"/],
    ['gm1:', 'gm1:', /got ""/],
    ['gm1:47x', 'gm1:47x', /got "47x"/],
    ['ok:1,::1', '::1', /IPv6 address must be written in brackets/],
    ['[::1', '[::1', /missing "]"/],
    ['[::1]x', '[::1]x', /unexpected "x" after "]"/],
    ['[gm1]:4730', '[gm1]:4730', /only for IPv6/],
    [':4730', ':4730', /missing host/],
    ['gearman://gm1:4730', 'gearman://gm1:4730', /expected HOST:PORT, not a URL/],
    ['gm 1:4730', 'gm 1:4730', /"gm 1" is not a host name/],
    ['gm1,,gm2', 'gm1,,gm2', /empty entry/],
    [' ', ' ', /no server given/],
  ])('rejects %j naming the entry %j', (spec, entry, problem) => {
    let caught: unknown;
    try {
      parseServerList(spec);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(ServerAddressError);
    expect((caught as ServerAddressError).entry).toBe(entry);
    expect((caught as ServerAddressError).message).toContain(`"${entry}"`);
    expect((caught as ServerAddressError).message).toMatch(problem);
  });
});

describe('formatServerAddress', () => {
  it('round-trips through parseServerAddress', () => {
    for (const text of ['127.0.0.1:4730', '[::1]:4731', 'gm1.example:1']) {
      expect(formatServerAddress(parseServerAddress(text))).toBe(text);
    }
  });
});
