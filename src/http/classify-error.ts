// Turns a transport failure into a record code (src/record/host-result.ts), keyed on stable error codes
// (undici `UND_ERR_*`, Node errno, OpenSSL/Node TLS codes), never on message text; and into the message a
// record carries. A message says what happened in words: undici's internal codes (`UND_ERR_*`, and its
// parser's `HPE_*`) never reach one; errno and TLS codes do, which is what an operator searches for.
import type { ResultCode } from '../record/host-result.js';

/** The code of allow-guard.ts's DeniedError: a host no --allow rule allows (also recognized should the error be copied). */
export const DENIED_CODE = 'ERR_FANOUT_DENIED';

const BY_CODE: Readonly<Record<string, ResultCode>> = {
  [DENIED_CODE]: 'denied',
  ECONNREFUSED: 'refused',
  EHOSTUNREACH: 'refused',
  ENETUNREACH: 'refused',
  EADDRNOTAVAIL: 'refused',
  UND_ERR_CONNECT_TIMEOUT: 'connect_timeout',
  ECONNRESET: 'reset',
  EPIPE: 'reset',
  UND_ERR_SOCKET: 'reset',
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: 'reset',
  // A response that is no usable HTTP (headers past the dispatcher's cap, or not HTTP/1.1 at all: PARSER_PREFIX) came
  // after the request was written: like a reset, it may have been processed; the message says what was wrong.
  UND_ERR_HEADERS_OVERFLOW: 'reset',
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

/**
 * The alerts a server sends about the client's certificate (in TLS 1.3 after the handshake: http/tls-alerts.ts), in
 * words: OpenSSL's own message for them is a dump of its internals (`80EC…:error:0A00045C:SSL routines:…`).
 */
const TLS_ALERT_WORDS: Readonly<Record<string, string>> = {
  ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: 'the server requires a client certificate (--cert and --key)',
  ERR_SSL_TLSV1_ALERT_UNKNOWN_CA: 'the server does not trust the issuer of the client certificate',
  ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE: 'the server refused the client certificate',
  ERR_SSL_SSLV3_ALERT_CERTIFICATE_EXPIRED: 'the server refused the client certificate as expired',
  ERR_SSL_TLSV1_ALERT_ACCESS_DENIED: 'the server refused access during the TLS handshake',
  ERR_SSL_SSLV3_ALERT_HANDSHAKE_FAILURE: 'the server ended the TLS handshake (it may require a client certificate: --cert and --key)',
};

/**
 * What each of undici 7's error codes (lib/core/errors.js) means, in words, and the message undici gives it
 * by default. A message that starts with the default keeps what follows (`Connect Timeout Error (attempted
 * address: …)` → `no connection within the connect timeout (attempted address: …)`); any other is kept after
 * the words (`SocketError: other side closed` → `connection failed: other side closed`).
 */
const UNDICI_WORDS: Readonly<Record<string, readonly [words: string, undiciDefault: string]>> = {
  UND_ERR: ['HTTP client error', ''],
  UND_ERR_CONNECT_TIMEOUT: ['no connection within the connect timeout', 'Connect Timeout Error'],
  UND_ERR_HEADERS_TIMEOUT: ['no response headers within the timeout', 'Headers Timeout Error'],
  UND_ERR_HEADERS_OVERFLOW: ['response headers too large', 'Headers Overflow Error'],
  UND_ERR_BODY_TIMEOUT: ['response body stalled past the timeout', 'Body Timeout Error'],
  UND_ERR_INVALID_ARG: ['invalid request', 'Invalid Argument Error'],
  UND_ERR_INVALID_RETURN_VALUE: ['HTTP client error (invalid return value)', 'Invalid Return Value Error'],
  UND_ERR_ABORT: ['request aborted', 'The operation was aborted'],
  UND_ERR_ABORTED: ['request aborted', 'Request aborted'],
  UND_ERR_INFO: ['connection closed', 'Request information'],
  UND_ERR_REQ_CONTENT_LENGTH_MISMATCH: [
    'request body length differs from its Content-Length header',
    'Request body length does not match content-length header',
  ],
  UND_ERR_RES_CONTENT_LENGTH_MISMATCH: [
    'response shorter than its Content-Length',
    'Response body length does not match content-length header',
  ],
  UND_ERR_DESTROYED: ['connection pool closed before the response', 'The client is destroyed'],
  UND_ERR_CLOSED: ['connection pool closed before the response', 'The client is closed'],
  UND_ERR_SOCKET: ['connection failed', 'Socket error'],
  UND_ERR_NOT_SUPPORTED: ['not supported by the HTTP client', 'Not supported error'],
  UND_ERR_BPL_MISSING_UPSTREAM: ['no upstream server to send to', 'No upstream has been added to the BalancedPool'],
  UND_ERR_RES_EXCEEDED_MAX_SIZE: ['response larger than allowed', 'Response content exceeded max size'],
  UND_ERR_REQ_RETRY: ['request failed after retries', 'Request retry error'],
  UND_ERR_RESPONSE: ['unexpected response', 'Response error'],
  UND_ERR_PRX_TLS: ['TLS connection to the proxy failed', 'Secure Proxy Connection failed'],
  UND_ERR_MAX_ORIGINS_REACHED: ['too many servers for one HTTP agent', 'Maximum allowed origins reached'],
  UND_ERR_SOCKS5: ['SOCKS5 proxy error', 'SOCKS5 proxy error'],
  UND_ERR_WS_MESSAGE_SIZE_EXCEEDED: ['message too large', 'Max decompressed message size exceeded'],
};

/** An undici code this table does not know yet (a newer undici): still no code in the message. */
const UNDICI_UNKNOWN = 'HTTP client error';
/** undici's HTTP parser (llhttp) codes: its message already says what the response got wrong. */
const PARSER_PREFIX = 'HPE_';
const PARSER_DEFAULT = 'Response does not match the HTTP/1.1 protocol';
const PARSER_WORDS = 'response is not valid HTTP/1.1';
/**
 * The mark undici puts on its parser's errors (what its own `instanceof HTTPParserError` checks). Their `code` is
 * not to be relied on: undici 7.30 leaves it undefined for every llhttp error (an invalid status line, a bad header).
 */
const PARSER_ERROR_MARK = Symbol.for('undici.error.UND_ERR_HTTP_PARSER');
/** Any undici code written in a text (a cause's message, a server's reason), so none passes through. */
const UNDICI_CODE_IN_TEXT = /UND_ERR(?:_[A-Z0-9]+)*:?\s*/g;

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

/** An error's string `code` (Node's errno and TLS codes, undici's UND_ERR_*), if it has one. */
export function errorCode(err: unknown): string | undefined {
  return stringField(err, 'code');
}

function stringField(err: unknown, field: 'code' | 'syscall'): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const value = (err as Record<string, unknown>)[field];
  return typeof value === 'string' ? value : undefined;
}

