// One host entry, after range expansion: is it something we can send a request to, and what are its parts.
// Owns the accepted forms; range syntax belongs to expand-ranges.ts, URL building to url-template.ts.
//
// Accepted: `host`, `host:port`, an IPv4 literal (with or without port), `[v6addr]`, `[v6addr]:port`,
// and a full `http://` or `https://` URL (used as is). Everything else throws HostEntryError with a reason.

import { isIPv4, isIPv6 } from 'node:net';
import { HostEntryError, quoted } from './host-input-error.js';

export interface ParsedEntry {
  /** The entry as given: `web01:8080`, `[::1]:80`, `https://web01/x`. */
  host: string;
  /**
   * The name or address alone. An IPv6 address keeps its brackets (`[::1]`), so `{hostname}:{port}` and
   * `http://{hostname}/` stay valid URLs; this is also what WHATWG `URL.hostname` returns.
   * For a URL entry: the URL's hostname (lowercased by the URL parser).
   */
  hostname: string;
  /** The explicit port, or null when the entry has none (the scheme default applies). */
  port: number | null;
  /** The entry itself when it is a full URL, else null. */
  url: string | null;
}

const SCHEME = /^([a-z][a-z0-9+.-]*):/i;
const HTTP_URL = /^https?:\/\//i;
const BRACKETED = /^\[([^\]]*)\](?::(.*))?$/;
// Labels of 1-63 letters, digits, `_` or `-`, joined by dots; one trailing dot is the DNS root (`web01.dc1.`),
// legal, where an empty label elsewhere is not. One regex over the name: no array of labels per entry.
const HOSTNAME = /^[A-Za-z0-9_-]{1,63}(?:\.[A-Za-z0-9_-]{1,63})*\.?$/;
const NUMERIC_LAST_LABEL = /(?:^|\.)\d+\.?$/;
const DIGITS = /^\d+$/;
const MAX_HOSTNAME_LENGTH = 253;

export function parseEntry(host: string): ParsedEntry {
  if (/\s/.test(host)) throw new HostEntryError(`whitespace inside ${quoted(host)}`);
  if (host === '') throw new HostEntryError('empty host');
  if (host.startsWith('[')) return parseBracketed(host);
  const scheme = SCHEME.exec(host)?.[1];
  if (scheme !== undefined && host.charAt(scheme.length + 1) === '/') return parseUrl(host, scheme);
  return parseHostPort(host);
}

function parseUrl(host: string, scheme: string): ParsedEntry {
  if (!/^https?$/i.test(scheme)) throw new HostEntryError(`unsupported scheme "${scheme}:" in ${quoted(host)} (http or https only)`);
  // `new URL('http:/x')` quietly repairs it to `http://x/`: a typo we would rather report.
  if (!HTTP_URL.test(host)) throw new HostEntryError(`malformed URL ${quoted(host)} (expected ${scheme}://…)`);
  let url: URL;
  try {
    url = new URL(host);
  } catch {
    throw new HostEntryError(`invalid URL ${quoted(host)}`);
  }
  // Every record's `url` is the entry's: a password in it would be written out with each one.
  if (url.username !== '' || url.password !== '') {
    throw new HostEntryError(
      `user:password in ${quoted(`${scheme}://${url.host}`)}: every record would carry it; give an Authorization header with -H @FILE`,
    );
  }
  return { host, hostname: url.hostname, port: url.port === '' ? null : Number(url.port), url: host };
}

function parseBracketed(host: string): ParsedEntry {
  const match = BRACKETED.exec(host);
  const address = match?.[1];
  // Zone ids (`fe80::1%eth0`) pass isIPv6 but no URL can carry them.
  if (address === undefined || !isIPv6(address) || address.includes('%')) {
    throw new HostEntryError(`invalid IPv6 literal ${quoted(host)}`);
  }
  const port = match?.[2];
  return { host, hostname: `[${address}]`, port: port === undefined ? null : parsePort(port, host), url: null };
}

function parseHostPort(host: string): ParsedEntry {
  const colon = host.indexOf(':');
  if (colon !== -1 && host.indexOf(':', colon + 1) !== -1) {
    const hint = isIPv6(host) && !host.includes('%') ? `; write an IPv6 address in brackets: "[${host}]"` : '';
    throw new HostEntryError(`invalid host ${quoted(host)}${hint}`);
  }
  const hostname = colon === -1 ? host : host.slice(0, colon);
  checkHostname(hostname, host);
  return { host, hostname, port: colon === -1 ? null : parsePort(host.slice(colon + 1), host), url: null };
}

function checkHostname(hostname: string, host: string): void {
  if (isIPv4(hostname)) return; // most of a fleet's list: one check
  if (hostname.length > MAX_HOSTNAME_LENGTH) {
    throw new HostEntryError(`hostname longer than ${MAX_HOSTNAME_LENGTH} characters in ${quoted(host)}`);
  }
  if (!HOSTNAME.test(hostname)) {
    throw new HostEntryError(`invalid hostname ${quoted(hostname)}${hostname === host ? '' : ` in ${quoted(host)}`}`);
  }
  // A URL parser reads a name ending in a number as IPv4 (`http://1/` is 0.0.0.1, `http://web.1/` fails).
  if (NUMERIC_LAST_LABEL.test(hostname)) {
    throw new HostEntryError(`${quoted(hostname)} is neither a valid IPv4 address nor a hostname (a name cannot end in a number)`);
  }
}

function parsePort(port: string, host: string): number {
  const value = DIGITS.test(port) ? Number(port) : Number.NaN;
  if (!(value >= 1 && value <= 65535)) throw new HostEntryError(`invalid port ${quoted(port)} in ${quoted(host)} (1-65535)`);
  return value;
}
