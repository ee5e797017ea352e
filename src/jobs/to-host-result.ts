// Builds the record of one host from what happened to it. Pure.
import type { HostResult, ResultCode } from '../record/host-result.js';
import { classifyError } from '../http/classify-error.js';
import type { FollowedOutcome } from '../http/follow-redirects.js';
import type { StatusPredicate } from '../http/expect-status.js';

export interface HostContext {
  host: string;
  url: string;
  method: string;
  attempts: number;
  durationMs: number;
  worker?: string | undefined;
}

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

function decodeBody(body: Buffer, contentType: string | null): unknown {
  const text = body.toString('utf8');
  if (contentType !== null && /[/+]json\b/i.test(contentType)) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text; // a server that says JSON and sends something else: keep what it sent
    }
  }
  return text;
}

export function resultFromOutcome(ctx: HostContext, outcome: FollowedOutcome, isExpected: StatusPredicate): HostResult {
  let result: HostResult;
  if (outcome.error !== null) {
    const { code, message } = classifyError(outcome.error);
    result = record(ctx, false, code, outcome.status, message, outcome.bytes);
  } else {
    const status = outcome.status ?? 0;
    const ok = isExpected(status);
    result = record(ctx, ok, ok ? 'ok' : 'http_status', status, ok ? null : `unexpected status ${status}`, outcome.bytes);
    if (outcome.body !== null) result.body = decodeBody(outcome.body, outcome.contentType);
  }
  if (outcome.headers !== null) result.headers = outcome.headers;
  if (outcome.redirects !== undefined) result.redirects = outcome.redirects;
  if (ctx.worker !== undefined) result.worker = ctx.worker;
  return result;
}

/** The record's fields in the order of the README's record (schema/host-result.schema.json), so NDJSON lines read the same everywhere. */
function record(ctx: HostContext, ok: boolean, code: ResultCode, status: number | null, error: string | null, bytes: number): HostResult {
  return {
    host: ctx.host,
    url: ctx.url,
    method: ctx.method,
    ok,
    code,
    status,
    error,
    attempts: ctx.attempts,
    durationMs: round(ctx.durationMs),
    bytes,
  };
}

/** A record for a host that got no response for a reason of ours (never started, bad entry, lost job). */
export function resultWithoutResponse(ctx: HostContext, code: ResultCode, error: string): HostResult {
  const result = record(ctx, false, code, null, error, 0);
  if (ctx.worker !== undefined) result.worker = ctx.worker;
  return result;
}
