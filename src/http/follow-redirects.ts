// Redirects (--follow N): one request of the caller becomes a chain of exchanges (exchange.ts), the next started when
// the one before answered a redirect fanout may follow. The caller's deadline and abort cover the whole chain, and the
// caller sees one outcome: the last answer's, with the number of redirects followed. Each decision is the pure
// planRedirect, so one table test covers the rules:
// - only the fetch standard's redirect statuses, at most `max` of them, never back to a URL already requested (a loop);
// - only to the requested host (same hostname and port; http→https on the default ports counts as the same host, the
//   usual "use HTTPS" answer) unless `anyHost`; a downgrade to http is another host;
// - method and body as fetch says (303: GET without a body, HEAD stays HEAD; 307/308: both kept), except that a POST
//   answered 301 or 302 is not followed: fetch would make it a GET without its body, and a push that silently became a
//   GET would read as a success;
// - credentials (the built-in secret headers and the spec's own) and Host go only to the requested host, never again
//   once the chain has left it (as curl does).
// A redirect that is not followed, or whose target cannot be reached, ends the chain as `http_status` with its 3xx
// status and a message saying why: final, so no retry sends the request to the requested host again.
import type { Dispatcher } from 'undici';
import { classifyError, OutcomeError } from './classify-error.js';
import { startExchange, type ExchangeOutcome, type ExchangeRequest, type RunningExchange } from './exchange.js';

export interface RedirectPolicy {
  /** Redirects followed at most; 0: a redirect is the answer, judged by --expect like any status. */
  max: number;
  /** Follow redirects to any host, not only the requested one. */
  anyHost: boolean;
  /** Header names (lower case) sent only to the requested host, besides Host: secretHeaderNames(spec.secretHeaders). */
  secretHeaders: ReadonlySet<string>;
}

/** An outcome of a chain; `redirects` is set when following is on (the record's `redirects`). */
export type FollowedOutcome = ExchangeOutcome & { redirects?: number };

/** The fetch standard's redirect statuses; any other 3xx (304, 300) is an answer. */
const REDIRECT_STATUSES: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
/** What a request that loses its body loses with it (fetch's request-body-header names, and the length). */
const BODY_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'content-encoding',
  'content-language',
  'content-location',
]);
/** A hostile Location can be long: a message shows this much of it. */
const SHOWN_URL_CHARS = 200;

export interface RedirectStep {
  /** The URL just requested. */
  url: URL;
  method: string;
  status: number | null;
  /** The answer's Location header, null when it has none. */
  location: string | null;
}

export interface ChainSoFar {
  requested: URL;
  /** Every URL requested in this chain (hrefs without fragment), the first included. */
  visited: ReadonlySet<string>;
  followed: number;
}

export type RedirectPlan =
  | { kind: 'answer' }
  | { kind: 'refuse'; reason: string }
  | { kind: 'follow'; url: URL; method: string; dropBody: boolean; sameHost: boolean };

const ANSWER: RedirectPlan = { kind: 'answer' };

function shown(text: string): string {
  return text.length > SHOWN_URL_CHARS ? `${text.slice(0, SHOWN_URL_CHARS - 1)}…` : text;
}

function refuse(why: string): RedirectPlan {
  return { kind: 'refuse', reason: `redirect not followed: ${why}` };
}

