// Job server addresses as the user writes them: `HOST[:PORT][,HOST[:PORT]…]`, IPv6 in brackets.
// Pure parsing; names are not resolved here.

import { ServerAddressError } from './errors.js';

export const DEFAULT_GEARMAN_PORT = 4730;

export interface ServerAddress {
  /** Host name or IP literal, IPv6 without brackets. */
  host: string;
  port: number;
}

/** Parses a comma-separated list; throws ServerAddressError naming the first bad entry. */
export function parseServerList(spec: string): ServerAddress[] {
  const entries = spec.split(',').map((entry) => entry.trim());
  if (entries.every((entry) => entry === '')) throw new ServerAddressError(spec, 'no server given');
  return entries.map((entry) => {
    if (entry === '') throw new ServerAddressError(spec, 'empty entry in the list');
    return parseServerAddress(entry);
  });
}

/** Parses one `HOST`, `HOST:PORT`, `[V6]` or `[V6]:PORT`. */
export function parseServerAddress(entry: string): ServerAddress {
  let host: string;
  let portText: string | undefined;
  if (entry.includes('://')) throw new ServerAddressError(entry, 'expected HOST:PORT, not a URL');
  if (entry.startsWith('[')) {
    const close = entry.indexOf(']');
    if (close < 0) throw new ServerAddressError(entry, 'missing "]" after the IPv6 address');
    host = entry.slice(1, close);
    const rest = entry.slice(close + 1);
    if (rest !== '' && !rest.startsWith(':')) throw new ServerAddressError(entry, `unexpected "${rest}" after "]"`);
    if (!host.includes(':')) throw new ServerAddressError(entry, 'brackets are only for IPv6 addresses');
    portText = rest === '' ? undefined : rest.slice(1);
  } else {
    const colon = entry.indexOf(':');
    if (colon !== entry.lastIndexOf(':')) {
      throw new ServerAddressError(entry, 'an IPv6 address must be written in brackets, e.g. [::1]:4730');
    }
    host = colon < 0 ? entry : entry.slice(0, colon);
    portText = colon < 0 ? undefined : entry.slice(colon + 1);
  }
  if (host === '') throw new ServerAddressError(entry, 'missing host');
  if (/[\s/@]/.test(host)) throw new ServerAddressError(entry, `"${host}" is not a host name or IP address`);
  return { host, port: portText === undefined ? DEFAULT_GEARMAN_PORT : parsePort(entry, portText) };
}

function parsePort(entry: string, text: string): number {
  const port = /^\d{1,5}$/.test(text) ? Number(text) : Number.NaN;
  if (!(port >= 1 && port <= 65535)) {
    throw new ServerAddressError(entry, `port must be a number from 1 to 65535, got "${text}"`);
  }
  return port;
}

/** `host:port`, or `[v6]:port`: the form used in messages and events. */
export function formatServerAddress(address: ServerAddress): string {
  return address.host.includes(':') ? `[${address.host}]:${address.port}` : `${address.host}:${address.port}`;
}
