import { describe, expect, it } from 'vitest';
import { expandRanges } from '../../src/hosts/expand-ranges.js';
import { foldedSize, foldHosts, naturalCompare } from '../../src/report/fold-hosts.js';

// The folded names must stand for exactly the input: expand them back with the input's own range syntax.
function expandAll(entries: string[]): string[] {
  return entries.flatMap((entry) => [...expandRanges(entry)]);
}

describe('foldHosts', () => {
  it.each([
    ['keeps zero padding', ['web19.dc1', 'web03.dc1', 'web17.dc1', 'web18.dc1'], ['web[03,17-19].dc1']],
    ['folds IPs on the last octet, not the port', ['127.0.0.6:8080', '127.0.0.5:8080'], ['127.0.0.[5-6]:8080']],
    ['folds ports when only the port varies', ['10.0.0.1:8081', '10.0.0.1:8080', '10.0.0.1:8082'], ['10.0.0.1:[8080-8082]']],
    ['grows unpadded widths', ['web9', 'web10', 'web11'], ['web[9-11]']],
    ['grows padded widths from the span start', ['web098', 'web099', 'web100'], ['web[098-100]']],
    ['breaks a span where padding changes', ['web9', 'web010'], ['web[9,010]']],
    ['keeps two spellings of one number apart', ['web1', 'web01', 'web2'], ['web[1,01,2]']],
    ['keeps different prefixes and suffixes apart', ['a1.x', 'b1.x', 'a2.y'], ['a1.x', 'a2.y', 'b1.x']],
    ['leaves names without digits as they are', ['db', 'cache', 'web1'], ['cache', 'db', 'web1']],
    ['drops repeats', ['web1', 'web1', 'web2'], ['web[1-2]']],
    ['folds each row of a grid on its last axis', ['r1n2', 'r1n1', 'r2n1', 'r2n2'], ['r1n[1-2]', 'r2n[1-2]']],
    ['falls back to an earlier run for what the last one could not fold', ['r1n1', 'r1n2', 'r2n1', 'r3n1'], ['r1n[1-2]', 'r[2-3]n1']],
    [
      'folds a URL only in its authority',
      ['http://web1:8080/a1', 'http://web2:8080/a1', 'http://web3:8080/a2'],
      ['http://web[1-2]:8080/a1', 'http://web3:8080/a2'],
    ],
    ['never folds inside an IPv6 literal', ['[::1]:8080', '[::2]:8080', '[::1]:8081'], ['[::1]:[8080-8081]', '[::2]:8080']],
    [
      'does not fold digit runs too long for exact arithmetic',
      ['n1234567890123456', 'n1234567890123457'],
      ['n1234567890123456', 'n1234567890123457'],
    ],
  ])('%s', (_name, hosts, folded) => {
    expect(foldHosts(hosts)).toEqual(folded);
    expect(expandAll(folded).sort()).toEqual([...new Set(hosts)].sort());
  });

  it('leaves names with other brackets alone, which the range syntax would misread', () => {
    expect(foldHosts(['web[1', 'web[2', 'x]1', 'x]2', 'r[1]a1', 'r[1]a2'])).toEqual(['r[1]a1', 'r[1]a2', 'web[1', 'web[2', 'x]1', 'x]2']);
  });

  it('returns nothing for nothing', () => {
    expect(foldHosts([])).toEqual([]);
  });

  it('sorts entries naturally by their first host', () => {
    expect(foldHosts(['web10', 'web2', 'db9', 'web3', 'db10', '10.0.0.10', '10.0.0.9'])).toEqual([
      '10.0.0.[9-10]',
      'db[9-10]',
      'web[2-3,10]',
    ]);
  });

  // How fast it folds is the benchmark's business; what a unit test can pin down is that a big, shuffled input
  // with two shapes of names folds into exactly the entries it should, in order, and expands back to itself.
  it('folds 76,190 names into one entry per run of siblings, in natural order, that expand back to exactly the input', () => {
    const hosts: string[] = [];
    // 40 racks; a rack's nodes are 40 apart, so they fold on the node number as a list, never a span; no node 7k.
    for (let i = 0; i < 50_000; i++) if (i % 7 !== 0) hosts.push(`node${String(i).padStart(5, '0')}.rack${i % 40}.dc1`);
    // 10.0.0.x … 10.0.195.x, every third address missing: one entry per third octet, spans of two.
    for (let i = 0; i < 50_000; i++) if (i % 3 !== 0) hosts.push(`10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}:8080`);
    hosts.reverse();
    expect(hosts).toHaveLength(76_190);

    const folded = foldHosts(hosts);

    const octets = Array.from({ length: 196 }, (_, b) => `10.0.${b}.`);
    // A rack's entry sorts by its first node: node r, or node r+40 when r is a multiple of 7 (rack0: node00040).
    const firstNode = (rack: number): number => (rack % 7 === 0 ? rack + 40 : rack);
    const racks = Array.from({ length: 40 }, (_, r) => r).sort((a, b) => firstNode(a) - firstNode(b));
    expect(folded.map((entry) => entry.replace(/\[.*\]/, '[…]'))).toEqual([
      ...octets.map((prefix) => `${prefix}[…]:8080`),
      ...racks.map((rack) => `node[…].rack${rack}.dc1`),
    ]);
    expect(folded[0]).toBe(`10.0.0.[${Array.from({ length: 85 }, (_, k) => `${3 * k + 1}-${3 * k + 2}`).join(',')}]:8080`);
    expect(folded.find((entry) => entry.endsWith('.rack0.dc1'))).toMatch(
      /^node\[00040,00080,00120,00160,00200,00240,00320,.*,49960\]\.rack0\.dc1$/,
    );
    expect(folded.reduce((n, entry) => n + foldedSize(entry), 0)).toBe(hosts.length);
    expect(expandAll(folded).sort()).toEqual([...hosts].sort());
  });
});

describe('foldedSize', () => {
  it.each([
    ['web01', 1],
    ['web[03,17-19].dc1', 4],
    ['127.0.0.[5-6]:8080', 2],
    ['[::1]:[8080-8081]', 2],
  ])('%s stands for %i hosts', (entry, size) => {
    expect(foldedSize(entry)).toBe(size);
  });
});

describe('naturalCompare', () => {
  it('orders numbers by value, then shorter spellings first', () => {
    const names = ['web10', 'web9', 'web09', 'web', 'web1a', 'web1', 'webz', 'n99999999999999999999', 'n100000000000000000000'];
    expect(names.sort(naturalCompare)).toEqual([
      'n99999999999999999999',
      'n100000000000000000000',
      'web',
      'web1',
      'web1a',
      'web9',
      'web09',
      'web10',
      'webz',
    ]);
  });
});
