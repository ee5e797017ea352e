// The undici dispatcher for a run: one shared Agent with keep-alive off, because each host gets one request
// and idle sockets to thousands of origins would only cost file descriptors on both sides.
import { createSecureContext } from 'node:tls';
import type { Agent as AgentType, buildConnector } from 'undici';
import { Agent, buildConnector as buildUndiciConnector } from './undici-parts.js';
import { systemResolver, type Resolver } from './resolver.js';

/**
 * A response's header block at most (beyond: `reset`, "response headers too large"), the same on every machine rather
 * than Node's default (16 KiB, which --max-http-header-size changes), with room for real servers' big cookies and CSPs.
 */
export const RESPONSE_HEADERS_MAX_BYTES = 64 * 1024;

export interface DispatcherOptions {
  connectTimeoutMs: number;
  insecure: boolean;
  resolver?: Resolver;
}

export function createDispatcher(options: DispatcherOptions): AgentType {
  const base = {
    timeout: options.connectTimeoutMs,
    lookup: options.resolver ?? systemResolver,
    rejectUnauthorized: !options.insecure,
  };
  // One connector for the run: given options instead, undici builds a connector (and a TLS session
  // cache) for every origin, i.e. for every host.
  const plain = buildUndiciConnector(base);
  // And one TLS context: without it tls.connect builds a new one (an OpenSSL context with the trusted roots) for
  // every connection, a third of an HTTPS host's CPU. Made at the first https:// origin, because loading Node's
  // root certificates costs ~50 ms that a plain-HTTP run need not pay.
  let secure: buildConnector.connector | null = null;
  const connect: buildConnector.connector = (connectOptions, callback) => {
    if (connectOptions.protocol !== 'https:') return plain(connectOptions, callback);
    secure ??= buildUndiciConnector({ ...base, secureContext: createSecureContext() });
    return secure(connectOptions, callback);
  };
  return new Agent({ connections: 1, pipelining: 0, connect, maxHeaderSize: RESPONSE_HEADERS_MAX_BYTES });
}

/** Agents by connect options, for a worker whose jobs may ask for different connect timeouts. */
export class DispatcherPool {
  readonly #agents = new Map<string, AgentType>();

  constructor(private readonly resolver?: Resolver) {}

  get(connectTimeoutMs: number, insecure: boolean): AgentType {
    const key = `${connectTimeoutMs}:${insecure}`;
    let agent = this.#agents.get(key);
    if (!agent) {
      agent = createDispatcher({ connectTimeoutMs, insecure, ...(this.resolver ? { resolver: this.resolver } : {}) });
      this.#agents.set(key, agent);
    }
    return agent;
  }

  async close(): Promise<void> {
    const agents = [...this.#agents.values()];
    this.#agents.clear();
    await Promise.all(agents.map((a) => a.destroy()));
  }
}
