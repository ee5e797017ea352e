// What the main thread and an executor thread say to each other (structured-cloned over the worker's port).
// The main thread owns the plan, the sinks and the summary; a thread owns its sockets and runs the batch
// executor over the targets it is handed.
import type { Target } from '../../hosts/target.js';
import type { TlsMaterial } from '../../http/tls-material.js';
import type { RequestSpec } from '../../jobs/request-spec.js';
import type { HostResult } from '../../record/host-result.js';

export interface ThreadInit {
  spec: RequestSpec;
  /** This thread's share of --concurrency. */
  concurrency: number;
  /** Error.stackTraceLimit of the main thread (0 unless FANOUT_DEBUG): each thread has its own. */
  stackTraceLimit: number;
  /** The run's --ca, --cert/--key as PEM text: a TLS context cannot cross threads, its material can. */
  tls: TlsMaterial;
}

export type ToThread =
  | { type: 'targets'; targets: Target[] }
  /** No more targets will come. */
  | { type: 'end' }
  /** The run stops: requests in flight end `aborted`, targets not started (and any still to come) `not_attempted`. */
  | { type: 'abort' }
  /** The run stops starting hosts (--max-failures): requests in flight finish, targets not started (and any still to come) `not_attempted`. */
  | { type: 'drain' };

export type FromThread =
  | { type: 'records'; records: HostResult[] }
  /** Every target handed over has its record, and `end` came. */
  | { type: 'done' };
