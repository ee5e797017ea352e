import { describe, expect, it } from 'vitest';
import { expandRanges, MAX_EXPANSION } from '../../src/hosts/expand-ranges.js';
import { HostEntryError } from '../../src/hosts/host-input-error.js';

const expand = (entry: string): string[] => [...expandRanges(entry)];

describe('expandRanges', () => {
  it('leaves an entry without brackets alone', () => {
    expect(expand('web01.dc1:8080')).toEqual(['web01.dc1:8080']);
  });

  it('keeps the zero padding of the start', () => {
    expect(expand('web[01-03].dc1')).toEqual(['web01.dc1', 'web02.dc1', 'web03.dc1']);
    expect(expand('w[08-10]')).toEqual(['w08', 'w09', 'w10']);
    expect(expand('w[9-11]')).toEqual(['w9', 'w10', 'w11']);
  });

  it('accepts lists, single numbers and spans mixed', () => {
    expect(expand('web[01-02,33]')).toEqual(['web01', 'web02', 'web33']);
    expect(expand('n[1,3,5]')).toEqual(['n1', 'n3', 'n5']);
    expect(expand('n[5]')).toEqual(['n5']);
  });

  it('multiplies several groups, leftmost slowest', () => {
    expect(expand('rack[1-2]-node[1-3]')).toEqual([
      'rack1-node1',
      'rack1-node2',
      'rack1-node3',
      'rack2-node1',
      'rack2-node2',
      'rack2-node3',
    ]);
  });

  it('expands a range in the port', () => {
    expect(expand('web01:[8080-8081]')).toEqual(['web01:8080', 'web01:8081']);
  });

  it('treats a bracket group with a colon as an IPv6 literal, not a range', () => {
    expect(expand('[::1]:8080')).toEqual(['[::1]:8080']);
    expect(expand('[fe80::1]:[80-81]')).toEqual(['[fe80::1]:80', '[fe80::1]:81']);
  });

  it('expands ranges in a URL authority only', () => {
    expect(expand('http://web[1-2]:8080/x?a[]=1&b[0]=2')).toEqual(['http://web1:8080/x?a[]=1&b[0]=2', 'http://web2:8080/x?a[]=1&b[0]=2']);
    expect(expand('http://[::1]:[80-81]/')).toEqual(['http://[::1]:80/', 'http://[::1]:81/']);
  });

  it.each([
    ['web[01-', 'unclosed range "web[01-"'],
    ['web[5-1]', 'reversed range "5-1" in "web[5-1]"'],
    ['web[]', 'empty range "[]" in "web[]"'],
    ['web[a-c]', 'non-numeric range "[a-c]" in "web[a-c]"'],
    ['web[1-]', 'malformed range "[1-]" in "web[1-]"'],
    ['web[1,,2]', 'malformed range "[1,,2]" in "web[1,,2]"'],
    ['web[1-2-3]', 'malformed range "[1-2-3]" in "web[1-2-3]"'],
  ])('rejects %s', (entry, reason) => {
    expect(() => expandRanges(entry)).toThrow(new HostEntryError(reason));
  });

  it('counts lists, spans and single numbers of one group together', () => {
    expect(expand('web[01-20,33].dc1')).toHaveLength(21);
  });

  it('refuses an entry that expands beyond the limit, counted without expanding it, before yielding anything', () => {
    expect(() => expandRanges(`n[1-${MAX_EXPANSION + 1}]`)).toThrow(/expands to 1,000,001 hosts; at most 1,000,000 per entry/);
    expect(() => expandRanges('a[1-1001]b[1-1000]')).toThrow(/expands to 1,001,000 hosts/);
    // Five million names would not fit a test's memory or time: the count is the product of the groups' sizes.
    expect(() => expandRanges('a[1-1000]b[1-1000]c[1-5]')).toThrow(/expands to 5,000,000 hosts/);
  });

  it('accepts an entry of exactly the limit', () => {
    const hosts = expandRanges('a[1-1000]b[1-1000]');
    expect(hosts.next().value).toBe('a1b1');
  });

  it('is lazy: the first hosts of a million-host range come without expanding the rest', () => {
    const hosts = expandRanges(`node[1-${MAX_EXPANSION}]`);
    expect(Array.isArray(hosts)).toBe(false);
    expect([hosts.next().value, hosts.next().value]).toEqual(['node1', 'node2']);
  });

  it('streams a 100,000-host range in order', () => {
    let count = 0;
    let last = '';
    for (const host of expandRanges('node[000001-100000].dc1')) {
      count++;
      last = host;
    }
    expect(count).toBe(100_000);
    expect(last).toBe('node100000.dc1');
  });
});
