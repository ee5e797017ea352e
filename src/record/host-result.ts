// The result record: the contract users script against (README "The record", schema/host-result.schema.json).
// Owns the record's shape and outcome codes; knows nothing about how a record was produced.

export const RESULT_CODES = [
  'ok',
  'http_status',
  'timeout',
  'connect_timeout',
  'refused',
  'reset',
  'dns',
  'tls',
  'body_too_large',
  'invalid_target',
  'aborted',
  'not_attempted',
  'job_lost',
  'worker_error',
  'denied',
] as const;

export type ResultCode = (typeof RESULT_CODES)[number];

export interface HostResult {
  /** The host as the user gave it, after range expansion. */
  host: string;
  /** The URL actually requested (or that would have been). */
  url: string;
  method: string;
  ok: boolean;
  code: ResultCode;
  status: number | null;
  error: string | null;
  attempts: number;
  durationMs: number;
  bytes: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** With --follow: redirects followed before the final answer. */
  redirects?: number;
  worker?: string;
}

const CODES: ReadonlySet<string> = new Set(RESULT_CODES);

/** True for a value with the fields every consumer of records relies on: a string host, a boolean ok, a known code. */
export function isHostResult(value: unknown): value is HostResult {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.host === 'string' && typeof r.ok === 'boolean' && typeof r.code === 'string' && CODES.has(r.code);
}
