import { errors } from 'undici';
import { describe, expect, it } from 'vitest';
import { OutcomeError } from '../../src/http/classify-error.js';
import type { ExchangeOutcome } from '../../src/http/exchange.js';
import { parseExpect } from '../../src/http/expect-status.js';
import { resultFromOutcome, resultWithoutResponse, type HostContext } from '../../src/jobs/to-host-result.js';

/** The record's fields, in the README's order. */
const RECORD_FIELDS = ['host', 'url', 'method', 'ok', 'code', 'status', 'error', 'attempts', 'durationMs', 'bytes'];

const ctx: HostContext = {
  host: 'web01.dc1:8443',
  url: 'https://web01.dc1:8443/api/config',
  method: 'POST',
  attempts: 1,
  durationMs: 52.34,
};
const twoXx = parseExpect('2xx');

function outcome(overrides: Partial<ExchangeOutcome> = {}): ExchangeOutcome {
  return {
    status: 200,
    bytes: 412,
    body: null,
    contentType: null,
    headers: null,
    retryAfter: null,
    location: null,
    error: null,
    ...overrides,
  };
}

describe('resultFromOutcome', () => {
  it('writes the record of the README, field for field and in its order', () => {
    const result = resultFromOutcome(ctx, outcome(), twoXx);
    expect(JSON.stringify(result)).toBe(
      '{"host":"web01.dc1:8443","url":"https://web01.dc1:8443/api/config","method":"POST","ok":true,' +
        '"code":"ok","status":200,"error":null,"attempts":1,"durationMs":52.3,"bytes":412}',
    );
  });

  it('keeps that order for failures, with optional fields after it', () => {
    const failed = resultFromOutcome(
      { ...ctx, worker: 'w1' },
      outcome({ status: null, bytes: 0, headers: { server: 'x' }, error: new errors.SocketError('other side closed') }),
      twoXx,
    );
    expect(Object.keys(failed)).toEqual([...RECORD_FIELDS, 'headers', 'worker']);
    const withBody = resultFromOutcome(ctx, outcome({ body: Buffer.from('hi') }), twoXx);
    expect(Object.keys(withBody)).toEqual([...RECORD_FIELDS, 'body']);
  });

  it('marks an unexpected status as http_status', () => {
    expect(resultFromOutcome(ctx, outcome({ status: 503, bytes: 12 }), twoXx)).toMatchObject({
      ok: false,
      code: 'http_status',
      status: 503,
      error: 'unexpected status 503',
      bytes: 12,
    });
  });

  it('follows --expect: a 404 can be ok and a 200 not', () => {
    const only404 = parseExpect('404');
    expect(resultFromOutcome(ctx, outcome({ status: 404 }), only404)).toMatchObject({ ok: true, code: 'ok', error: null });
    expect(resultFromOutcome(ctx, outcome({ status: 200 }), only404)).toMatchObject({ ok: false, code: 'http_status' });
  });

  it('classifies a transport error and keeps the status and bytes seen before it', () => {
    const error = new OutcomeError('body_too_large', 'body larger than --max-body 1024 bytes');
    expect(resultFromOutcome(ctx, outcome({ status: 200, bytes: 2048, error }), twoXx)).toMatchObject({
      ok: false,
      code: 'body_too_large',
      status: 200,
      error: 'body larger than --max-body 1024 bytes',
      bytes: 2048,
    });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' });
    expect(resultFromOutcome(ctx, outcome({ status: null, bytes: 0, error: refused }), twoXx)).toMatchObject({
      ok: false,
      code: 'refused',
      status: null,
      error: 'connect ECONNREFUSED 127.0.0.1:1',
    });
  });

  it('never puts a body on a failed record', () => {
    const result = resultFromOutcome(
      ctx,
      outcome({ body: Buffer.from('{}'), contentType: 'application/json', error: new Error('x') }),
      twoXx,
    );
    expect(result).not.toHaveProperty('body');
  });

  it.each([
    ['application/json', '{"a":[1,2]}', { a: [1, 2] }],
    ['application/json; charset=utf-8', '{"ok":true}', { ok: true }],
    ['application/problem+json', '{"title":"nope"}', { title: 'nope' }],
    ['Application/JSON', '42', 42],
    ['application/json', '{"broken"', '{"broken"'],
    ['application/jsonl', '{"a":1}', '{"a":1}'],
    ['text/plain', '{"a":1}', '{"a":1}'],
    [null, '{"a":1}', '{"a":1}'],
    ['text/html; charset=utf-8', 'Grüße', 'Grüße'],
  ])('with content-type %s decodes %j as %j', (contentType, text, body) => {
    const result = resultFromOutcome(ctx, outcome({ body: Buffer.from(text), contentType }), twoXx);
    expect(result.body).toEqual(body);
  });

  it('keeps the body of an unexpected status too', () => {
    const result = resultFromOutcome(ctx, outcome({ status: 500, body: Buffer.from('{"err":1}'), contentType: 'application/json' }), twoXx);
    expect(result).toMatchObject({ code: 'http_status', body: { err: 1 } });
  });

  it('has no body field when the body was not kept', () => {
    expect(resultFromOutcome(ctx, outcome(), twoXx)).not.toHaveProperty('body');
  });

  it('adds headers and worker only when present', () => {
    const plain = resultFromOutcome(ctx, outcome(), twoXx);
    expect(plain).not.toHaveProperty('headers');
    expect(plain).not.toHaveProperty('worker');
    const tagged = resultFromOutcome({ ...ctx, worker: 'host-a:1' }, outcome({ headers: { 'content-type': 'text/plain' } }), twoXx);
    expect(tagged).toMatchObject({ headers: { 'content-type': 'text/plain' }, worker: 'host-a:1' });
  });

  it.each([
    [52.34, 52.3],
    [52.36, 52.4],
    [0.04, 0],
    [0.05, 0.1],
    [1234.5, 1234.5],
    [7, 7],
  ])('rounds durationMs %d to %d', (durationMs, rounded) => {
    expect(resultFromOutcome({ ...ctx, durationMs }, outcome(), twoXx).durationMs).toBe(rounded);
  });
});

describe('resultWithoutResponse', () => {
  it('writes a failed record without status or bytes, in the same field order', () => {
    const result = resultWithoutResponse({ ...ctx, attempts: 0, durationMs: 0 }, 'not_attempted', 'interrupted before the request started');
    expect(result).toEqual({
      host: 'web01.dc1:8443',
      url: 'https://web01.dc1:8443/api/config',
      method: 'POST',
      ok: false,
      code: 'not_attempted',
      status: null,
      error: 'interrupted before the request started',
      attempts: 0,
      durationMs: 0,
      bytes: 0,
    });
    expect(Object.keys(result)).toEqual(RECORD_FIELDS);
  });

  it('tags the worker when there is one', () => {
    expect(resultWithoutResponse({ ...ctx, worker: 'w2' }, 'invalid_target', 'bad').worker).toBe('w2');
  });
});
