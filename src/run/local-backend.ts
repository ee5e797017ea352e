// Local mode: the batch executor runs in this process over the whole target stream as one rolling window
// (a hung host costs one slot, not a whole batch), through one undici Agent for the run.
import { createDispatcher } from '../http/dispatcher.js';
import type { Resolver } from '../http/resolver.js';
import type { TlsMaterial } from '../http/tls-material.js';
import { executeBatch } from '../jobs/execute-batch.js';
import type { Backend, BackendEvent } from './backend.js';

export interface LocalBackendOptions {
  resolver?: Resolver | undefined;
  tls?: TlsMaterial | undefined;
}

export function createLocalBackend(options: LocalBackendOptions = {}): Backend {
  const closers: Array<() => Promise<void>> = [];
  const hostsInFlight = new Set<string>();
  return {
    hostsInFlight: () => [...hostsInFlight],
    async *run(spec, plan, { concurrency, signal, drain }): AsyncGenerator<BackendEvent> {
      const dispatcher = createDispatcher({
        connectTimeoutMs: spec.connectTimeoutMs,
        insecure: spec.insecure,
        ...(options.resolver ? { resolver: options.resolver } : {}),
        ...(options.tls ? { tls: options.tls } : {}),
      });
      closers.push(() => dispatcher.destroy());
      for await (const records of executeBatch(spec, plan.targets(), { concurrency, dispatcher, signal, drain, hostsInFlight })) {
        yield { type: 'records', records };
      }
    },
    async close() {
      await Promise.all(closers.splice(0).map((close) => close()));
    },
  };
}