/** The target of a Location, resolved against the URL that answered; null when it is not an http(s) URL. */
function targetOf(location: string, base: URL): URL | null {
  let url: URL;
  try {
    url = new URL(location, base);
  } catch {
    return null;
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return null;
  url.hash = '';
  return url;
}

export function isSameHost(requested: URL, target: URL): boolean {
  if (requested.hostname !== target.hostname) return false;
  if (requested.protocol === target.protocol) return requested.port === target.port;
  // URL leaves a scheme's default port empty: http://h/ → https://h/ is the same machine's TLS port.
  return requested.protocol === 'http:' && target.protocol === 'https:' && requested.port === '' && target.port === '';
}

/** What to do with one answer of a chain: it is the answer, the redirect is not followed (why), or the next request. */
export function planRedirect(chain: ChainSoFar, step: RedirectStep, policy: RedirectPolicy): RedirectPlan {
  if (step.status === null || !REDIRECT_STATUSES.has(step.status)) return ANSWER;
  if (step.location === null) return refuse(`${step.status} without a Location header`);
  const url = targetOf(step.location, step.url);
  if (url === null) return refuse(`Location "${shown(step.location)}" is not an http(s) URL`);
  if (chain.visited.has(url.href)) return refuse(`a loop, back to ${shown(url.href)}`);
  const sameHost = isSameHost(chain.requested, url);
  if (!sameHost && !policy.anyHost) return refuse(`${shown(url.href)} is on another host (--follow-any-host follows it)`);
  if (step.method === 'POST' && (step.status === 301 || step.status === 302)) {
    return refuse(`a ${step.status} would turn the POST into a GET without its body (307 or 308 keep them)`);
  }
  if (chain.followed >= policy.max) return refuse(`more than --follow ${policy.max} redirects`);
  const toGet = step.status === 303 && step.method !== 'GET' && step.method !== 'HEAD';
  return { kind: 'follow', url, method: toGet ? 'GET' : step.method, dropBody: toGet, sameHost };
}

/** `headers` (flat name, value list) without the names in `dropped`. */
function withoutHeaders(headers: readonly string[], dropped: (name: string) => boolean): string[] {
  const kept: string[] = [];
  for (let i = 0; i + 1 < headers.length; i += 2) {
    const name = headers[i] ?? '';
    if (!dropped(name.toLowerCase())) kept.push(name, headers[i + 1] ?? '');
  }
  return kept;
}

function nextRequest(
  previous: ExchangeRequest,
  plan: Extract<RedirectPlan, { kind: 'follow' }>,
  policy: RedirectPolicy,
  leftHost: boolean,
): ExchangeRequest {
  const dropped = (name: string): boolean =>
    (plan.dropBody && BODY_HEADERS.has(name)) || (leftHost && (name === 'host' || policy.secretHeaders.has(name)));
  return {
    ...previous,
    origin: plan.url.origin,
    path: `${plan.url.pathname}${plan.url.search}`,
    method: plan.method,
    headers: plan.dropBody || leftHost ? withoutHeaders(previous.headers, dropped) : previous.headers,
    body: plan.dropBody ? null : previous.body,
  };
}

/**
 * Starts `request` and follows its redirects as `policy` allows; `done` is called exactly once. With `max` 0 this is
 * startExchange itself, and the outcome has no `redirects`.
 */
export function startFollowingRedirects(
  dispatcher: Dispatcher,
  request: ExchangeRequest,
  policy: RedirectPolicy,
  done: (outcome: FollowedOutcome) => void,
): RunningExchange {
  if (policy.max === 0) return startExchange(dispatcher, request, done);
  const requested = new URL(`${request.origin}${request.path}`);
  const visited = new Set([requested.href]);
  /** redirectedBy: the status of the redirect that led here, null for the request itself. */
  let hop: { request: ExchangeRequest; url: URL; redirectedBy: number | null } = { request, url: requested, redirectedBy: null };
  let followed = 0;
  let leftHost = false;
  let current: RunningExchange;
  // A transport failure at a redirect's target (refused, DNS, TLS, reset): the requested host has already answered, so
  // the record must not read as a request that was never sent, which a retry would send again whatever the method.
  // It is the redirect, not followed; the caller's own errors (deadline, abort, body cap) stay what they are. A target
  // the worker's --allow rules refuse is such a failure too: `denied` would say nothing was sent, yet the requested
  // host was asked.
  const targetFailed = (outcome: ExchangeOutcome, error: unknown, status: number): FollowedOutcome => ({
    ...outcome,
    status,
    body: null,
    location: null,
    error: new OutcomeError('http_status', `redirect to ${shown(hop.url.href)} failed: ${classifyError(error).message}`),
    redirects: followed,
  });
  const onOutcome = (outcome: ExchangeOutcome): void => {
    if (outcome.error !== null && hop.redirectedBy !== null && isTargetFailure(outcome.error)) {
      return done(targetFailed(outcome, outcome.error, hop.redirectedBy));
    }
    const step = { url: hop.url, method: hop.request.method, status: outcome.status, location: outcome.location };
    const plan = outcome.error === null ? planRedirect({ requested, visited, followed }, step, policy) : ANSWER;
    if (plan.kind === 'answer') return done({ ...outcome, redirects: followed });
    if (plan.kind === 'refuse')
      return done({ ...outcome, body: null, error: new OutcomeError('http_status', plan.reason), redirects: followed });
    followed++;
    visited.add(plan.url.href);
    leftHost ||= !plan.sameHost;
    hop = { request: nextRequest(hop.request, plan, policy, leftHost), url: plan.url, redirectedBy: step.status ?? 0 };
    try {
      current = startExchange(dispatcher, hop.request, onOutcome);
    } catch (error) {
      done(targetFailed(outcome, error, step.status ?? 0));
    }
  };
  current = startExchange(dispatcher, request, onOutcome);
  return { abort: (reason) => current.abort(reason) };
}

function isTargetFailure(error: unknown): boolean {
  return !(error instanceof OutcomeError) || error.outcome === 'denied';
}
