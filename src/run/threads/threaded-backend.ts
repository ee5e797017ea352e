// Local mode on several cores (--threads N > 1): the same batch executor in N worker threads, each with its
// own share of --concurrency and its own sockets. This thread plans the hosts, hands them out in chunks as the
// threads make room, and merges their records into the one stream the runner consumes; sinks, summary and
// progress stay here.
//
// Guarantees, as in one thread: every target gets exactly one record (a thread that dies leaves worker_error
// records for the hosts it held); a stop (or a drain: --max-failures) reaches every thread at once, and targets
// handed over afterwards end not_attempted there; at most ~2 × concurrency targets wait in the threads, so
// 100,000 hosts never sit in memory.
// Credit for new targets returns when the runner has taken a thread's records, so a slow sink slows the threads.
import { Worker } from 'node:worker_threads';
import type { TargetPlan } from '../../hosts/host-source.js';
import type { Target } from '../../hosts/target.js';
import { prepareSpec } from '../../jobs/prepared-spec.js';
import type { TlsMaterial } from '../../http/tls-material.js';
import type { RequestSpec } from '../../jobs/request-spec.js';
import { resultWithoutResponse } from '../../jobs/to-host-result.js';
import type { HostResult } from '../../record/host-result.js';
import { AsyncQueue } from '../async-queue.js';
import type { Backend, BackendEvent, BackendRunOptions } from '../backend.js';
import type { FromThread, ThreadInit, ToThread } from './thread-messages.js';
import { shareConcurrency } from './thread-count.js';

/** Targets per message at most. */
const CHUNK = 256;

interface Lane {
  readonly worker: Worker;
  /** Targets it may still be sent. */
  credit: number;
  /** Handed over, no record yet: by host (hosts of a plan are unique). */
  readonly held: Map<string, Target>;
  done: boolean;
}

type LaneEvent = { lane: Lane; records: HostResult[] } | { lane: null; failure: Error };

export interface ThreadedBackendOptions {
  threads: number;
  tls: TlsMaterial;
  /** The script each thread runs; default executor-thread.js beside this file (tests wrap it to make one die). */
  threadScript?: URL | undefined;
}

const EXECUTOR_THREAD = new URL('./executor-thread.js', import.meta.url);

export function createThreadedBackend(options: ThreadedBackendOptions): Backend {
  const workers = new Set<Worker>();
  return {
    run: (spec, plan, runOptions) => runThreaded(spec, plan, runOptions, options, workers),
    async close() {
      await Promise.all([...workers].map((worker) => worker.terminate()));
      workers.clear();
    },
  };
}