/** errorCode, or for undici's HTTP parser errors, which carry no code (undici 7.30), its parser's prefix. */
function codeForClassifying(err: unknown): string | undefined {
  const code = errorCode(err);
  if (code !== undefined || typeof err !== 'object' || err === null) return code;
  return (err as Record<symbol, unknown>)[PARSER_ERROR_MARK] === true ? PARSER_PREFIX : undefined;
}

function codeFor(err: unknown, code: string): ResultCode | undefined {
  // The OS, or happy eyeballs' per-address attempt timer, gave up connecting: nothing was sent.
  if (code === 'ETIMEDOUT' && stringField(err, 'syscall') === 'connect') return 'connect_timeout';
  if (code.startsWith(PARSER_PREFIX)) return 'reset';
  return BY_CODE[code] ?? (TLS_PREFIXES.some((p) => code.startsWith(p)) ? 'tls' : undefined);
}

/** Maps any thrown value to a record code and a one-line message: in words for undici's errors, naming the errno or TLS code for the system's. */
export function classifyError(err: unknown): Classified {
  if (err instanceof OutcomeError) return { code: err.outcome, message: err.message };
  // A connect that fails on several addresses (happy eyeballs) reports an AggregateError: the first cause speaks for it.
  // Node copies that cause's code onto the AggregateError but leaves its message empty, so always ask the cause.
  if (err instanceof AggregateError && err.errors.length > 0) return classifyError(err.errors[0]);
  const code = codeForClassifying(err);
  const text = err instanceof Error ? err.message : String(err);
  const mapped = code === undefined ? undefined : codeFor(err, code);
  return { code: mapped ?? 'reset', message: withoutUndiciCodes(messageFor(code, text)) };
}

function messageFor(code: string | undefined, text: string): string {
  if (code === undefined) return text;
  if (code.startsWith('UND_ERR')) {
    const [words, undiciDefault] = UNDICI_WORDS[code] ?? [UNDICI_UNKNOWN, ''];
    return inWords(words, undiciDefault, text.replace(UNDICI_CODE_IN_TEXT, ''));
  }
  if (code.startsWith(PARSER_PREFIX)) return inWords(PARSER_WORDS, PARSER_DEFAULT, text);
  const alert = TLS_ALERT_WORDS[code];
  if (alert !== undefined) return `${code}: ${alert}`;
  // Node errno messages already name their code (`connect ECONNREFUSED 10.0.0.1:80`); others get it in front.
  return text.includes(code) ? text : `${code}: ${text}`;
}

function inWords(words: string, undiciDefault: string, text: string): string {
  const rest = text.replace(/^[\s:]+/, '').trimEnd();
  if (rest === '' || rest === undiciDefault) return words;
  if (undiciDefault !== '' && rest.startsWith(undiciDefault)) return `${words}${rest.slice(undiciDefault.length)}`;
  return `${words}: ${rest}`;
}

/** Puts the words for any undici code left in a message in its place: a record's error never shows one. */
function withoutUndiciCodes(message: string): string {
  if (!message.includes('UND_ERR')) return message;
  return message.replace(UNDICI_CODE_IN_TEXT, (found) => {
    const code = found.replace(/[:\s]+$/, '');
    const words = UNDICI_WORDS[code]?.[0] ?? UNDICI_UNKNOWN;
    return found.length > code.length ? `${words}${found.slice(code.length)}` : words;
  });
}
