// The entry of an executor thread (--threads N): the batch executor of local mode over the targets the main
// thread hands over, its records sent back in batches. Nothing here decides what a record says.
import { parentPort, workerData } from 'node:worker_threads';
import { createDispatcher } from '../../http/dispatcher.js';
import type { Target } from '../../hosts/target.js';
import { executeBatch } from '../../jobs/execute-batch.js';
import type { HostResult } from '../../record/host-result.js';
import { AsyncQueue } from '../async-queue.js';
import type { FromThread, ThreadInit, ToThread } from './thread-messages.js';

/** Records sent in one message at most: fewer, larger messages cost less than one per completion. */
const RECORDS_PER_MESSAGE = 512;

const port = parentPort;
if (port === null) throw new Error('executor-thread.js runs as a worker thread only');
const { spec, concurrency, stackTraceLimit, tls } = workerData as ThreadInit;
Error.stackTraceLimit = stackTraceLimit;

const targets = new AsyncQueue<Target>();
const stop = new AbortController();
const drain = new AbortController();
port.on('message', (message: ToThread) => {
  if (message.type === 'targets') targets.push(...message.targets);
  else if (message.type === 'end') targets.end();
  else if (message.type === 'drain') drain.abort();
  else stop.abort();
});

const send = (message: FromThread): void => port.postMessage(message);
let pending: HostResult[] = [];
let flushing: NodeJS.Immediate | null = null;
const flush = (): void => {
  flushing = null;
  if (pending.length === 0) return;
  send({ type: 'records', records: pending });
  pending = [];
};

const dispatcher = createDispatcher({ connectTimeoutMs: spec.connectTimeoutMs, insecure: spec.insecure, tls });
try {
  for await (const records of executeBatch(spec, targets, { concurrency, dispatcher, signal: stop.signal, drain: drain.signal })) {
    for (const record of records) pending.push(record);
    // Completions of one event-loop turn travel together; a full message goes at once.
    if (pending.length >= RECORDS_PER_MESSAGE) flush();
    else flushing ??= setImmediate(flush);
  }
  if (flushing !== null) clearImmediate(flushing);
  flush();
  send({ type: 'done' });
} finally {
  await dispatcher.destroy();
  port.close();
}
