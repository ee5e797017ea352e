// Name resolution for outgoing connections goes through one injectable function, so tests can produce DNS
// failures without asking the machine's DNS server. IP literals never reach it (net skips lookup for them).
// A replacement must honour `options.all` (net asks for every address, then races them): answer with a list.
import dns from 'node:dns';
import type { LookupFunction } from 'node:net';

export type Resolver = LookupFunction;

export const systemResolver: Resolver = dns.lookup;
