// One HTTP exchange over undici's dispatch API: a handler object per request, no promise, no response
// stream. The body is counted and dropped unless the caller keeps it; it is always consumed or aborted, so
// no connection leaks.
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { OutcomeError } from './classify-error.js';
import { RETRY_AFTER_STATUSES } from './retry-policy.js';
import { shownHeaderValue } from './secret-headers.js';

export interface ExchangeRequest {
  origin: string;
  path: string;
  method: string;
  /** Flat [name, value, name, value …] list, as undici takes it. */
  headers: string[];
  body: Buffer | null;
  /** Per-socket-read guards; the whole-request deadline is the caller's. */
  idleTimeoutMs: number;
  keepBody: boolean;
  maxBodyBytes: number;
  keepHeaders: boolean;
  /** Names (lower case) of the kept headers whose values are redacted: secretHeaderNames(spec.secretHeaders). */
  secretHeaders: ReadonlySet<string>;
}

export interface ExchangeOutcome {
  status: number | null;
  bytes: number;
  body: Buffer | null;
  contentType: string | null;
  headers: Record<string, string> | null;
  /** The Retry-After header of a 429 or 503 (http/retry-policy.ts honours it), else null. */
  retryAfter: string | null;
  /** The Location header of a 3xx answer (what follow-redirects.ts follows), else null. */
  location: string | null;
  error: unknown;
}

function flattenHeaders(headers: IncomingHttpHeaders, secret: ReadonlySet<string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    out[name] = shownHeaderValue(name, Array.isArray(value) ? value.join(', ') : value, secret);
  }
  return out;
}

class ExchangeHandler implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | null = null;
  #pendingAbort: Error | null = null;
  #settled = false;
  #status: number | null = null;
  #bytes = 0;
  #chunks: Buffer[] | null = null;
  #contentType: string | null = null;
  #headers: Record<string, string> | null = null;
  #retryAfter: string | null = null;
  #location: string | null = null;

  constructor(
    private readonly request: ExchangeRequest,
    private readonly done: (outcome: ExchangeOutcome) => void,
  ) {}

  /** Ends the exchange now with `reason` (deadline, interrupt); undici's later callbacks are ignored. */
  abort(reason: Error): void {
    if (this.#settled) return;
    if (this.#controller) this.#controller.abort(reason);
    else this.#pendingAbort = reason; // still connecting: abort as soon as undici hands us the controller
    this.#finish(reason);
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#pendingAbort) controller.abort(this.#pendingAbort);
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: IncomingHttpHeaders): void {
    if (status < 200) return; // 1xx: the real response follows
    this.#status = status;
    // Only the statuses whose Retry-After is honoured: any other answer costs no header lookup.
    if (RETRY_AFTER_STATUSES.has(status)) {
      const retryAfter = headers['retry-after'];
      this.#retryAfter = typeof retryAfter === 'string' ? retryAfter : null;
    }
    if (this.request.keepBody) {
      this.#chunks = [];
      const type = headers['content-type'];
      this.#contentType = typeof type === 'string' ? type : null;
    }
    if (this.request.keepHeaders) this.#headers = flattenHeaders(headers, this.request.secretHeaders);
    if (status >= 300 && status < 400 && typeof headers.location === 'string') this.#location = headers.location;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#bytes += chunk.length;
    if (this.#chunks === null) return;
    if (this.#bytes > this.request.maxBodyBytes) {
      const reason = new OutcomeError('body_too_large', `body larger than --max-body ${this.request.maxBodyBytes} bytes`);
      this.#chunks = null;
      controller.abort(reason);
      this.#finish(reason);
      return;
    }
    this.#chunks.push(chunk);
  }

  onResponseEnd(): void {
    this.#finish(null);
  }

  onResponseError(_c: Dispatcher.DispatchController, error: Error): void {
    this.#finish(error);
  }

  #finish(error: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    const chunks = this.#chunks;
    this.done({
      status: this.#status,
      bytes: this.#bytes,
      body: error === null && chunks ? Buffer.concat(chunks) : null,
      contentType: this.#contentType,
      headers: this.#headers,
      retryAfter: this.#retryAfter,
      location: this.#location,
      error,
    });
  }
}

export interface RunningExchange {
  abort(reason: Error): void;
}

/** Starts one exchange; `done` is called exactly once. */
export function startExchange(dispatcher: Dispatcher, request: ExchangeRequest, done: (outcome: ExchangeOutcome) => void): RunningExchange {
  const handler = new ExchangeHandler(request, done);
  dispatcher.dispatch(
    {
      origin: request.origin,
      path: request.path,
      method: request.method as Dispatcher.HttpMethod,
      headers: request.headers,
      body: request.body,
      headersTimeout: request.idleTimeoutMs,
      bodyTimeout: request.idleTimeoutMs,
      reset: true,
    },
    handler,
  );
  return handler;
}
