import { describe, expect, it } from 'vitest';
import { HostEntryError } from '../../src/hosts/host-input-error.js';
import { parseEntry } from '../../src/hosts/parse-entry.js';

describe('parseEntry', () => {
  it.each([
    ['web01', 'web01', null],
    ['web01.dc1.example.com', 'web01.dc1.example.com', null],
    ['web_01-a.dc1.', 'web_01-a.dc1.', null],
    ['web01:8080', 'web01', 8080],
    ['10.0.0.1', '10.0.0.1', null],
    ['10.0.0.1:65535', '10.0.0.1', 65535],
    ['[::1]', '[::1]', null],
    ['[::1]:8080', '[::1]', 8080],
    ['[2001:db8::7]:1', '[2001:db8::7]', 1],
  ])('accepts %s', (host, hostname, port) => {
    expect(parseEntry(host)).toEqual({ host, hostname, port, url: null });
  });

  it('takes a full URL as is', () => {
    expect(parseEntry('https://web01.dc1:8443/api?x=1')).toEqual({
      host: 'https://web01.dc1:8443/api?x=1',
      hostname: 'web01.dc1',
      port: 8443,
      url: 'https://web01.dc1:8443/api?x=1',
    });
    expect(parseEntry('http://[::1]/status')).toMatchObject({ hostname: '[::1]', port: null, url: 'http://[::1]/status' });
  });

  it.each([
    ['web 01', 'whitespace inside "web 01"'],
    ['web01:0', 'invalid port "0" in "web01:0" (1-65535)'],
    ['web01:65536', 'invalid port "65536" in "web01:65536" (1-65535)'],
    ['web01:', 'invalid port "" in "web01:" (1-65535)'],
    ['web01:http', 'invalid port "http" in "web01:http" (1-65535)'],
    ['http:/x', 'malformed URL "http:/x" (expected http://…)'],
    ['ftp://files/x', 'unsupported scheme "ftp:" in "ftp://files/x" (http or https only)'],
    ['http://', 'invalid URL "http://"'],
    [
      'https://ops:s3cret@web01:8443/',
      'user:password in "https://web01:8443": every record would carry it; give an Authorization header with -H @FILE',
    ],
    ['::1', 'invalid host "::1"; write an IPv6 address in brackets: "[::1]"'],
    ['[::1', 'invalid IPv6 literal "[::1"'],
    ['[::1]8080', 'invalid IPv6 literal "[::1]8080"'],
    ['[zz::1]', 'invalid IPv6 literal "[zz::1]"'],
    ['[fe80::1%eth0]', 'invalid IPv6 literal "[fe80::1%eth0]"'],
    ['[::1]:99999', 'invalid port "99999" in "[::1]:99999" (1-65535)'],
    ['web..dc1', 'invalid hostname "web..dc1"'],
    ['.web', 'invalid hostname ".web"'],
    ['web!:80', 'invalid hostname "web!" in "web!:80"'],
    ['web[01-', 'invalid hostname "web[01-"'],
    ['999.1.1.1', '"999.1.1.1" is neither a valid IPv4 address nor a hostname (a name cannot end in a number)'],
    ['web.1', '"web.1" is neither a valid IPv4 address nor a hostname (a name cannot end in a number)'],
  ])('rejects %s', (host, reason) => {
    expect(() => parseEntry(host)).toThrow(new HostEntryError(reason));
  });

  it('bounds label and name length', () => {
    expect(parseEntry(`${'a'.repeat(63)}.dc1`).hostname).toHaveLength(67);
    expect(() => parseEntry(`${'a'.repeat(64)}.dc1`)).toThrow(/invalid hostname/);
    expect(() => parseEntry(Array.from({ length: 4 }, () => 'a'.repeat(63)).join('.'))).toThrow(/longer than 253/);
  });
});
