// The request spec: everything a worker needs to make one batch's requests, as plain JSON so it can
// travel inside a Gearman job payload unchanged. Built once per run from the flags.
import { REQUEST_DEFAULTS } from '../defaults.js';

export interface RequestSpec {
  method: string;
  /** URL template with {host}, {hostname}, {port}, {index}; entries that are full URLs are used as is. */
  url: string;
  headers: Array<[string, string]>;
  /** Request body, base64 (JSON-safe for any bytes), or null. */
  bodyBase64: string | null;
  /** Whole request, connect to last body byte. */
  timeoutMs: number;
  connectTimeoutMs: number;
  /** Status list as given to --expect (`200,204,3xx`). */
  expect: string;
  /** Extra attempts after a retryable failure (http/retry-policy.ts decides which are). */
  retries: number;
  /** First back-off before a retry; doubles each attempt, with full jitter. */
  retryDelayMs: number;
  /** No back-off (nor Retry-After) waits longer than this. */
  retryMaxDelayMs: number;
  /** Retry "maybe processed" failures even for a non-idempotent request without an Idempotency-Key. */
  retryUnsafe: boolean;
  /** Every attempt and back-off of one host together; null: derived (hostDeadlineMs). */
  deadlineMs: number | null;
  /** Redirects followed at most (0: a 3xx is the answer). */
  followRedirects: number;
  /** Follow a redirect to another host than the one requested. */
  followAnyHost: boolean;
  /** More header names (lower case) whose values never appear in a record, besides http/secret-headers.ts's. */
  secretHeaders: string[];
  /** When set, each request carries `Idempotency-Key: <prefix>-<host>`. */
  idempotencyKeyPrefix: string | null;
  /** Keep the response body in the record (--body), up to maxBodyBytes. */
  captureBody: boolean;
  maxBodyBytes: number;
  includeHeaders: boolean;
  insecure: boolean;
}

/** A `fanout pull` with no flags; also what a hand-written job payload gets for every field it leaves out. */
export const DEFAULT_SPEC: RequestSpec = {
  method: REQUEST_DEFAULTS.method.pull,
  url: REQUEST_DEFAULTS.url,
  headers: [],
  bodyBase64: null,
  timeoutMs: REQUEST_DEFAULTS.timeoutMs,
  connectTimeoutMs: REQUEST_DEFAULTS.connectTimeoutMs,
  expect: REQUEST_DEFAULTS.expect,
  retries: REQUEST_DEFAULTS.retries,
  retryDelayMs: REQUEST_DEFAULTS.retryDelayMs,
  retryMaxDelayMs: REQUEST_DEFAULTS.retryMaxDelayMs,
  retryUnsafe: false,
  deadlineMs: null,
  followRedirects: 0,
  followAnyHost: false,
  secretHeaders: [],
  idempotencyKeyPrefix: null,
  captureBody: false,
  maxBodyBytes: REQUEST_DEFAULTS.maxBodyBytes,
  includeHeaders: false,
  insecure: false,
};

/** What a host's deadline is made of. */
export type DeadlineFields = Pick<RequestSpec, 'deadlineMs' | 'timeoutMs' | 'retries' | 'retryMaxDelayMs'>;

/** The deadline of one host: given, or the timeout of every attempt plus the longest back-off before each retry. */
export function hostDeadlineMs(spec: DeadlineFields): number {
  return spec.deadlineMs ?? spec.timeoutMs * (spec.retries + 1) + spec.retryMaxDelayMs * spec.retries;
}
