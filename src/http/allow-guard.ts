// Applies a worker's --allow rules (allow-rules.ts) at the two points where a host is decided: before a job's
// batch runs (admit: the URL's host, so an IP literal, which is never resolved, is judged here) and in the name
// resolution of every connection (the wrapped resolver: the name again, and every address it resolves to, so a
// name that resolves into a range no rule allows is refused before a socket is opened to it).
//
// The resolver is told only a name, not the port, so admit() remembers the ports a job's names will be
// connected on until the job releases them; a name nobody admitted (a redirect's, say) is judged as having an
// unknown port, which only rules without a port allow.
import type { LookupAddress } from 'node:dns';
import { isIP } from 'node:net';
import { normalName, type AllowRules } from './allow-rules.js';
import { DENIED_CODE, OutcomeError } from './classify-error.js';
import type { Resolver } from './resolver.js';

/** A host no --allow rule allows: its record is `denied`, and nothing was sent to it. */
export class DeniedError extends OutcomeError {
  readonly code = DENIED_CODE;
  constructor(message: string) {
    super('denied', message);
  }
}

export interface Admission {
  /** Per URL given: why its host is refused, or null (a URL that does not parse is left to the request). */
  refusals: Array<string | null>;
  /** The job is over: forget the ports its names were admitted on. */
  release(): void;
}

export interface HostGuard {
  /** Connect through this: it refuses names and addresses the rules do not allow. */
  readonly resolver: Resolver;
  /**
   * Every connection's host and port, judged once more where both are known (the dispatcher's connector): a redirect
   * to an IP literal is never resolved and was never admitted, so this is the only check it meets.
   */
  refuseConnection(this: void, hostname: string, port: number): DeniedError | null;
  admit(urls: ReadonlyArray<string | null>): Admission;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

export function createHostGuard(rules: AllowRules, resolver: Resolver): HostGuard {
  /** name → port → how many admitted hosts of running jobs will connect to it on that port. */
  const admitted = new Map<string, Map<number | null, number>>();

  const portsOf = (name: string): Array<number | null> => {
    const ports = admitted.get(name);
    return ports === undefined ? [null] : [...ports.keys()];
  };

  const refuseName = (name: string, port: number | null): string | null =>
    rules.hasNameRules && !rules.allowsName(name, port) ? `${hostPort(name, port)} matches no --allow rule of this worker` : null;

  const refuseAddress = (address: string, port: number | null): string | null =>
    rules.allowsAddress(address, port) ? null : `no --allow rule of this worker allows ${hostPort(address, port)}`;

  const guarded: Resolver = (hostname, options, callback) => {
    const name = normalName(hostname);
    const ports = portsOf(name);
    // An IP literal is never resolved by net; should one come here all the same, it is its own address.
    const nameRefusal = firstOf(ports, (port) => (isIP(name) === 0 ? refuseName(name, port) : refuseAddress(name, port)));
    if (nameRefusal !== null) {
      callback(new DeniedError(nameRefusal), '', 0);
      return;
    }
    resolver(hostname, options, (error, address, family) => {
      if (error !== null) {
        callback(error, address, family);
        return;
      }
      const found: LookupAddress[] = typeof address === 'string' ? [{ address, family: family ?? 0 }] : address;
      for (const entry of found) {
        const refusal = rules.hasAddressRules ? firstOf(ports, (port) => refuseAddress(entry.address, port)) : null;
        if (refusal !== null) {
          callback(new DeniedError(`${name} resolves to ${entry.address}: ${refusal}`), '', 0);
          return;
        }
      }
      callback(null, address, family);
    });
  };

  return {
    resolver: guarded,
    refuseConnection(hostname, port) {
      const literal = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
      const refusal = isIP(literal) !== 0 ? refuseAddress(literal, port) : refuseName(normalName(hostname), port);
      return refusal === null ? null : new DeniedError(refusal);
    },
    admit(urls) {
      const names: Array<[string, number | null]> = [];
      const refusals = urls.map((url) => {
        const host = url === null ? null : hostOf(url);
        if (host === null) return null;
        const { hostname, port } = host;
        const literal = hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
        // An IP literal is connected to as it is, never resolved: it must match an address rule, whatever the name rules.
        if (isIP(literal) !== 0) return refuseAddress(literal, port);
        const name = normalName(hostname);
        const refusal = refuseName(name, port);
        if (refusal === null) names.push([name, port]);
        return refusal;
      });
      for (const [name, port] of names) {
        const ports = admitted.get(name) ?? new Map<number | null, number>();
        ports.set(port, (ports.get(port) ?? 0) + 1);
        admitted.set(name, ports);
      }
      let released = false;
      return {
        refusals,
        release() {
          if (released) return;
          released = true;
          for (const [name, port] of names) {
            const ports = admitted.get(name);
            const count = ports?.get(port) ?? 0;
            if (count > 1) ports?.set(port, count - 1);
            else ports?.delete(port);
            if (ports?.size === 0) admitted.delete(name);
          }
        },
      };
    },
  };
}

/** The URL's host and port as the HTTP client will connect to them (WHATWG parsing, as undici's), or null. */
function hostOf(url: string): { hostname: string; port: number | null } | null {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return null;
  }
  const port = parsed.port === '' ? (DEFAULT_PORTS[parsed.protocol] ?? null) : Number(parsed.port);
  return { hostname: parsed.hostname, port };
}

function hostPort(host: string, port: number | null): string {
  if (port === null) return host;
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

function firstOf<T>(items: readonly T[], refusal: (item: T) => string | null): string | null {
  for (const item of items) {
    const found = refusal(item);
    if (found !== null) return found;
  }
  return null;
}
