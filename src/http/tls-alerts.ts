// Why a server that refuses the client's certificate is recorded `tls`, not `reset`. In TLS 1.3 the client has
// finished its handshake before the server judges the client's certificate, so a server that requires one (or
// distrusts the one it got) sends its alert after the handshake. By then undici has the socket: the alert comes as
// the socket's error (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED), the end of the stream right after it, and undici
// fails the request with the SocketError of that end ("other side closed"), which hides the alert.
//
// So the connector's callback is wrapped to keep the TLS error a socket had, keyed by the connection's four
// addresses (undici's SocketError carries them, the socket itself is not reachable from a request), and an
// interceptor hands the kept error to the request's handler instead of undici's. Keyed on error codes only.
import type { TLSSocket } from 'node:tls';
import type { buildConnector, Dispatcher } from 'undici';
import { errorCode } from './classify-error.js';

const TLS_ERROR = /^ERR_(SSL|TLS)_/;

interface SocketAddresses {
  localAddress?: string | undefined;
  localPort?: number | undefined;
  remoteAddress?: string | undefined;
  remotePort?: number | undefined;
}

function keyOf(addresses: SocketAddresses): string | null {
  const { localAddress, localPort, remoteAddress, remotePort } = addresses;
  if (localAddress === undefined || localPort === undefined || remoteAddress === undefined || remotePort === undefined) return null;
  return `${localAddress}:${localPort}>${remoteAddress}:${remotePort}`;
}

/** The addresses undici's SocketError names (its `socket` field), or null for any other error. */
function addressesOf(error: Error): SocketAddresses | null {
  if (errorCode(error) !== 'UND_ERR_SOCKET') return null;
  const socket = (error as { socket?: unknown }).socket;
  return typeof socket === 'object' && socket !== null ? (socket as SocketAddresses) : null;
}

/** One per dispatcher: the TLS errors of its live connections, until a request has taken each or it closed. */
export class TlsAlertKeeper {
  readonly #errors = new Map<string, Error>();

  /** The connector's callback, watching the TLS socket it is given. */
  watch(callback: buildConnector.Callback): buildConnector.Callback {
    return (...args) => {
      // undici's connector calls back with the error alone when the connection failed.
      const [error, socket] = args;
      if (error === null && socket) this.#watchSocket(socket as TLSSocket);
      callback(...args);
    };
  }

  #watchSocket(socket: TLSSocket): void {
    // Read now: a closed socket no longer knows its addresses.
    const key = keyOf(socket);
    if (key === null) return;
    socket.on('error', (error: Error) => {
      if (TLS_ERROR.test(errorCode(error) ?? '') && !this.#errors.has(key)) this.#errors.set(key, error);
    });
    // undici fails the request in its own 'close' listener, which runs after this one: forget once it has run.
    socket.once('close', () => setImmediate(() => this.#errors.delete(key)));
  }

  /** The interceptor (Dispatcher#compose) that puts a connection's TLS error in place of undici's SocketError. */
  readonly interceptor = (dispatch: Dispatcher.Dispatch): Dispatcher.Dispatch => {
    // Plain HTTP has no TLS error to reveal: its requests keep their handler, and pay nothing.
    return (options, handler) =>
      String(options.origin).startsWith('https:')
        ? dispatch(options, new RevealingHandler(handler, (error) => this.#revealed(error)))
        : dispatch(options, handler);
  };

  #revealed(error: Error): Error {
    const addresses = addressesOf(error);
    const key = addresses === null ? null : keyOf(addresses);
    return (key === null ? undefined : this.#errors.get(key)) ?? error;
  }
}

/** Passes everything through to the request's handler, but its error through `reveal`. */
class RevealingHandler implements Dispatcher.DispatchHandler {
  constructor(
    private readonly handler: Dispatcher.DispatchHandler,
    private readonly reveal: (error: Error) => Error,
  ) {}

  onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    this.handler.onRequestStart?.(controller, context);
  }

  onRequestUpgrade(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onRequestUpgrade']>>): void {
    this.handler.onRequestUpgrade?.(...args);
  }

  onResponseStart(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseStart']>>): void {
    this.handler.onResponseStart?.(...args);
  }

  onResponseData(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseData']>>): void {
    this.handler.onResponseData?.(...args);
  }

  onResponseEnd(...args: Parameters<NonNullable<Dispatcher.DispatchHandler['onResponseEnd']>>): void {
    this.handler.onResponseEnd?.(...args);
  }

  onResponseError(controller: Dispatcher.DispatchController, error: Error): void {
    this.handler.onResponseError?.(controller, this.reveal(error));
  }
}
