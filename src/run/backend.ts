// The contract shared by local mode and gearman mode: a request spec and the run's targets in, a stream of
// events out: the hosts' records as they complete, and what else the run must report. The runner knows
// nothing else of how the work gets done.
import type { TargetPlan } from '../hosts/host-source.js';
import type { RequestSpec } from '../jobs/request-spec.js';
import type { HostResult } from '../record/host-result.js';

export interface BackendRunOptions {
  concurrency: number;
  /** Ends the run now: requests in flight end `aborted`, hosts not started `not_attempted`. */
  signal: AbortSignal;
  /** Stops starting hosts (--max-failures): requests in flight finish normally, hosts not started end `not_attempted`. */
  drain?: AbortSignal | undefined;
}

export type BackendEvent =
  | { type: 'records'; records: HostResult[] }
  /** The run failed as a whole (no job server, no worker): exit 3 with this text. Every host still gets its record. */
  | { type: 'failure'; message: string }
  /** Worker output that was not used: lines that are not records, and repeats of a host that already has one. */
  | { type: 'dropped'; malformed: number; repeats: number };

export interface Backend {
  /** Yields exactly one record per target of the plan, in completion order, even when the run fails. */
  run(spec: RequestSpec, plan: TargetPlan, options: BackendRunOptions): AsyncIterable<BackendEvent>;
  /** The hosts started and not yet recorded, where the backend can tell (local mode in one thread). */
  hostsInFlight?(): readonly string[];
  close(): Promise<void>;
}
