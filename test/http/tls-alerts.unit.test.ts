// The TLS alert keeper: a connection's TLS error (an alert after the TLS 1.3 handshake) reaches the request's
// handler in place of undici's SocketError for the same connection, and no other request's.
import { EventEmitter } from 'node:events';
import type { Dispatcher } from 'undici';
import { errors } from 'undici';
import { describe, expect, it } from 'vitest';
import { TlsAlertKeeper } from '../../src/http/tls-alerts.js';

const controller = { aborted: false, paused: false, reason: null, abort: () => undefined, pause: () => undefined, resume: () => undefined };
const CONNECTION = { localAddress: '127.0.0.1', localPort: 40122, remoteAddress: '127.96.0.1', remotePort: 8443 };
const alert = Object.assign(new Error('80EC…:SSL routines:…:tlsv13 alert certificate required'), {
  code: 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
});

/** A connected socket as the connector hands it over (its four addresses), watched by `keeper`. */
function connectedSocket(keeper: TlsAlertKeeper, addresses = CONNECTION): EventEmitter {
  const socket = Object.assign(new EventEmitter(), addresses);
  keeper.watch(() => undefined)(null, socket as never);
  return socket;
}

/** The error a request to `origin` ends with when undici fails it with `undiciError`. */
function errorSeen(keeper: TlsAlertKeeper, undiciError: Error, origin = 'https://127.96.0.1:8443'): Error | null {
  let seen: Error | null = null;
  const dispatch = keeper.interceptor((_options, handler) => {
    handler.onResponseError?.(controller, undiciError);
    return true;
  });
  const handler: Dispatcher.DispatchHandler = { onResponseError: (_c, error) => (seen = error) };
  dispatch({ origin, path: '/', method: 'GET' }, handler);
  return seen;
}

const socketError = (addresses = CONNECTION): Error =>
  Object.assign(new errors.SocketError('other side closed'), { socket: { ...addresses, remoteFamily: 'IPv4' } });

describe('TlsAlertKeeper', () => {
  it("puts the connection's TLS alert in place of undici's SocketError", () => {
    const keeper = new TlsAlertKeeper();
    connectedSocket(keeper).emit('error', alert);
    expect(errorSeen(keeper, socketError())).toBe(alert);
  });

  it('keeps the first TLS error of a connection, and ignores errors that are not TLS', () => {
    const keeper = new TlsAlertKeeper();
    const socket = connectedSocket(keeper);
    socket.emit('error', Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    expect(errorSeen(keeper, socketError())?.message).toBe('other side closed');
    socket.emit('error', alert);
    socket.emit('error', socketError());
    expect(errorSeen(keeper, socketError())).toBe(alert);
  });

  it("leaves another connection's error, and any error of a plain-HTTP request, as undici gave it", () => {
    const keeper = new TlsAlertKeeper();
    connectedSocket(keeper).emit('error', alert);
    const other = socketError({ ...CONNECTION, localPort: 40123 });
    expect(errorSeen(keeper, other)).toBe(other);
    const plain = socketError();
    expect(errorSeen(keeper, plain, 'http://127.96.0.1:8443')).toBe(plain);
  });

  it('forgets a connection once it has closed and undici has failed its request', async () => {
    const keeper = new TlsAlertKeeper();
    const socket = connectedSocket(keeper);
    socket.emit('error', alert);
    socket.emit('close');
    expect(errorSeen(keeper, socketError())).toBe(alert); // undici's own 'close' listener runs in the same turn
    await new Promise((resolve) => setImmediate(resolve));
    const later = socketError();
    expect(errorSeen(keeper, later)).toBe(later);
  });
});
