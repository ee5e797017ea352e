// A worker's --allow rules: which hosts a job may make it fetch. Pure: parsing and matching only; the resolver
// wrapper (allow-guard.ts) applies them to the addresses actually connected to.
//
// Syntax, one rule (a flag value is a comma-separated list of them):
//   address rules  10.0.0.0/8   10.1.2.3   fd00::/8   fd00::1   (IPv6 without a port: no brackets needed)
//                  10.0.0.0/8:443   10.1.2.3:443   [fd00::]/8:443   [fd00::1]:443   (IPv6 with a port: brackets)
//   name rules     web01.example.com   *.dc1.example.com   web*.example.com   (each optionally with :PORT)
// `*` stands for one or more characters within one label (never a dot): `*.dc1.example.com` allows
// `web01.dc1.example.com` but neither `dc1.example.com` nor `a.web01.dc1.example.com`. Names match without
// regard to case and to a trailing dot. A rule without a port allows every port.
//
// Meaning: a URL host that is an IP literal must match an address rule. A name must match a name rule when
// there are any, and every address it resolves to must match an address rule when there are any; so
// `--allow 10.0.0.0/8` lets any name through whose addresses all lie in 10/8, and `--allow '*.dc1.example.com'`
// any address of a name in that domain (but no IP literal).
import { BlockList, isIP, isIPv4, isIPv6 } from 'node:net';

export class AllowRuleError extends Error {
  override readonly name = 'AllowRuleError';
  constructor(
    readonly rule: string,
    reason: string,
  ) {
    super(`invalid --allow rule "${rule}": ${reason}`);
  }
}

interface AddressRule {
  kind: 'address';
  text: string;
  range: BlockList;
  port: number | null;
}

interface NameRule {
  kind: 'name';
  text: string;
  pattern: RegExp;
  port: number | null;
}

type Rule = AddressRule | NameRule;

export interface AllowRules {
  /** The rules as given, one per entry, for the worker's start-up line. */
  readonly texts: readonly string[];
  readonly hasNameRules: boolean;
  readonly hasAddressRules: boolean;
  /** Does a name rule allow this name on this port? null port (unknown): only a rule without a port does. */
  allowsName(name: string, port: number | null): boolean;
  /** Does an address rule allow this address on this port? null port (unknown): only a rule without a port does. */
  allowsAddress(address: string, port: number | null): boolean;
}

const PORT = /^\d{1,5}$/;
const PREFIX = /^\d{1,3}$/;
const NAME = /^(?:[a-z0-9_*-]+\.)*[a-z0-9_*-]+$/;
const MAX_NAME_LENGTH = 253;
const MAX_LABEL_LENGTH = 63;

/** Parses the values of every --allow flag; throws AllowRuleError naming the first rule that does not parse. */
export function parseAllowRules(values: readonly string[]): AllowRules {
  const rules = values.flatMap((value) => value.split(',')).map((text) => parseRule(text.trim()));
  const names = rules.filter((rule): rule is NameRule => rule.kind === 'name');
  const addresses = rules.filter((rule): rule is AddressRule => rule.kind === 'address');
  return {
    texts: rules.map((rule) => rule.text),
    hasNameRules: names.length > 0,
    hasAddressRules: addresses.length > 0,
    allowsName(name, port) {
      const normal = normalName(name);
      return names.some((rule) => portMatches(rule, port) && rule.pattern.test(normal));
    },
    allowsAddress(address, port) {
      const family = isIPv4(address) ? 'ipv4' : isIPv6(address) ? 'ipv6' : null;
      if (family === null) return false;
      return addresses.some((rule) => portMatches(rule, port) && rule.range.check(address, family));
    },
  };
}

/** A name as rules compare it: lower case, no trailing dot (`Web01.Example.com.` is `web01.example.com`). */
export function normalName(name: string): string {
  return name.toLowerCase().replace(/\.$/, '');
}

function portMatches(rule: Rule, port: number | null): boolean {
  return rule.port === null || rule.port === port;
}

