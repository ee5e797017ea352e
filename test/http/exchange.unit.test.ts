// The exchange's record of response headers (--include-headers): a secret never reaches a record.
import type { Dispatcher } from 'undici';
import type { IncomingHttpHeaders } from 'node:http';
import { describe, expect, it } from 'vitest';
import { startExchange, type ExchangeOutcome } from '../../src/http/exchange.js';
import { secretHeaderNames } from '../../src/http/secret-headers.js';

const controller = { aborted: false, paused: false, reason: null, abort: () => undefined, pause: () => undefined, resume: () => undefined };

/** The headers an exchange keeps of a 200 answer with `headers`, when the spec's own secret headers are `extra`. */
function keptHeaders(headers: IncomingHttpHeaders, extra: string[] = []): ExchangeOutcome {
  let handler: Dispatcher.DispatchHandler | null = null;
  const dispatcher = { dispatch: (_options: unknown, h: Dispatcher.DispatchHandler) => ((handler = h), true) } as unknown as Dispatcher;
  let outcome: ExchangeOutcome | null = null;
  const request = { origin: 'http://127.0.0.1:1', path: '/', method: 'GET', headers: [], body: null, idleTimeoutMs: 1000 };
  const keep = { keepBody: false, maxBodyBytes: 0, keepHeaders: true, secretHeaders: secretHeaderNames(extra) };
  startExchange(dispatcher, { ...request, ...keep }, (o) => (outcome = o));
  const h = handler as unknown as Required<Dispatcher.DispatchHandler>;
  h.onRequestStart(controller, {});
  h.onResponseStart(controller, 200, headers, 'OK');
  h.onResponseEnd(controller, {});
  return outcome!;
}

describe('startExchange with keepHeaders', () => {
  it('keeps the response headers, secrets redacted whatever their case', () => {
    const outcome = keptHeaders({ 'set-cookie': ['sid=s3cret', 'b=2'], authorization: 'Bearer t0ken', 'x-served-by': 'web01' });
    expect(outcome.headers).toEqual({ 'set-cookie': '[redacted]', authorization: '[redacted]', 'x-served-by': 'web01' });
    expect(JSON.stringify(outcome)).not.toMatch(/s3cret|t0ken/);
  });

  it("redacts the spec's own secret headers too (--secret-header), whatever the case they were given in", () => {
    const outcome = keptHeaders({ 'x-api-key': 'k3y', 'x-echo-token': 't0k', 'x-served-by': 'web01' }, ['X-Api-Key', 'x-echo-token']);
    expect(outcome.headers).toEqual({ 'x-api-key': '[redacted]', 'x-echo-token': '[redacted]', 'x-served-by': 'web01' });
    expect(JSON.stringify(outcome)).not.toMatch(/k3y|t0k/);
  });
});

describe('startExchange and Retry-After', () => {
  function answer(status: number, headers: Record<string, string>): ExchangeOutcome {
    let handler: Dispatcher.DispatchHandler | null = null;
    const dispatcher = { dispatch: (_options: unknown, h: Dispatcher.DispatchHandler) => ((handler = h), true) } as unknown as Dispatcher;
    let outcome: ExchangeOutcome | null = null;
    const request = { origin: 'http://127.0.0.1:1', path: '/', method: 'GET', headers: [], body: null, idleTimeoutMs: 1000 };
    startExchange(
      dispatcher,
      { ...request, keepBody: false, maxBodyBytes: 0, keepHeaders: false, secretHeaders: secretHeaderNames([]) },
      (o) => (outcome = o),
    );
    const h = handler as unknown as Required<Dispatcher.DispatchHandler>;
    h.onRequestStart(controller, {});
    h.onResponseStart(controller, status, headers, '');
    h.onResponseEnd(controller, {});
    return outcome!;
  }

  it.each([429, 503])('keeps the Retry-After of a %i, without --include-headers', (status) => {
    const outcome = answer(status, { 'retry-after': '3' });
    expect(outcome.retryAfter).toBe('3');
    expect(outcome.headers).toBeNull();
  });

  it('keeps none for other statuses, or when the header is missing', () => {
    expect(answer(502, { 'retry-after': '3' }).retryAfter).toBeNull();
    expect(answer(503, {}).retryAfter).toBeNull();
  });
});
