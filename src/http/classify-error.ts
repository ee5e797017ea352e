// Turns a transport failure into a record code (src/record/host-result.ts), keyed on stable error codes
// (undici `UND_ERR_*`, Node errno, OpenSSL/Node TLS codes), never on message text.
import type { ResultCode } from '../record/host-result.js';

const BY_CODE: Readonly<Record<string, ResultCode>> = {
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'refused',
  ENETUNREACH: 'refused',
  EADDRNOTAVAIL: 'refused',
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'reset',
  ENOTFOUND: 'dns',
  EAI_AGAIN: 'dns',
  EAI_FAIL: 'dns',
  EAI_NODATA: 'dns',
  EAI_NONAME: 'dns',
  UND_ERR_HEADERS_TIMEOUT: 'timeout',
  UND_ERR_BODY_TIMEOUT: 'timeout',
  ETIMEDOUT: 'timeout',
  EPROTO: 'tls',
  CERT_HAS_EXPIRED: 'tls',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'tls',
  SELF_SIGNED_CERT_IN_CHAIN: 'tls',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'tls',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'tls',
  ERR_TLS_CERT_ALTNAME_INVALID: 'tls',
  ERR_TLS_HANDSHAKE_TIMEOUT: 'tls',
  // OpenSSL verify results that none of TLS_PREFIXES catch (internal PKIs hit these: a leaf without serverAuth, a non-CA issuer).
  UNABLE_TO_GET_ISSUER_CERT: 'tls',
  UNABLE_TO_DECRYPT_CERT_SIGNATURE: 'tls',
  UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY: 'tls',
  ERROR_IN_CERT_NOT_BEFORE_FIELD: 'tls',
  ERROR_IN_CERT_NOT_AFTER_FIELD: 'tls',
  INVALID_CA: 'tls',
  INVALID_PURPOSE: 'tls',
  PATH_LENGTH_EXCEEDED: 'tls',
  // A rendered URL or path undici refuses (url-template.ts leaves that check to the request layer).
  ERR_INVALID_URL: 'invalid_target',
  UND_ERR_INVALID_ARG: 'invalid_target',
};

const TLS_PREFIXES = ['ERR_TLS_', 'ERR_SSL_', 'CERT_'];

/** A failure of ours with a record code attached (whole-request deadline, body cap). */
export class OutcomeError extends Error {
  constructor(
    readonly outcome: ResultCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Classified {
  code: ResultCode;
  message: string;
}

function stringField(err: unknown, field: 'code' | 'syscall'): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const value = (err as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

function codeFor(err: unknown, code: string): ResultCode | undefined {
  // The OS, or happy eyeballs' per-address attempt timer, gave up connecting: nothing was sent.
  if (code === 'ETIMEDOUT' && stringField(err, 'syscall') === 'connect') return 'connect_timeout';
  return BY_CODE[code] ?? (TLS_PREFIXES.some((p) => code.startsWith(p)) ? 'tls' : undefined);
}

/** Maps any thrown value to a record code and a one-line message that names the stable code. */
export function classifyError(err: unknown): Classified {
  if (err instanceof OutcomeError) return { code: err.outcome, message: err.message };
  // A connect that fails on several addresses (happy eyeballs) reports an AggregateError: the first cause speaks for it.
  // Node copies that cause's code onto the AggregateError but leaves its message empty, so always ask the cause.
  if (err instanceof AggregateError && err.errors.length > 0) return classifyError(err.errors[0]);
  const code = stringField(err, 'code');
  const text = err instanceof Error ? err.message : String(err);
  const mapped = code === undefined ? undefined : codeFor(err, code);
  // Node errno messages already name their code (`connect ECONNREFUSED 10.0.0.1:80`); undici's do not.
  return { code: mapped ?? 'reset', message: code === undefined || text.includes(code) ? text : `${code}: ${text}` };
}
