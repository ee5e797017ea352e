// A RequestSpec compiled once per batch into what each host's request needs: the URL template split into
// parts, the status predicate, the header list and the decoded body. Per host only the URL and the
// Idempotency-Key are computed.
import type { ParsedEntry } from '../hosts/parse-entry.js';
import { compileUrlTemplate } from '../hosts/url-template.js';
import type { Target } from '../hosts/target.js';
import { parseExpect, type StatusPredicate } from '../http/expect-status.js';
import type { ExchangeRequest } from '../http/exchange.js';
import { secretHeaderNames } from '../http/secret-headers.js';
import type { RedirectPolicy } from '../http/follow-redirects.js';
import type { RequestSpec } from './request-spec.js';

export interface PreparedSpec {
  readonly spec: RequestSpec;
  readonly isExpected: StatusPredicate;
  /** Every request carries an Idempotency-Key (the push's own, or one given with -H): a server can drop a repeat. */
  readonly carriesIdempotencyKey: boolean;
  /** --follow, --follow-any-host and the headers that never go to another host. */
  readonly redirects: RedirectPolicy;
  /**
   * The URL for a target, or for an entry that cannot make one (its record is invalid_target) the host standing
   * in for the URL, with the reason. Never throws: every record needs a url.
   */
  urlOrHost(target: Target): TargetUrl;
  /** The exchange for a target whose URL is known; throws on a URL undici cannot use. */
  exchangeFor(target: Target, url: string): ExchangeRequest;
  /**
   * For the plan (host-source.ts#planTargets' checkEntry): throws HostEntryError for a valid entry the URL template
   * cannot make a URL of, so the run stops before anything is sent instead of giving it invalid_target.
   */
  readonly checkEntry: (entry: ParsedEntry) => void;
}

export interface TargetUrl {
  url: string;
  /** Why the entry cannot make a URL; null when `url` is one. */
  error: string | null;
}

const SCHEME_END = '://';
const IDEMPOTENCY_KEY = 'idempotency-key';

/** Splits `http://a:1/p?q` into origin and path without a full URL parse (undici validates the origin). */
function splitUrl(url: string): { origin: string; path: string } {
  const hostStart = url.indexOf(SCHEME_END);
  if (hostStart === -1) throw new TypeError(`not an absolute URL: ${url}`);
  const pathStart = url.slice(hostStart + SCHEME_END.length).search(/[/?#]/);
  if (pathStart === -1) return { origin: url, path: '/' };
  const cut = hostStart + SCHEME_END.length + pathStart;
  const rest = url.slice(cut);
  const hash = rest.indexOf('#');
  const path = hash === -1 ? rest : rest.slice(0, hash);
  return { origin: url.slice(0, cut), path: path.startsWith('/') ? path : `/${path}` };
}

export function prepareSpec(spec: RequestSpec): PreparedSpec {
  const template = compileUrlTemplate(spec.url);
  const isExpected = parseExpect(spec.expect);
  const headers = spec.headers.flat();
  const body = spec.bodyBase64 === null ? null : Buffer.from(spec.bodyBase64, 'base64');
  const keyPrefix = spec.idempotencyKeyPrefix;
  const secretHeaders = secretHeaderNames(spec.secretHeaders);
  return {
    spec,
    isExpected,
    carriesIdempotencyKey: keyPrefix !== null || spec.headers.some(([name]) => name.toLowerCase() === IDEMPOTENCY_KEY),
    redirects: { max: spec.followRedirects, anyHost: spec.followAnyHost, secretHeaders },
    checkEntry: template.check,
    urlOrHost(target) {
      try {
        return { url: template.render(target), error: null };
      } catch (err) {
        return { url: target.host, error: err instanceof Error ? err.message : String(err) };
      }
    },
    exchangeFor(target, url) {
      const { origin, path } = splitUrl(url);
      return {
        origin,
        path,
        method: spec.method,
        headers: keyPrefix === null ? headers : [...headers, IDEMPOTENCY_KEY, `${keyPrefix}-${target.host}`],
        body,
        idleTimeoutMs: spec.timeoutMs,
        keepBody: spec.captureBody,
        maxBodyBytes: spec.maxBodyBytes,
        keepHeaders: spec.includeHeaders,
        secretHeaders,
      };
    },
  };
}
