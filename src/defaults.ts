// Every default of fanout, once: the flags show and apply them, a job payload that leaves a field out gets
// it, and the worker starts with them. Plain values only (no imports), so any layer may read them.

/** The request a `fanout pull` makes when no flag says otherwise. */
export const REQUEST_DEFAULTS = {
  method: { pull: 'GET', push: 'POST' },
  url: 'http://{host}/',
  timeoutMs: 10_000,
  connectTimeoutMs: 5_000,
  expect: '2xx',
  retries: 0,
  retryDelayMs: 200,
  retryMaxDelayMs: 10_000,
  maxBodyBytes: 1024 * 1024,
  /** Requests in flight at most (local mode; the limit each job carries in gearman mode). */
  concurrency: 100,
} as const;

/** --max-failures. */
export const SAFETY_DEFAULTS = {
  /** A --max-failures percentage is judged only once this many hosts have finished. */
  minSample: 20,
} as const;

/** Gearman mode, client side. */
export const GEARMAN_DEFAULTS = {
  functionName: 'fanout.http',
  batchSize: 250,
  localWorkers: 0,
  /** How long unfinished hosts wait for a healthy job server before they are job_lost. */
  serverTimeoutMs: 10_000,
  /** No record for this long ends the run (never less than a job of hung hosts needs). */
  stallTimeoutMs: 60_000,
  /** Jobs submitted and not finished at most: enough to keep many workers busy, never the whole run at once. */
  maxOutstandingJobs: 16,
} as const;

/** `fanout worker`. */
export const WORKER_DEFAULTS = {
  /** Requests in flight at most, across all jobs of one worker process. */
  concurrency: 100,
  /** Jobs held at once at most. */
  maxJobs: 16,
  processes: 1,
  /** A signed job older than this is refused (--max-job-age). */
  maxJobAgeMs: 5 * 60_000,
} as const;
