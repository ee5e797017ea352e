// Integration-test helper: runs a real gearmand on 127.0.0.1 and stops it. It owns the child process,
// its temp directory (log and pid file) and a last-resort kill when the test process exits.
//
// The port: by default gearmand gets `--port=0` and the kernel picks a free one, which we read back
// from /proc (the socket inode of the process's listening socket). That has no race, unlike
// probing for a free port and then starting gearmand on it. Pass `port` to restart on a known port.

import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { mkdtemp, readFile, readdir, readlink, rm } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

export const GEARMAND_PATH = process.env['FANOUT_GEARMAND'] ?? '/usr/sbin/gearmand';

export const gearmandAvailable = isExecutable(GEARMAND_PATH);

export interface GearmandOptions {
  /** Listen on this port (e.g. to restart a stopped server on its old port); default: a free one. */
  port?: number;
  /** Extra gearmand arguments, e.g. `['--job-retries=2']`. */
  args?: readonly string[];
  /** Give up waiting for the port after this long. */
  startTimeoutMs?: number;
}

export interface Gearmand {
  host: '127.0.0.1';
  port: number;
  pid: number;
  /** `127.0.0.1:PORT`, as a `--servers` value. */
  address: string;
  logFile: string;
  /** SIGTERM (after SIGCONT, in case a test stopped it), then SIGKILL if it has not exited in 5 s; removes its temp dir. */
  stop(): Promise<void>;
  /** Sends a signal without waiting, e.g. SIGKILL to simulate a crash or SIGSTOP a hang. */
  kill(signal: NodeJS.Signals): void;
  /** Resolves when the process has exited, however that happened. */
  exited: Promise<void>;
  readLog(): Promise<string>;
}

const HOST = '127.0.0.1';
const POLL_MS = 10;
const STOP_GRACE_MS = 5_000;

/** Every gearmand not yet exited, killed if the test process exits without stopping them. */
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

export async function startGearmand(options: GearmandOptions = {}): Promise<Gearmand> {
  if (!gearmandAvailable) {
    throw new Error(
      `gearmand not found at ${GEARMAND_PATH}: install the gearman-job-server package ` + `or set FANOUT_GEARMAND to the gearmand binary`,
    );
  }
  if (options.port !== undefined) await assertPortFree(options.port);
  installExitHook();
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fanout-gearmand-'));
  const logFile = path.join(dir, 'gearmand.log');
  const args = [
    `--listen=${HOST}`,
    `--port=${options.port ?? 0}`,
    `--log-file=${logFile}`,
    `--pid-file=${path.join(dir, 'gearmand.pid')}`,
    '--verbose=INFO',
    ...(options.args ?? []),
  ];
  const child = spawn(GEARMAND_PATH, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  running.add(child);
  let stderr = '';
  child.stderr?.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const exited = new Promise<void>((resolve) => {
    child.once('exit', () => {
      running.delete(child);
      resolve();
    });
  });
  const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
  let hasExited = false;
  void exited.then(() => (hasExited = true));

  const readLog = async (): Promise<string> => readFile(logFile, 'utf8').catch(() => '');
  const fail = async (problem: string): Promise<never> => {
    child.kill('SIGKILL');
    await exited;
    const log = await readLog();
    await rm(dir, { recursive: true, force: true });
    throw new Error(`gearmand ${args.join(' ')}: ${problem}\n--- stderr ---\n${stderr}--- log ---\n${log}`);
  };

  const deadline = Date.now() + (options.startTimeoutMs ?? 10_000);
  let port: number | undefined;
  while (port === undefined) {
    const error = await Promise.race([spawnError, delay(POLL_MS).then(() => undefined)]);
    if (error !== undefined) return fail(`could not start: ${error.message}`);
    if (hasExited) return fail(`exited during start-up with code ${child.exitCode ?? child.signalCode}`);
    if (Date.now() > deadline) {
      return fail('did not listen in time (gearmand keeps retrying bind() without logging it at INFO when the port is taken)');
    }
    port = await listeningPort(child.pid as number);
  }
  if (options.port !== undefined && port !== options.port) return fail(`listens on ${port}, not ${options.port}`);
  if (!(await accepts(port))) return fail(`port ${port} does not accept connections`);

  const pid = child.pid as number;
  return {
    host: HOST,
    port,
    pid,
    address: `${HOST}:${port}`,
    logFile,
    exited,
    readLog,
    kill: (signal) => {
      if (!hasExited) child.kill(signal);
    },
    stop: async () => {
      if (!hasExited) {
        child.kill('SIGCONT');
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
        await exited;
        clearTimeout(timer);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** Where a helper registers a stop to run after the test: a test file's `cleanups` list. */
export interface CleanupList {
  push(...cleanups: (() => Promise<void>)[]): unknown;
}

/**
 * A test file's `gearmand(port?)`: starts a gearmand (on `port` if given, else a free one) and registers its
 * stop in `cleanups`, the list the file runs after each test.
 */
export function gearmandPerTest(cleanups: CleanupList): (port?: number) => Promise<Gearmand> {
  return async (port) => {
    const server = await startGearmand(port === undefined ? {} : { port });
    cleanups.push(() => server.stop());
    return server;
  };
}

/** The TCP port of the process's listening socket, from /proc; undefined while it has none. */
async function listeningPort(pid: number): Promise<number | undefined> {
  const inodes = new Set<string>();
  const fds = await readdir(`/proc/${pid}/fd`).catch(() => []);
  for (const fd of fds) {
    const target = await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '');
    const match = /^socket:\[(\d+)\]$/.exec(target);
    if (match?.[1] !== undefined) inodes.add(match[1]);
  }
  if (inodes.size === 0) return undefined;
  const table = await readFile(`/proc/${pid}/net/tcp`, 'utf8').catch(() => '');
  for (const row of table.split('\n').slice(1)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode ...
    const fields = row.trim().split(/\s+/);
    const [, local, , state, , , , , , inode] = fields;
    if (state === '0A' && inode !== undefined && inodes.has(inode)) {
      return Number.parseInt(local?.split(':')[1] ?? '', 16);
    }
  }
  return undefined;
}

/** gearmand would retry bind() for minutes on a taken port; say so at once instead. */
async function assertPortFree(port: number): Promise<void> {
  const probe = net.createServer();
  await new Promise<void>((resolve, reject) => {
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new Error(`cannot start gearmand on ${HOST}:${port}: the port is in use (${error.code ?? error.message})`)),
    );
    probe.listen({ host: HOST, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: HOST, port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

function isExecutable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

/**
 * Resolves once process `pid` is in state T (stopped), polling /proc: kill('SIGSTOP') only queues the signal, and
 * a gearmand that has not stopped yet can still answer. The kernel's state, not an event of ours; bounded.
 */
export async function whenStopped(pid: number, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
    // `pid (comm) state ...`: the state follows the last ')', as comm may hold spaces or parentheses.
    if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('T')) return;
    if (Date.now() > deadline) throw new Error(`process ${pid} not stopped within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
