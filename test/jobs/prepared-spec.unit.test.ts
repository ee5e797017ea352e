import { describe, expect, it } from 'vitest';
import type { Target } from '../../src/hosts/target.js';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';
import { prepareSpec } from '../../src/jobs/prepared-spec.js';
import type { RequestSpec } from '../../src/jobs/request-spec.js';

function makeSpec(overrides: Partial<RequestSpec> = {}): RequestSpec {
  return { ...DEFAULT_SPEC, ...overrides };
}

const target = (host: string, index = 0): Target => ({ host, index });

/** Origin and path of the exchange for `host` when the URL template is `url`. */
function split(url: string, host = 'web01:8080'): { origin: string; path: string } {
  const prepared = prepareSpec(makeSpec({ url }));
  const t = target(host);
  const { origin, path } = prepared.exchangeFor(t, prepared.urlOrHost(t).url);
  return { origin, path };
}

describe('prepareSpec', () => {
  it.each([
    ['http://{host}/api/config', { origin: 'http://web01:8080', path: '/api/config' }],
    ['http://{host}/status?verbose=1&x=a/b', { origin: 'http://web01:8080', path: '/status?verbose=1&x=a/b' }],
    ['http://{host}?probe=1', { origin: 'http://web01:8080', path: '/?probe=1' }],
    ['http://{host}', { origin: 'http://web01:8080', path: '/' }],
    ['http://{host}/', { origin: 'http://web01:8080', path: '/' }],
    ['http://{host}/a#section', { origin: 'http://web01:8080', path: '/a' }],
    ['http://{host}/a?q=1#frag?not=query', { origin: 'http://web01:8080', path: '/a?q=1' }],
    ['http://{host}#top', { origin: 'http://web01:8080', path: '/' }],
    ['https://{hostname}:9443/{index}/x', { origin: 'https://web01:9443', path: '/0/x' }],
  ])('splits %s into origin and path', (url, expected) => {
    expect(split(url)).toEqual(expected);
  });

  it('splits an IPv6 literal at the path, not at its colons', () => {
    expect(split('http://{host}/v1', '[::1]:8080')).toEqual({ origin: 'http://[::1]:8080', path: '/v1' });
  });

  it('uses an entry that is a full URL as is', () => {
    expect(split('http://{host}/ignored', 'https://web02.dc1:8443/health?deep=1')).toEqual({
      origin: 'https://web02.dc1:8443',
      path: '/health?deep=1',
    });
  });

  it('throws for a URL without a scheme separator', () => {
    const prepared = prepareSpec(makeSpec());
    expect(() => prepared.exchangeFor(target('web01'), 'web01/status')).toThrow(TypeError);
  });

  it('passes the spec through to every exchange', () => {
    const spec = makeSpec({ method: 'PUT', timeoutMs: 1234, captureBody: true, maxBodyBytes: 99, includeHeaders: true });
    const prepared = prepareSpec(spec);
    expect(prepared.spec).toBe(spec);
    expect(prepared.exchangeFor(target('web01'), 'http://web01/')).toMatchObject({
      method: 'PUT',
      idleTimeoutMs: 1234,
      keepBody: true,
      maxBodyBytes: 99,
      keepHeaders: true,
    });
  });

  it('compiles --expect into the status predicate', () => {
    const prepared = prepareSpec(makeSpec({ expect: '204,3xx' }));
    expect([200, 204, 301, 404].map(prepared.isExpected)).toEqual([false, true, true, false]);
  });

  describe('headers', () => {
    const headers: Array<[string, string]> = [
      ['Authorization', 'Bearer t'],
      ['Accept', 'application/json'],
    ];

    it('sends the spec headers as a flat list, and no Idempotency-Key without a prefix', () => {
      const prepared = prepareSpec(makeSpec({ headers }));
      expect(prepared.exchangeFor(target('web01'), 'http://web01/').headers).toEqual([
        'Authorization',
        'Bearer t',
        'Accept',
        'application/json',
      ]);
    });

    it('appends Idempotency-Key <prefix>-<host>, different for each host', () => {
      const prepared = prepareSpec(makeSpec({ headers, idempotencyKeyPrefix: 'run7' }));
      const a = prepared.exchangeFor(target('web01:8080', 0), 'http://web01:8080/');
      const b = prepared.exchangeFor(target('web02', 1), 'http://web02/');
      expect(a.headers).toEqual(['Authorization', 'Bearer t', 'Accept', 'application/json', 'idempotency-key', 'run7-web01:8080']);
      expect(b.headers.slice(-2)).toEqual(['idempotency-key', 'run7-web02']);
    });

    it("does not let one host's key leak into the shared header list", () => {
      const prepared = prepareSpec(makeSpec({ idempotencyKeyPrefix: 'run7' }));
      prepared.exchangeFor(target('web01'), 'http://web01/');
      expect(prepared.exchangeFor(target('web02'), 'http://web02/').headers).toEqual(['idempotency-key', 'run7-web02']);
    });
  });

  describe('body', () => {
    it('is null without bodyBase64', () => {
      expect(prepareSpec(makeSpec()).exchangeFor(target('web01'), 'http://web01/').body).toBeNull();
    });

    it('is decoded from base64 once and shared by every exchange', () => {
      const bytes = Buffer.from([0x7b, 0x00, 0xff, 0x7d]);
      const prepared = prepareSpec(makeSpec({ bodyBase64: bytes.toString('base64') }));
      const a = prepared.exchangeFor(target('web01'), 'http://web01/').body;
      const b = prepared.exchangeFor(target('web02'), 'http://web02/').body;
      expect(a).toEqual(bytes);
      expect(b).toBe(a);
    });
  });
});