function parseRule(text: string): Rule {
  if (text === '') throw new AllowRuleError(text, 'empty rule (two commas, or a comma at an end?)');
  if (text.startsWith('[')) return parseBracketed(text);
  // Two colons or more: an IPv6 address or range, which takes no port without brackets.
  if (text.indexOf(':') !== text.lastIndexOf(':')) return parseIpv6Unbracketed(text);
  const colon = text.indexOf(':');
  const host = colon === -1 ? text : text.slice(0, colon);
  const port = colon === -1 ? null : parsePort(text, text.slice(colon + 1));
  if (host.includes('/') || isIPv4(host)) return addressRule(text, host, 'ipv4', port);
  return nameRule(text, host, port);
}

/** `[fd00::1]`, `[fd00::1]:443`, `[fd00::]/8`, `[fd00::]/8:443`. */
function parseBracketed(text: string): Rule {
  const match = /^\[([^\]]*)\](\/[^:]*)?(?::(.*))?$/.exec(text);
  if (match === null) throw new AllowRuleError(text, 'expected [IPv6], [IPv6]:PORT, [IPv6]/PREFIX or [IPv6]/PREFIX:PORT');
  const [, address = '', prefix = '', port] = match;
  if (!isIPv6(address)) throw new AllowRuleError(text, `"${address}" is not an IPv6 address`);
  return addressRule(text, `${address}${prefix}`, 'ipv6', port === undefined ? null : parsePort(text, port));
}

function parseIpv6Unbracketed(text: string): Rule {
  const [address = '', prefix] = text.split('/');
  if (prefix !== undefined && !PREFIX.test(prefix)) {
    throw new AllowRuleError(text, 'an IPv6 range with a port needs brackets: [fd00::]/8:443');
  }
  if (!isIPv6(address)) throw new AllowRuleError(text, `"${address}" is not an IPv6 address (with a port, write [ADDRESS]:PORT)`);
  return addressRule(text, text, 'ipv6', null);
}

/** `10.0.0.0/8` or a single address (a /32 or /128), of the family the syntax said. */
function addressRule(text: string, range: string, family: 'ipv4' | 'ipv6', port: number | null): AddressRule {
  const slash = range.indexOf('/');
  const address = slash === -1 ? range : range.slice(0, slash);
  const bits = family === 'ipv4' ? 32 : 128;
  if (isIP(address) !== (family === 'ipv4' ? 4 : 6))
    throw new AllowRuleError(text, `"${address}" is not an ${family === 'ipv4' ? 'IPv4' : 'IPv6'} address`);
  if (address.includes('%')) throw new AllowRuleError(text, 'zone ids (%eth0) are not allowed');
  const prefixText = slash === -1 ? String(bits) : range.slice(slash + 1);
  const prefix = Number(prefixText);
  if (!PREFIX.test(prefixText) || prefix > bits) {
    throw new AllowRuleError(text, `the prefix length must be 0 to ${bits}, got "${prefixText}"`);
  }
  const list = new BlockList();
  list.addSubnet(address, prefix, family);
  return { kind: 'address', text, range: list, port };
}

function nameRule(text: string, host: string, port: number | null): NameRule {
  const name = normalName(host);
  if (name === '*') throw new AllowRuleError(text, 'a bare * allows nothing useful: to fetch any host, give no --allow at all');
  if (name.length > MAX_NAME_LENGTH || !NAME.test(name)) {
    throw new AllowRuleError(text, 'expected an IPv4/IPv6 address or range, or a host name with * wildcards (letters, digits, - _ . *)');
  }
  if (name.split('.').some((label) => label.length > MAX_LABEL_LENGTH))
    throw new AllowRuleError(text, 'a label is longer than 63 characters');
  if (/^[\d.*]+$/.test(name) && /\d/.test(name)) {
    // `10.0.*.*` reads as an address range, which a name glob would never match (URL parsers turn it into an address).
    throw new AllowRuleError(text, 'looks like an IPv4 pattern: write the range as a CIDR (10.0.0.0/16)');
  }
  const source = name
    .split('*')
    .map((part) => part.replace(/\./g, '\\.'))
    .join('[^.]+');
  return { kind: 'name', text, pattern: new RegExp(`^${source}$`), port };
}

function parsePort(text: string, port: string): number {
  const value = Number(port);
  if (!PORT.test(port) || value < 1 || value > 65_535) throw new AllowRuleError(text, `the port must be 1 to 65535, got "${port}"`);
  return value;
}
