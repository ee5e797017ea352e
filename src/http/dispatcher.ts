// The undici dispatcher for a run: one shared Agent with keep-alive off, because each host gets one request
// and idle sockets to thousands of origins would only cost file descriptors on both sides.
import type { buildConnector, Dispatcher } from 'undici';
import { Agent, buildConnector as buildUndiciConnector } from './undici-parts.js';
import { systemResolver, type Resolver } from './resolver.js';
import { TlsAlertKeeper } from './tls-alerts.js';
import { NO_TLS_MATERIAL, secureContextOf, type TlsMaterial } from './tls-material.js';

/**
 * A response's header block at most (beyond: `reset`, "response headers too large"), the same on every machine rather
 * than Node's default (16 KiB, which --max-http-header-size changes), with room for real servers' big cookies and CSPs.
 */
export const RESPONSE_HEADERS_MAX_BYTES = 64 * 1024;

export interface DispatcherOptions {
  connectTimeoutMs: number;
  insecure: boolean;
  resolver?: Resolver;
  /** --ca, --cert/--key (checked by checkTlsMaterial); default: the bundled roots, no client certificate. */
  tls?: TlsMaterial;
  /** Why no connection may be opened to this host and port (a worker's --allow rules), or null. */
  refuseConnection?: ((hostname: string, port: number) => Error | null) | undefined;
}

const DEFAULT_PORTS: Readonly<Record<string, number>> = { 'http:': 80, 'https:': 443 };

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const base = {
    timeout: options.connectTimeoutMs,
    lookup: options.resolver ?? systemResolver,
    rejectUnauthorized: !options.insecure,
  };
  // One connector for the run: given options instead, undici builds a connector (and a TLS session
  // cache) for every origin, i.e. for every host.
  const plain = buildUndiciConnector(base);
  // And one TLS context (with --ca's CAs and --cert's certificate when given): without it tls.connect builds a new
  // one (an OpenSSL context with the trusted roots) for every connection, a third of an HTTPS host's CPU. Made at
  // the first https:// origin, because loading Node's root certificates costs ~50 ms that a plain-HTTP run need not pay.
  let secure: buildConnector.connector | null = null;
  const alerts = new TlsAlertKeeper();
  const connect: buildConnector.connector = (connectOptions, callback) => {
    const port = connectOptions.port === '' ? (DEFAULT_PORTS[connectOptions.protocol] ?? 0) : Number(connectOptions.port);
    const refusal = options.refuseConnection?.(connectOptions.hostname, port) ?? null;
    if (refusal !== null) return callback(refusal, null);
    if (connectOptions.protocol !== 'https:') return plain(connectOptions, callback);
    secure ??= buildUndiciConnector({ ...base, secureContext: secureContextOf(options.tls ?? NO_TLS_MATERIAL) });
    return secure(connectOptions, alerts.watch(callback));
  };
  return new Agent({ connections: 1, pipelining: 0, connect, maxHeaderSize: RESPONSE_HEADERS_MAX_BYTES }).compose(alerts.interceptor);
}

/** Agents by connect options, for a worker whose jobs may ask for different connect timeouts; all with the worker's TLS material. */
export class DispatcherPool {
  readonly #agents = new Map<string, Dispatcher>();

  constructor(
    private readonly resolver?: Resolver,
    private readonly tls: TlsMaterial = NO_TLS_MATERIAL,
    private readonly refuseConnection?: DispatcherOptions['refuseConnection'],
  ) {}

  get(connectTimeoutMs: number, insecure: boolean): Dispatcher {
    const key = `${connectTimeoutMs}:${insecure}`;
    let agent = this.#agents.get(key);
    if (!agent) {
      agent = createDispatcher({
        connectTimeoutMs,
        insecure,
        tls: this.tls,
        refuseConnection: this.refuseConnection,
        ...(this.resolver ? { resolver: this.resolver } : {}),
      });
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