async function* runThreaded(
  spec: RequestSpec,
  plan: TargetPlan,
  { concurrency, signal, drain }: BackendRunOptions,
  { threads, tls, threadScript = EXECUTOR_THREAD }: ThreadedBackendOptions,
  workers: Set<Worker>,
): AsyncGenerator<BackendEvent> {
  const prepared = prepareSpec(spec);
  const events = new AsyncQueue<LaneEvent>();
  const input = plan.targets();
  let inputDone = false;
  let pumping = false;

  const lostRecords = (lane: Lane, why: string): HostResult[] =>
    [...lane.held.values()].map((target) =>
      resultWithoutResponse(
        { host: target.host, url: prepared.urlOrHost(target).url, method: spec.method, attempts: 0, durationMs: 0 },
        'worker_error',
        `the executor thread failed before this host's record (${why})`,
      ),
    );

  const lanes: Lane[] = shareConcurrency(concurrency, threads).map((share) => {
    const init: ThreadInit = { spec, concurrency: share, stackTraceLimit: Error.stackTraceLimit, tls };
    const worker = new Worker(threadScript, { workerData: init });
    workers.add(worker);
    const lane: Lane = { worker, credit: share * 2, held: new Map(), done: false };
    worker.on('message', (message: FromThread) => {
      // A message that comes after the thread was given up on (its held hosts have their worker_error records).
      if (lane.done) return;
      if (message.type === 'done') {
        finishLane(lane);
        return;
      }
      for (const record of message.records) lane.held.delete(record.host);
      events.push({ lane, records: message.records });
    });
    // An executor thread does not throw for a host; if one dies anyway, its hosts still get a record.
    worker.on('error', (error) => {
      if (lane.done) return;
      events.push({ lane, records: lostRecords(lane, error.message) });
      lane.held.clear();
      finishLane(lane);
    });
    worker.on('exit', () => {
      workers.delete(worker);
      if (!lane.done) {
        events.push({ lane, records: lostRecords(lane, 'it exited') });
        lane.held.clear();
        finishLane(lane);
      }
    });
    return lane;
  });

  const post = (lane: Lane, message: ToThread): void => {
    if (!lane.done) lane.worker.postMessage(message);
  };
  function finishLane(lane: Lane): void {
    lane.done = true;
    if (lanes.every((l) => l.done)) events.end();
    else void pump(); // its share of the remaining targets goes to the others
  }
  const onAbort = (): void => lanes.forEach((lane) => post(lane, { type: 'abort' }));
  signal.addEventListener('abort', onAbort, { once: true });
  if (signal.aborted) onAbort();
  const onDrain = (): void => lanes.forEach((lane) => post(lane, { type: 'drain' }));
  drain?.addEventListener('abort', onDrain, { once: true });
  if (drain?.aborted === true) onDrain();

  /** Hands out targets while some thread has room; the one place that reads the plan. */
  async function pump(): Promise<void> {
    if (pumping) return;
    pumping = true;
    try {
      for (let lane = roomiest(lanes); lane !== null && !inputDone; lane = roomiest(lanes)) {
        const chunk: Target[] = [];
        while (chunk.length < Math.min(lane.credit, CHUNK)) {
          const next = await input.next();
          if (next.done === true) {
            inputDone = true;
            break;
          }
          chunk.push(next.value);
        }
        if (lane.done) {
          // It died while the chunk was read: the chunk goes to whoever has room, or is lost with it.
          const other = roomiest(lanes);
          if (other === null) events.push({ lane, records: lostOf(lane, chunk) });
          else give(other, chunk);
        } else give(lane, chunk);
      }
      if (inputDone) lanes.forEach((lane) => post(lane, { type: 'end' }));
      else if (lanes.every((lane) => lane.done)) await drainUnplaced();
    } catch (error) {
      events.push({ lane: null, failure: error instanceof Error ? error : new Error(String(error)) });
      inputDone = true;
      lanes.forEach((lane) => post(lane, { type: 'end' }));
    } finally {
      pumping = false;
    }
  }
  function give(lane: Lane, chunk: Target[]): void {
    if (chunk.length === 0) return;
    lane.credit -= chunk.length;
    for (const target of chunk) lane.held.set(target.host, target);
    post(lane, { type: 'targets', targets: chunk });
  }
  function lostOf(lane: Lane, chunk: Target[]): HostResult[] {
    for (const target of chunk) lane.held.set(target.host, target);
    const records = lostRecords(lane, 'every executor thread is gone');
    lane.held.clear();
    return records;
  }
  /** Every thread is gone: the hosts never handed out still need their records. */
  async function drainUnplaced(): Promise<void> {
    const lane = lanes[0];
    if (lane === undefined) return;
    for (let next = await input.next(); next.done !== true; next = await input.next()) {
      events.push({ lane, records: lostOf(lane, [next.value]) });
    }
    inputDone = true;
  }

  void pump();
  let failure: Error | null = null;
  try {
    for await (const event of events) {
      if (event.lane === null) {
        failure = event.failure;
        continue;
      }
      yield { type: 'records', records: event.records };
      // Taken by the runner: the thread may have as many new targets.
      event.lane.credit += event.records.length;
      void pump();
    }
    if (failure !== null) throw failure;
  } finally {
    signal.removeEventListener('abort', onAbort);
    drain?.removeEventListener('abort', onDrain);
    await Promise.all(lanes.map((lane) => lane.worker.terminate()));
    await input.return(undefined);
  }
}

/** The live thread with the most room, or null when none has any. */
function roomiest(lanes: readonly Lane[]): Lane | null {
  let best: Lane | null = null;
  for (const lane of lanes) if (!lane.done && lane.credit > 0 && (best === null || lane.credit > best.credit)) best = lane;
  return best;
}
