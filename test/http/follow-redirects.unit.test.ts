// The redirect rules (planRedirect, one table) and the chain that follows them (startFollowingRedirects) against a
// scripted dispatcher: what each next request carries, and that the caller sees exactly one outcome.
import type { Dispatcher } from 'undici';
import { describe, expect, it } from 'vitest';
import { OutcomeError } from '../../src/http/classify-error.js';
import type { ExchangeRequest } from '../../src/http/exchange.js';
import {
  planRedirect,
  startFollowingRedirects,
  type FollowedOutcome,
  type RedirectPlan,
  type RedirectPolicy,
} from '../../src/http/follow-redirects.js';
import { ScriptedDispatcher } from '../helpers/scripted-dispatcher.js';
import { secretHeaderNames } from '../../src/http/secret-headers.js';

const POLICY: RedirectPolicy = { max: 3, anyHost: false, secretHeaders: secretHeaderNames(['x-api-token']) };

interface Case {
  from?: string;
  method?: string;
  status: number | null;
  location: string | null;
  followed?: number;
  policy?: Partial<RedirectPolicy>;
  plan: RedirectPlan | string;
}

const FROM = 'http://web01.dc1:8080/a/b?x=1';

function follow(url: string, method: string, sameHost = true, dropBody = false): RedirectPlan {
  return { kind: 'follow', url: new URL(url), method, dropBody, sameHost };
}

const CASES: Record<string, Case> = {
  'a 200 is the answer': { status: 200, location: '/elsewhere', plan: { kind: 'answer' } },
  'a 304 is the answer (not a redirect)': { status: 304, location: '/elsewhere', plan: { kind: 'answer' } },
  'a 300 is the answer (not a redirect)': { status: 300, location: '/elsewhere', plan: { kind: 'answer' } },
  'no status (a failure) is the answer': { status: null, location: null, plan: { kind: 'answer' } },
  'a relative Location on the same host': { status: 302, location: '../c?y=2#frag', plan: follow('http://web01.dc1:8080/c?y=2', 'GET') },
  'an absolute one on the same host, another case': {
    status: 301,
    location: 'HTTP://WEB01.DC1:8080/d',
    plan: follow('http://web01.dc1:8080/d', 'GET'),
  },
  'http to https on the default ports: the same host': {
    from: 'http://web01.dc1/x',
    status: 301,
    location: 'https://web01.dc1/x',
    plan: follow('https://web01.dc1/x', 'GET'),
  },
  'https to http: a downgrade is another host': {
    from: 'https://web01.dc1/x',
    status: 301,
    location: 'http://web01.dc1/x',
    plan: 'redirect not followed: http://web01.dc1/x is on another host (--follow-any-host follows it)',
  },
  'another port is another host': {
    status: 302,
    location: 'http://web01.dc1:8081/a/b?x=1',
    plan: 'redirect not followed: http://web01.dc1:8081/a/b?x=1 is on another host (--follow-any-host follows it)',
  },
  'another host with --follow-any-host': {
    status: 302,
    location: 'https://sso.example/login',
    policy: { anyHost: true },
    plan: follow('https://sso.example/login', 'GET', false),
  },
  'no Location': { status: 302, location: null, plan: 'redirect not followed: 302 without a Location header' },
  'a Location that is not an http(s) URL': {
    status: 302,
    location: 'ftp://files/x',
    plan: 'redirect not followed: Location "ftp://files/x" is not an http(s) URL',
  },
  'a Location that is no URL at all': {
    status: 307,
    location: 'http://[nope',
    plan: 'redirect not followed: Location "http://[nope" is not an http(s) URL',
  },
  'back to the URL requested: a loop': {
    status: 302,
    location: '/a/b?x=1#again',
    plan: 'redirect not followed: a loop, back to http://web01.dc1:8080/a/b?x=1',
  },
  'past --follow': { status: 302, location: '/next', followed: 3, plan: 'redirect not followed: more than --follow 3 redirects' },
  '303 makes a POST a GET without its body': {
    method: 'POST',
    status: 303,
    location: '/r',
    plan: follow('http://web01.dc1:8080/r', 'GET', true, true),
  },
  '303 makes a PUT a GET without its body': {
    method: 'PUT',
    status: 303,
    location: '/r',
    plan: follow('http://web01.dc1:8080/r', 'GET', true, true),
  },
  '303 keeps a HEAD': { method: 'HEAD', status: 303, location: '/r', plan: follow('http://web01.dc1:8080/r', 'HEAD') },
  '307 keeps a POST and its body': { method: 'POST', status: 307, location: '/r', plan: follow('http://web01.dc1:8080/r', 'POST') },
  '308 keeps a POST and its body': { method: 'POST', status: 308, location: '/r', plan: follow('http://web01.dc1:8080/r', 'POST') },
  '301 keeps a PUT and its body': { method: 'PUT', status: 301, location: '/r', plan: follow('http://web01.dc1:8080/r', 'PUT') },
  '302 does not turn a POST into a GET': {
    method: 'POST',
    status: 302,
    location: '/r',
    plan: 'redirect not followed: a 302 would turn the POST into a GET without its body (307 or 308 keep them)',
  },
  '301 does not either': {
    method: 'POST',
    status: 301,
    location: '/r',
    plan: 'redirect not followed: a 301 would turn the POST into a GET without its body (307 or 308 keep them)',
  },
};

