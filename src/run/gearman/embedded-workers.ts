// --local-workers N: fanout workers inside the client process, attached to the same job servers, so
// one command does the whole gearman run on one machine. Stopped gracefully when the run ends.
import { FanoutWorker } from '../../worker/fanout-worker.js';
import type { ServerAddress } from '../../gearman/server-address.js';
import type { Companion } from './gearman-backend.js';

export function localWorkerStarter(functionName: string, concurrency: number) {
  return async (servers: ServerAddress[], count: number): Promise<Companion> => {
    const workers = Array.from(
      { length: count },
      (_, i) => new FanoutWorker({ servers, functionName, concurrency, id: `local-${process.pid}-${i + 1}` }),
    );
    for (const worker of workers) worker.start();
    return { stop: async () => void (await Promise.all(workers.map((w) => w.stop()))) };
  };
}
