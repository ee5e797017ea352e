// The contract shared by local mode and gearman mode: a request spec and the run's targets in, the
// hosts' records out as they complete. The runner knows nothing else of how the work gets done.
import type { TargetPlan } from '../hosts/host-source.js';
import type { RequestSpec } from '../jobs/request-spec.js';
import type { HostResult } from '../record/host-result.js';

export interface BackendRunOptions {
  concurrency: number;
  signal: AbortSignal;
}

export interface Backend {
  /** Yields exactly one record per target of the plan, in completion order, even when the run fails. */
  run(spec: RequestSpec, plan: TargetPlan, options: BackendRunOptions): AsyncIterable<HostResult[]>;
  /** Set once the run has ended if it failed as a whole (no job server, no workers): exit 3 with this text. */
  readonly runFailure: string | null;
  close(): Promise<void>;
}
