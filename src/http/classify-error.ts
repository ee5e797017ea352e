// Turns a transport failure into a record code (design.md §4), keyed on stable error codes
// (undici `UND_ERR_*`, Node errno, OpenSSL/Node TLS codes), never on message text.
import type { ResultCode } from '../report/host-result.js';

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

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const code = (err as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
}

/** Maps any thrown value to a record code and a one-line message that names the stable code. */
export function classifyError(err: unknown): Classified {
  if (err instanceof OutcomeError) return { code: err.outcome, message: err.message };
  // A connect that fails on several addresses (happy eyeballs) reports an AggregateError: the first cause speaks for it.
  if (err instanceof AggregateError && err.errors.length > 0 && errorCode(err) === undefined) {
    return classifyError(err.errors[0]);
  }
  const code = errorCode(err);
  const text = err instanceof Error ? err.message : String(err);
  const mapped = code === undefined ? undefined : (BY_CODE[code] ?? (TLS_PREFIXES.some((p) => code.startsWith(p)) ? 'tls' : undefined));
  return { code: mapped ?? 'reset', message: code === undefined ? text : `${code}: ${text}` };
}
