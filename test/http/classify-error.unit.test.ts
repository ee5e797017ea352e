import { errors } from 'undici';
import { describe, expect, it } from 'vitest';
import { classifyError, OutcomeError } from '../../src/http/classify-error.js';

/** A Node system error as net, dns and tls raise it: the stable fields are `code` and `syscall`. */
function sysError(code: string, message: string, syscall?: string): Error {
  return Object.assign(new Error(message), { code, ...(syscall === undefined ? {} : { syscall }) });
}

describe('classifyError', () => {
  it.each([
    [
      new errors.ConnectTimeoutError('Connect Timeout Error (attempted address: 10.0.0.1:80, timeout: 5000ms)'),
      'connect_timeout',
      'no connection within the connect timeout (attempted address: 10.0.0.1:80, timeout: 5000ms)',
    ],
    [new errors.HeadersTimeoutError(), 'timeout', 'no response headers within the timeout'],
    [new errors.BodyTimeoutError(), 'timeout', 'response body stalled past the timeout'],
    [new errors.SocketError('other side closed'), 'reset', 'connection failed: other side closed'],
    [new errors.ResponseContentLengthMismatchError(), 'reset', 'response shorter than its Content-Length'],
    [new errors.InvalidArgumentError('invalid request path'), 'invalid_target', 'invalid request: invalid request path'],
    [new errors.HeadersOverflowError(), 'reset', 'response headers too large'],
    // As undici 7.30 raises a bad status line: no code at all, only its parser-error mark.
    [
      new errors.HTTPParserError('Response does not match the HTTP/1.1 protocol (Invalid status code)'),
      'reset',
      'response is not valid HTTP/1.1 (Invalid status code)',
    ],
  ])('maps undici %s, in words', (err, code, message) => {
    expect(classifyError(err)).toEqual({ code, message });
  });

  // Every error class undici 7 exports (lib/core/errors.js), as undici raises it (its default message) and with
  // a message of its own: what a record's `error` says. A class added by a newer undici fails here until it has words.
  const IN_WORDS: Record<string, string> = {
    AbortError: 'request aborted',
    HTTPParserError: 'response is not valid HTTP/1.1 (Invalid header value char)',
    UndiciError: 'HTTP client error',
    HeadersTimeoutError: 'no response headers within the timeout',
    HeadersOverflowError: 'response headers too large',
    BodyTimeoutError: 'response body stalled past the timeout',
    RequestContentLengthMismatchError: 'request body length differs from its Content-Length header',
    ConnectTimeoutError: 'no connection within the connect timeout',
    InvalidArgumentError: 'invalid request',
    InvalidReturnValueError: 'HTTP client error (invalid return value)',
    RequestAbortedError: 'request aborted',
    ClientDestroyedError: 'connection pool closed before the response',
    ClientClosedError: 'connection pool closed before the response',
    InformationalError: 'connection closed',
    SocketError: 'connection failed',
    NotSupportedError: 'not supported by the HTTP client',
    ResponseContentLengthMismatchError: 'response shorter than its Content-Length',
    BalancedPoolMissingUpstreamError: 'no upstream server to send to',
    ResponseExceededMaxSizeError: 'response larger than allowed',
    RequestRetryError: 'request failed after retries',
    ResponseError: 'unexpected response',
    SecureProxyConnectionError: 'TLS connection to the proxy failed',
    MaxOriginsReachedError: 'too many servers for one HTTP agent',
    Socks5ProxyError: 'SOCKS5 proxy error',
    MessageSizeExceededError: 'message too large',
  };
  type AnyError = new (message?: string, code?: string, extra?: object) => Error;
  /** As undici raises it: its default message (the parser's comes with its reason and llhttp code). */
  function raised(name: string, Class: AnyError, message?: string): Error {
    if (name === 'SecureProxyConnectionError') return new (Class as new (cause?: Error, message?: string) => Error)(undefined, message);
    if (name === 'HTTPParserError')
      return new Class(message ?? 'Response does not match the HTTP/1.1 protocol (Invalid header value char)', 'INVALID_HEADER_TOKEN');
    return new Class(message, undefined, { headers: {}, data: null, body: null }); // the 3rd argument for the two that need one
  }

  it.each(Object.entries(errors as unknown as Record<string, AnyError>))('says what undici %s means, never its code', (name, Class) => {
    const words = IN_WORDS[name];
    expect(words, `no words for undici's ${name}`).toBeDefined();
    const plain = classifyError(raised(name, Class));
    expect(plain.message).toBe(words);
    const own = classifyError(raised(name, Class, 'details here'));
    expect(own.message).toBe(`${name === 'HTTPParserError' ? 'response is not valid HTTP/1.1' : words}: details here`);
    expect(`${plain.message} ${own.message}`).not.toMatch(/UND_ERR|HPE_/);
  });

  it('puts words in place of an undici code inside a message too', () => {
    const wrapped = sysError('EWHATEVER', 'gave up: UND_ERR_RES_CONTENT_LENGTH_MISMATCH: closed early');
    expect(classifyError(wrapped).message).toBe('EWHATEVER: gave up: response shorter than its Content-Length: closed early');
    const unknown = Object.assign(new Error('UND_ERR_SOMETHING_NEW'), { code: 'UND_ERR_SOMETHING_NEW' });
    expect(classifyError(unknown)).toEqual({ code: 'reset', message: 'HTTP client error' });
    const aggregate = new AggregateError([new errors.SocketError('closed')], '');
    expect(classifyError(aggregate)).toEqual({ code: 'reset', message: 'connection failed: closed' });
  });

  it.each([
    ['ECONNREFUSED', 'connect', 'refused'],
    ['EHOSTUNREACH', 'connect', 'refused'],
    ['ENETUNREACH', 'connect', 'refused'],
    ['ECONNRESET', 'read', 'reset'],
    ['EPIPE', 'write', 'reset'],
    ['ENOTFOUND', 'getaddrinfo', 'dns'],
    ['EAI_AGAIN', 'getaddrinfo', 'dns'],
    ['EAI_FAIL', 'getaddrinfo', 'dns'],
    ['ETIMEDOUT', 'read', 'timeout'],
    ['ETIMEDOUT', 'connect', 'connect_timeout'],
  ])('maps Node errno %s (syscall %s) to %s', (errno, syscall, code) => {
    const err = sysError(errno, `${syscall} ${errno} 10.0.0.1:80`, syscall);
    expect(classifyError(err)).toEqual({ code, message: `${syscall} ${errno} 10.0.0.1:80` }); // the code is named once
  });

  it.each([
    'DEPTH_ZERO_SELF_SIGNED_CERT',
    'SELF_SIGNED_CERT_IN_CHAIN',
    'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
    'CERT_HAS_EXPIRED',
    'CERT_NOT_YET_VALID',
    'INVALID_PURPOSE',
    'INVALID_CA',
    'ERR_TLS_CERT_ALTNAME_INVALID',
    'ERR_TLS_HANDSHAKE_TIMEOUT',
    'ERR_SSL_WRONG_VERSION_NUMBER',
    'EPROTO',
  ])('maps TLS code %s to tls', (tlsCode) => {
    expect(classifyError(sysError(tlsCode, 'handshake failed')).code).toBe('tls');
  });

  it.each([
    ['ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED', 'the server requires a client certificate (--cert and --key)'],
    ['ERR_SSL_TLSV1_ALERT_UNKNOWN_CA', 'the server does not trust the issuer of the client certificate'],
  ])("says what the server's alert %s means, in place of OpenSSL's dump", (tlsCode, words) => {
    const openssl = '80EC8F52B87F0000:error:0A00045C:SSL routines:ssl3_read_bytes:tlsv13 alert:rec_layer_s3.c:1601:SSL alert number 116\n';
    expect(classifyError(sysError(tlsCode, openssl))).toEqual({ code: 'tls', message: `${tlsCode}: ${words}` });
  });

  it('keeps the code and message of our own OutcomeError', () => {
    const err = new OutcomeError('body_too_large', 'body larger than --max-body 1024 bytes');
    expect(classifyError(err)).toEqual({ code: 'body_too_large', message: 'body larger than --max-body 1024 bytes' });
    expect(classifyError(new OutcomeError('timeout', 'no complete response within 50 ms'))).toEqual({
      code: 'timeout',
      message: 'no complete response within 50 ms',
    });
  });

  it('lets the first cause of a happy-eyeballs AggregateError speak, message included', () => {
    // As Node raises it: the first cause's code copied onto the aggregate, whose own message is empty.
    const refused6 = sysError('ECONNREFUSED', 'connect ECONNREFUSED ::1:80', 'connect');
    const refused4 = sysError('ECONNREFUSED', 'connect ECONNREFUSED 127.0.0.1:80', 'connect');
    const aggregate = Object.assign(new AggregateError([refused6, refused4], ''), { code: 'ECONNREFUSED' });
    expect(classifyError(aggregate)).toEqual({ code: 'refused', message: 'connect ECONNREFUSED ::1:80' });
  });

  it('treats an address attempt that timed out inside an AggregateError as a connect timeout', () => {
    const timedOut6 = sysError('ETIMEDOUT', 'connect ETIMEDOUT 2001:db8::1:443', 'connect');
    const refused4 = sysError('ECONNREFUSED', 'connect ECONNREFUSED 192.0.2.1:443', 'connect');
    const aggregate = Object.assign(new AggregateError([timedOut6, refused4], ''), { code: 'ETIMEDOUT' });
    expect(classifyError(aggregate).code).toBe('connect_timeout');
  });

  it('classifies an AggregateError without a code by its first cause', () => {
    const aggregate = new AggregateError([sysError('ENOTFOUND', 'getaddrinfo ENOTFOUND web01', 'getaddrinfo')], 'all failed');
    expect(classifyError(aggregate)).toEqual({ code: 'dns', message: 'getaddrinfo ENOTFOUND web01' });
  });

  it('falls back to reset for an empty AggregateError, unknown codes and values that are not errors', () => {
    expect(classifyError(new AggregateError([], 'nothing'))).toEqual({ code: 'reset', message: 'nothing' });
    expect(classifyError(sysError('EWHATEVER', 'odd'))).toEqual({ code: 'reset', message: 'EWHATEVER: odd' });
    expect(classifyError(new Error('plain'))).toEqual({ code: 'reset', message: 'plain' });
    expect(classifyError('a string')).toEqual({ code: 'reset', message: 'a string' });
    expect(classifyError(undefined)).toEqual({ code: 'reset', message: 'undefined' });
    expect(classifyError(null)).toEqual({ code: 'reset', message: 'null' });
    expect(classifyError({ code: 42 })).toEqual({ code: 'reset', message: '[object Object]' });
    expect(classifyError({ code: 'ECONNREFUSED' })).toEqual({ code: 'refused', message: 'ECONNREFUSED: [object Object]' });
  });

  it.each([
    'connect ECONNREFUSED 127.0.0.1:80',
    'getaddrinfo ENOTFOUND web01',
    'Connect Timeout Error',
    'certificate has expired',
    'UND_ERR_HEADERS_TIMEOUT',
  ])('never reads the message: a code-less error saying %j is not classified by it', (message) => {
    expect(classifyError(new Error(message)).code).toBe('reset');
  });

  it('lets the code win over a message that says otherwise', () => {
    expect(classifyError(sysError('ECONNRESET', 'connect ECONNREFUSED timeout certificate')).code).toBe('reset');
    expect(classifyError(sysError('ENOTFOUND', 'Connect Timeout Error')).code).toBe('dns');
  });
});
