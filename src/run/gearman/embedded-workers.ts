// --local-workers N: fanout workers embedded in the client process, attached to the same job servers, so one
// command does the whole gearman run on one machine. Stopped gracefully when the run ends.
import type { ServerAddress } from '../../gearman/server-address.js';
import type { JobSecret } from '../../jobs/job-envelope.js';
import { FanoutWorker } from '../../worker/fanout-worker.js';

export interface EmbeddedWorkers {
  /** Resolves once every worker has delivered its jobs in hand and closed. */
  stop(): Promise<void>;
}

export function startEmbeddedWorkers(
  servers: readonly ServerAddress[],
  count: number,
  functionName: string,
  concurrency: number,
  /** The run's secret: they open its signed or encrypted jobs (and refuse others, like any worker with a secret). */
  jobSecret?: JobSecret | null,
): EmbeddedWorkers {
  const secret = jobSecret ? { secret: jobSecret.secret } : {};
  const workers = Array.from(
    { length: count },
    (_, i) => new FanoutWorker({ servers, functionName, concurrency, id: `local-${process.pid}-${i + 1}`, ...secret }),
  );
  for (const worker of workers) worker.start();
  return { stop: async () => void (await Promise.all(workers.map((w) => w.stop()))) };
}
