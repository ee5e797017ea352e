// Everything one pull/push run needs, as plain data: built from flags by src/cli, consumed by the runner.
import type { ServerAddress } from '../gearman/server-address.js';
import type { HostSource } from '../hosts/host-source.js';
import type { TlsMaterial } from '../http/tls-material.js';
import type { JobSecret } from '../jobs/job-envelope.js';
import type { RequestSpec } from '../jobs/request-spec.js';
import type { FailureThreshold } from './failure-threshold.js';

export type OutputFormat = 'auto' | 'ndjson' | 'text';

export interface GearmanRunOptions {
  servers: ServerAddress[];
  functionName: string;
  batchSize: number;
  localWorkers: number;
  /** How long unfinished hosts wait for a healthy server before they are job_lost. */
  serverTimeoutMs: number;
  /** A run with no record for this long ends: its unfinished hosts are job_lost. */
  stallTimeoutMs: number;
  /** --secret (and --encrypt): every job is signed, or encrypted, with it; absent or null: jobs go as they are. */
  jobSecret?: JobSecret | null | undefined;
}

export interface RunConfig {
  sources: HostSource[];
  spec: RequestSpec;
  /** Requests in flight at most (local mode); see the README for gearman mode. */
  concurrency: number;
  /** Executor threads in local mode (--threads); undefined: chosen from the cores and the host count. */
  threads: number | undefined;
  runId: string;
  /** NDJSON to this file instead of stdout. */
  outputFile: string | null;
  format: OutputFormat;
  summaryFile: string | null;
  quiet: boolean;
  /** undefined: decide from the terminal. */
  progress: boolean | undefined;
  dryRun: boolean;
  gearman: GearmanRunOptions | null;
  /** --resume FILE: skip the hosts FILE has an ok record for, append the others' records to it (then outputFile is null). */
  resumeFile: string | null;
  /** --max-failures: past it, no new host starts. */
  maxFailures: FailureThreshold | null;
  /** --ca, --cert/--key as PEM text (local mode only: in gearman mode they are the workers' flags); never in the spec. */
  tls: TlsMaterial;
}
