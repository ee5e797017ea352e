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
  /** Extra attempts for failures where the request never left (refused, connect timeout, DNS). */
  retries: number;
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
  idempotencyKeyPrefix: null,
  captureBody: false,
  maxBodyBytes: REQUEST_DEFAULTS.maxBodyBytes,
  includeHeaders: false,
  insecure: false,
};
