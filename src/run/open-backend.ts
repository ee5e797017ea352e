// The one place that picks how a run's requests are made. Gearman mode's code (the client, the job book,
// embedded workers) is imported only when --gearman is given, so a local pull never loads or compiles it; the
// local backend (and undici with it) only when a run sends requests, so --dry-run starts without either.
import { availableParallelism } from 'node:os';
import type { BackoffOptions } from '../gearman/server-pool.js';
import type { Resolver } from '../http/resolver.js';
import type { Backend } from './backend.js';
import type { RunConfig } from './run-config.js';
import { threadCount } from './threads/thread-count.js';

export interface BackendDeps {
  resolver?: Resolver | undefined;
  /** Tells a person what is going on (stderr); never data. */
  log: (line: string) => void;
  /** Reconnect back-off to job servers (tests shorten it). */
  gearmanBackoff?: Partial<BackoffOptions> | undefined;
}

/** `hosts`: how many the plan holds, which bounds how many threads can be kept busy. */
export async function openBackend(config: RunConfig, hosts: number, deps: BackendDeps): Promise<Backend> {
  if (config.gearman === null) {
    const threads = threadCount(config.threads, availableParallelism(), hosts, config.concurrency);
    // Tests that inject a resolver run in one thread: a function cannot cross into another.
    if (threads > 1 && deps.resolver === undefined) {
      const { createThreadedBackend } = await import('./threads/threaded-backend.js');
      return createThreadedBackend({ threads, tls: config.tls });
    }
    const { createLocalBackend } = await import('./local-backend.js');
    return createLocalBackend({ resolver: deps.resolver, tls: config.tls });
  }
  const { createGearmanBackend } = await import('./gearman/gearman-backend.js');
  return createGearmanBackend({
    ...config.gearman,
    runId: config.runId,
    embeddedWorkerConcurrency: config.concurrency,
    log: deps.log,
    backoff: deps.gearmanBackoff,
  });
}
