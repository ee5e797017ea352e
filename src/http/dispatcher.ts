// The undici dispatcher for a run: one shared Agent with keep-alive off, because each host gets one request
// and idle sockets to thousands of origins would only cost file descriptors on both sides.
import type { Agent as AgentType } from 'undici';
import { Agent, buildConnector } from './undici-parts.js';
import { systemResolver, type Resolver } from './resolver.js';

export interface DispatcherOptions {
  connectTimeoutMs: number;
  insecure: boolean;
  resolver?: Resolver;
}

export function createDispatcher(options: DispatcherOptions): AgentType {
  // One connector for the run: given options instead, undici builds a connector (and a TLS session
  // cache) for every origin, i.e. for every host.
  const connect = buildConnector({
    timeout: options.connectTimeoutMs,
    lookup: options.resolver ?? systemResolver,
    rejectUnauthorized: !options.insecure,
  });
  return new Agent({ connections: 1, pipelining: 0, connect });
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
