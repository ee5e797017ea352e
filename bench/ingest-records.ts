// The records of the ingestion bench (bench/ingest.ts), made the same way by the fake job server that sends them
// and by the bench that times the baselines over them: deterministic, of the shape a fanout worker sends (a
// HostResult per host, its fields in the worker's order, `worker` set, about 1 in 25 a failure), cut into WORK_DATA
// bodies by the worker's own encodeRecordLines, a few records per packet as a busy worker's chunks are.
import type { Target } from '../src/hosts/target.js';
import { encodeRecordLines } from '../src/jobs/wire-results.js';
import type { HostResult } from '../src/record/host-result.js';

const WORKER_ID = 'bench-worker-01/48213';
const PORT = 8080;

/** Host i as "127.B.x.y:8080": loopback addresses, though no request is ever made to them. */
export function benchHost(index: number): string {
  const perBlock = 256 * 254;
  const inBlock = index % perBlock;
  return `127.${10 + Math.floor(index / perBlock)}.${Math.floor(inBlock / 254)}.${(inBlock % 254) + 1}:${PORT}`;
}

type Outcome = Pick<HostResult, 'ok' | 'code' | 'status' | 'error' | 'durationMs' | 'bytes'>;

function outcomeOf({ host, index }: Target): Outcome {
  if (index % 50 === 7) return { ok: false, code: 'http_status', status: 500, error: 'unexpected status 500', durationMs: 50.3, bytes: 41 };
  if (index % 50 === 23)
    return { ok: false, code: 'refused', status: null, error: `connect ECONNREFUSED ${host}`, durationMs: 0.4, bytes: 0 };
  return { ok: true, code: 'ok', status: 200, error: null, durationMs: 50 + (index % 97) / 10, bytes: 256 };
}

export function recordFor(target: Target): HostResult {
  const { ok, code, status, error, durationMs, bytes } = outcomeOf(target);
  const { host } = target;
  return { host, url: `http://${host}/`, method: 'GET', ok, code, status, error, attempts: 1, durationMs, bytes, worker: WORKER_ID };
}

/** A job's records as a busy worker yields them: `perPacket` at a time, each chunk its own WORK_DATA. */
export function chunksOf(targets: readonly Target[], perPacket: number): HostResult[][] {
  const chunks: HostResult[][] = [];
  for (let i = 0; i < targets.length; i += perPacket) chunks.push(targets.slice(i, i + perPacket).map(recordFor));
  return chunks;
}

/** The WORK_DATA bodies a worker sends for a job of these targets (job-handler.ts: encodeRecordLines per chunk). */
export function workDataBodies(targets: readonly Target[], perPacket: number): string[] {
  return chunksOf(targets, perPacket).flatMap((chunk) => encodeRecordLines(chunk));
}
