import { describe, expect, it } from 'vitest';
import { AllowRuleError, parseAllowRules } from '../../src/http/allow-rules.js';

describe('parseAllowRules', () => {
  it.each([
    ['10.0.0.0/8', '10.0.0.0/8'],
    ['10.1.2.3', '10.1.2.3'],
    ['10.1.2.3:443', '10.1.2.3:443'],
    ['10.0.0.0/8:8443', '10.0.0.0/8:8443'],
    ['fd00::/8', 'fd00::/8'],
    ['fd00::1', 'fd00::1'],
    ['[fd00::1]', '[fd00::1]'],
    ['[fd00::1]:443', '[fd00::1]:443'],
    ['[fd00::]/8:443', '[fd00::]/8:443'],
    ['web01.example.com', 'web01.example.com'],
    ['*.dc1.example.com:8080', '*.dc1.example.com:8080'],
    ['Web*.Example.COM.', 'Web*.Example.COM.'],
    ['localhost', 'localhost'],
  ])('accepts %s', (text, shown) => {
    expect(parseAllowRules([text]).texts).toEqual([shown]);
  });

  it('splits comma lists and repeated flags, trimming spaces', () => {
    const rules = parseAllowRules(['10.0.0.0/8, *.a.example', 'fd00::/8']);
    expect(rules.texts).toEqual(['10.0.0.0/8', '*.a.example', 'fd00::/8']);
    expect(rules.hasNameRules && rules.hasAddressRules).toBe(true);
  });

  it.each([
    ['', /empty rule/],
    ['10.0.0.0/8,,10.1.0.0/16', /invalid --allow rule "": empty rule/],
    ['10.0.0.0/33', /prefix length must be 0 to 32, got "33"/],
    ['10.0.0.0/', /prefix length/],
    ['10.0.0.256/8', /"10.0.0.256" is not an IPv4 address/],
    ['fd00::/129', /prefix length must be 0 to 128/],
    ['fd00::/8:443', /an IPv6 range with a port needs brackets: \[fd00::\]\/8:443/],
    ['fd00::zz', /not an IPv6 address/],
    ['[fd00::1', /expected \[IPv6\]/],
    ['[10.0.0.1]:80', /"10.0.0.1" is not an IPv6 address/],
    ['[fe80::1%eth0]', /zone ids/],
    ['10.1.2.3:0', /port must be 1 to 65535, got "0"/],
    ['10.1.2.3:70000', /port must be 1 to 65535/],
    ['web01:http', /port must be 1 to 65535, got "http"/],
    ['web01:', /port must be 1 to 65535, got ""/],
    ['*', /bare \*/],
    ['10.0.*.*', /write the range as a CIDR/],
    ['web 01', /expected an IPv4\/IPv6 address or range, or a host name/],
    ['http://web01/', /invalid --allow rule "http:\/\/web01\/"/],
    ['web..example', /host name/],
    [`${'a'.repeat(64)}.example`, /longer than 63/],
  ])('refuses %j, naming it', (text, reason) => {
    const error = (() => {
      try {
        parseAllowRules([text]);
      } catch (e) {
        return e;
      }
      return null;
    })();
    expect(error).toBeInstanceOf(AllowRuleError);
    expect((error as AllowRuleError).message).toMatch(reason);
    expect((error as AllowRuleError).message.split('\n')).toHaveLength(1);
  });
});

describe('matching', () => {
  it('IPv4 ranges and single addresses, with and without a port', () => {
    const rules = parseAllowRules(['10.0.0.0/8,192.168.1.5:443']);
    expect(rules.allowsAddress('10.255.0.1', 80)).toBe(true);
    expect(rules.allowsAddress('10.255.0.1', null)).toBe(true);
    expect(rules.allowsAddress('11.0.0.1', 80)).toBe(false);
    expect(rules.allowsAddress('192.168.1.5', 443)).toBe(true);
    expect(rules.allowsAddress('192.168.1.5', 80)).toBe(false);
    expect(rules.allowsAddress('192.168.1.5', null)).toBe(false);
    expect(rules.allowsAddress('192.168.1.6', 443)).toBe(false);
    // An IPv4-mapped IPv6 address is the IPv4 address it maps.
    expect(rules.allowsAddress('::ffff:10.1.2.3', 80)).toBe(true);
    expect(rules.allowsAddress('not an address', 80)).toBe(false);
  });

  it('IPv6 ranges and single addresses', () => {
    const rules = parseAllowRules(['fd00::/8', '[2001:db8::1]:8443']);
    expect(rules.allowsAddress('fd12:3456::1', 80)).toBe(true);
    expect(rules.allowsAddress('fe80::1', 80)).toBe(false);
    expect(rules.allowsAddress('2001:db8::1', 8443)).toBe(true);
    expect(rules.allowsAddress('2001:db8:0:0:0:0:0:1', 8443)).toBe(true);
    expect(rules.allowsAddress('2001:db8::1', 443)).toBe(false);
    expect(rules.allowsAddress('10.0.0.1', 80)).toBe(false);
  });

  it('name globs: * stays within one label; case and a trailing dot do not matter; ports', () => {
    const rules = parseAllowRules(['*.dc1.example.com', 'web*.example.org:8080', 'api.example.net']);
    expect(rules.allowsName('web01.dc1.example.com', 80)).toBe(true);
    expect(rules.allowsName('WEB01.DC1.Example.com.', 443)).toBe(true);
    expect(rules.allowsName('dc1.example.com', 80)).toBe(false);
    expect(rules.allowsName('a.web01.dc1.example.com', 80)).toBe(false);
    expect(rules.allowsName('web01.dc1.example.com.evil.test', 80)).toBe(false);
    expect(rules.allowsName('web01xdc1.example.com', 80)).toBe(false);
    expect(rules.allowsName('web7.example.org', 8080)).toBe(true);
    expect(rules.allowsName('web7.example.org', 80)).toBe(false);
    expect(rules.allowsName('web.example.org', 8080)).toBe(false);
    expect(rules.allowsName('api.example.net', 1)).toBe(true);
    expect(rules.allowsName('xapi.example.net', 1)).toBe(false);
  });

  it('name rules never match addresses, nor address rules names', () => {
    const rules = parseAllowRules(['10.0.0.0/8', '*.example.com']);
    expect(rules.allowsName('10.0.0.1', 80)).toBe(false);
    expect(rules.allowsAddress('web.example.com', 80)).toBe(false);
  });
});