describe('planRedirect', () => {
  it.each(Object.entries(CASES))('%s', (_name, c) => {
    const requested = new URL(c.from ?? FROM);
    const chain = { requested, visited: new Set([requested.href]), followed: c.followed ?? 0 };
    const step = { url: requested, method: c.method ?? 'GET', status: c.status, location: c.location };
    const expected = typeof c.plan === 'string' ? { kind: 'refuse', reason: c.plan } : c.plan;
    expect(planRedirect(chain, step, { ...POLICY, ...c.policy })).toEqual(expected);
  });

  it('cuts a long Location in its message', () => {
    const requested = new URL(FROM);
    const location = `ftp://x/${'y'.repeat(10_000)}`;
    const plan = planRedirect(
      { requested, visited: new Set(), followed: 0 },
      { url: requested, method: 'GET', status: 302, location },
      POLICY,
    );
    expect(plan.kind === 'refuse' && plan.reason.length).toBeLessThan(300);
  });
});

const REQUEST: ExchangeRequest = {
  origin: 'http://web01.dc1:8080',
  path: '/push',
  method: 'POST',
  headers: ['Authorization', 'Bearer s3cret', 'x-api-token', 't0ken', 'content-type', 'application/json', 'idempotency-key', 'run-web01'],
  body: Buffer.from('{"v":1}'),
  idleTimeoutMs: 1000,
  keepBody: false,
  maxBodyBytes: 1024,
  keepHeaders: false,
  secretHeaders: secretHeaderNames(['x-api-token']),
};

function headerMap(options: Dispatcher.DispatchOptions): Record<string, string> {
  const flat = options.headers as string[];
  return Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, i) => [flat[2 * i]!.toLowerCase(), flat[2 * i + 1]!]));
}

function chain(policy: Partial<RedirectPolicy> = {}, request: ExchangeRequest = REQUEST) {
  const scripted = new ScriptedDispatcher();
  const outcomes: FollowedOutcome[] = [];
  const running = startFollowingRedirects(scripted as unknown as Dispatcher, request, { ...POLICY, ...policy }, (o) => outcomes.push(o));
  return { scripted, outcomes, running };
}

