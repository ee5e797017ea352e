import { errors } from 'undici';
import { describe, expect, it } from 'vitest';
import { classifyError, OutcomeError } from '../../src/http/classify-error.js';

/** A Node system error as net, dns and tls raise it: the stable fields are `code` and `syscall`. */
function sysError(code: string, message: string, syscall?: string): Error {
  return Object.assign(new Error(message), { code, ...(syscall === undefined ? {} : { syscall }) });
}

describe('classifyError', () => {
  it.each([
    [new errors.ConnectTimeoutError('Connect Timeout Error'), 'connect_timeout'],
    [new errors.HeadersTimeoutError('Headers Timeout Error'), 'timeout'],
    [new errors.BodyTimeoutError('Body Timeout Error'), 'timeout'],
    [new errors.SocketError('other side closed'), 'reset'],
    [new errors.ResponseContentLengthMismatchError('Response body length does not match content-length header'), 'reset'],
    [new errors.InvalidArgumentError('invalid request path'), 'invalid_target'],
  ])('maps undici %s', (err, code) => {
    expect(classifyError(err)).toEqual({ code, message: `${(err as Error & { code: string }).code}: ${err.message}` });
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
