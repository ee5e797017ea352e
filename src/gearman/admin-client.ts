// One-shot text admin commands against one gearmand (docs/gearman.md §4): connect, send one
// line, read its reply, disconnect, all within one deadline. For `fanout status` and for the client
// to tell "no worker registered for the function". Reply parsing lives in admin-text.ts.

import net from 'node:net';
import { AdminReplyAssembler, parseStatus, parseWorkers } from './admin-text.js';
import type { AdminReply, FunctionStatus, WorkerInfo } from './admin-text.js';
import { ConnectionErrorReason, GearmanConnectionError, GearmanProtocolError, GearmanServerError, ProtocolErrorCode } from './errors.js';
import { formatServerAddress } from './server-address.js';
import type { ServerAddress } from './server-address.js';

export interface AdminOptions {
  /** Deadline for connecting, sending and reading the whole reply (default 5 s). */
  timeoutMs?: number;
}

const DEFAULT_TIMEOUT_MS = 5_000;

/**
 * Sends one admin command and resolves with its reply, `ERR` replies included. Rejects with
 * GearmanConnectionError (connect failure, closed early, TIMEOUT) or GearmanProtocolError.
 */
export function adminCommand(address: ServerAddress, command: string, options: AdminOptions = {}): Promise<AdminReply> {
  if (/[\r\n]/.test(command)) return Promise.reject(new TypeError(`admin command must be one line, got ${JSON.stringify(command)}`));
  const server = formatServerAddress(address);
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  return new Promise((resolve, reject) => {
    const assembler = new AdminReplyAssembler();
    let connected = false;
    const socket = net.connect({ host: address.host, port: address.port });
    const finish = (outcome: () => void): void => {
      clearTimeout(timer);
      socket.destroy();
      outcome();
    };
    const timer = setTimeout(() => {
      const message = `admin command "${command}" got no complete reply within ${timeoutMs} ms`;
      finish(() => reject(new GearmanConnectionError(ConnectionErrorReason.TIMEOUT, server, message)));
    }, timeoutMs);

    socket.once('connect', () => {
      connected = true;
      assembler.expect(command);
      socket.write(`${command}\n`);
    });
    socket.on('data', (chunk: Buffer) => {
      let reply: AdminReply | undefined;
      try {
        reply = assembler.push(chunk)[0];
      } catch (error) {
        finish(() => reject(error as GearmanProtocolError)); // the assembler throws nothing else
        return;
      }
      if (reply !== undefined) finish(() => resolve(reply));
    });
    socket.once('error', (error) => {
      const reason = connected ? ConnectionErrorReason.CLOSED_BY_SERVER : ConnectionErrorReason.CONNECT_FAILED;
      finish(() => reject(new GearmanConnectionError(reason, server, `admin connection failed: ${error.message}`, { cause: error })));
    });
    socket.once('close', () => {
      const message = `connection closed before the reply to "${command}"`;
      finish(() => reject(new GearmanConnectionError(ConnectionErrorReason.CLOSED_BY_SERVER, server, message)));
    });
  });
}

/** `status`: queued (including running), running and workers per function. */
export async function fetchStatus(address: ServerAddress, options: AdminOptions = {}): Promise<FunctionStatus[]> {
  return parseStatus(listOf(await adminCommand(address, 'status', options), 'status'));
}

/** `workers`: every connection of the server with the functions it registered. */
export async function fetchWorkers(address: ServerAddress, options: AdminOptions = {}): Promise<WorkerInfo[]> {
  return parseWorkers(listOf(await adminCommand(address, 'workers', options), 'workers'));
}

function listOf(reply: AdminReply, command: string): string[] {
  if (reply.kind === 'list') return reply.lines;
  if (reply.kind === 'err') throw new GearmanServerError(reply.code, reply.message);
  throw new GearmanProtocolError(ProtocolErrorCode.BAD_ADMIN_REPLY, `"${command}" was answered with a single OK line`);
}