describe('startFollowingRedirects', () => {
  it('with --follow 0 is the exchange itself: a 302 is the answer and the outcome has no redirects', () => {
    const { scripted, outcomes } = chain({ max: 0 });
    scripted.answer(302, '', 'text/plain', { location: '/elsewhere' });
    expect(scripted.pending).toHaveLength(0);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ status: 302, error: null });
    expect(outcomes[0]).not.toHaveProperty('redirects');
  });

  it('sends a 307 on the same host with its method, body and every header, and counts it', () => {
    const { scripted, outcomes } = chain();
    scripted.answer(307, '', 'text/plain', { location: '/v2/push' });
    const next = scripted.pending[0]!;
    expect(next.origin).toBe('http://web01.dc1:8080');
    expect(next.options).toMatchObject({ path: '/v2/push', method: 'POST', body: REQUEST.body });
    expect(headerMap(next.options)).toEqual({
      authorization: 'Bearer s3cret',
      'x-api-token': 't0ken',
      'content-type': 'application/json',
      'idempotency-key': 'run-web01',
    });
    scripted.answer(200, '{"done":true}');
    expect(outcomes).toEqual([expect.objectContaining({ status: 200, error: null, redirects: 1 })]);
  });

  it('sends no credentials to another host, nor again once the chain has left the requested one', () => {
    const { scripted, outcomes } = chain({ anyHost: true });
    scripted.answer(308, '', 'text/plain', { location: 'http://web02.dc1:8080/push' });
    const elsewhere = scripted.pending[0]!;
    expect(elsewhere.origin).toBe('http://web02.dc1:8080');
    expect(elsewhere.options.body).toBe(REQUEST.body);
    expect(headerMap(elsewhere.options)).toEqual({ 'content-type': 'application/json', 'idempotency-key': 'run-web01' });
    scripted.answer(307, '', 'text/plain', { location: 'http://web01.dc1:8080/push2' });
    expect(headerMap(scripted.pending[0]!.options)).not.toHaveProperty('authorization');
    scripted.answer(200);
    expect(outcomes).toEqual([expect.objectContaining({ status: 200, redirects: 2 })]);
  });

  it('turns a POST answered 303 into a GET without its body or body headers', () => {
    const { scripted } = chain();
    scripted.answer(303, '', 'text/plain', { location: '/result' });
    const next = scripted.pending[0]!;
    expect(next.options).toMatchObject({ method: 'GET', body: null, path: '/result' });
    expect(headerMap(next.options)).toEqual({ authorization: 'Bearer s3cret', 'x-api-token': 't0ken', 'idempotency-key': 'run-web01' });
  });

  it('ends a redirect it does not follow as http_status with the 3xx and why, without its body', () => {
    const { scripted, outcomes } = chain({}, { ...REQUEST, keepBody: true });
    scripted.answer(302, '{"moved":true}', 'application/json', { location: '/elsewhere' });
    expect(scripted.pending).toHaveLength(0);
    expect(outcomes).toHaveLength(1);
    const [outcome] = outcomes;
    expect(outcome).toMatchObject({ status: 302, body: null, redirects: 0 });
    expect(outcome?.error).toEqual(
      new OutcomeError(
        'http_status',
        'redirect not followed: a 302 would turn the POST into a GET without its body (307 or 308 keep them)',
      ),
    );
  });

  it('stops at a loop after following what came before it', () => {
    const { scripted, outcomes } = chain({}, { ...REQUEST, method: 'GET', body: null });
    scripted.answer(302, '', 'text/plain', { location: '/b' });
    scripted.answer(302, '', 'text/plain', { location: '/push' });
    expect(scripted.pending).toHaveLength(0);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ status: 302, redirects: 1 });
    expect(String(outcomes[0]?.error)).toContain('a loop, back to http://web01.dc1:8080/push');
  });

  it("ends a target that cannot be reached as the redirect's http_status, never as a request not sent", () => {
    const { scripted, outcomes } = chain();
    scripted.answer(307, '', 'text/plain', { location: '/v2/push' });
    scripted.refuse();
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ status: 307, redirects: 1 });
    expect(outcomes[0]?.error).toEqual(
      new OutcomeError('http_status', 'redirect to http://web01.dc1:8080/v2/push failed: connect ECONNREFUSED'),
    );
  });

  it('aborts the request in flight, not the one that redirected, and reports once', () => {
    const { scripted, outcomes, running } = chain();
    scripted.answer(307, '', 'text/plain', { location: '/slow' });
    expect(scripted.pending).toHaveLength(1);
    running.abort(new OutcomeError('timeout', 'no complete response within 300 ms'));
    expect(scripted.pending).toHaveLength(0);
    expect(outcomes).toHaveLength(1);
    expect(outcomes[0]).toMatchObject({ status: null, redirects: 1 });
    expect(outcomes[0]?.error).toEqual(new OutcomeError('timeout', 'no complete response within 300 ms'));
  });
});
