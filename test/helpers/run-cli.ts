// Spawns the real binary (bin/run.js, built dist/) and returns what a user would see.
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { HostResult } from '../../src/record/host-result.js';
import { checkRecords } from './schemas.js';

export const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));

export interface CliResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  stdin?: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the child after this long (a test must never hang on it). */
  timeoutMs?: number;
}

export interface RunningCli {
  readonly child: ChildProcessWithoutNullStreams;
  /** What it has written so far. */
  stdout(): string;
  stderr(): string;
  /** Settles once it has exited and its output has been read; rejects if it could not be started. */
  readonly exited: Promise<CliResult>;
  /** Kills it if it still runs and waits until it has gone: for a test's cleanup. */
  stop(): Promise<void>;
}

/** Starts the binary and returns at once, for tests that act on it while it runs (signals). */
export function startCli(args: readonly string[], options: Omit<CliOptions, 'timeoutMs'> = {}): RunningCli {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, FANOUT_GEARMAN: '', ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exited = new Promise<CliResult>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr }));
  });
  child.stdin.on('error', () => undefined); // the child may exit before reading stdin
  child.stdin.end(options.stdin ?? '');
  return {
    child,
    stdout: () => stdout,
    stderr: () => stderr,
    exited,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      await exited.catch(() => undefined);
    },
  };
}

export async function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliResult> {
  const { timeoutMs = 25_000, ...start } = options;
  const running = startCli(args, start);
  const timer = setTimeout(() => running.child.kill('SIGKILL'), timeoutMs);
  try {
    return await running.exited;
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Parses host records, one per line (the stdout of pull and push, an --output file), and checks each against
 * schema/host-result.schema.json: throws, with ajv's reasons, on a line that is not JSON or not a record.
 * For JSON lines that are not records (--dry-run), parseJsonLines.
 */
export function parseNdjson<T extends HostResult = HostResult>(text: string): T[] {
  return checkRecords<T>(parseJsonLines(text));
}

/** Parses JSON lines that are not host records (`--dry-run`'s `{host, method, url}`), failing loudly on a line that is not JSON. */
export function parseJsonLines<T = Record<string, unknown>>(text: string): T[] {
  const values: T[] = [];
  text.split('\n').forEach((line, index) => {
    if (line === '') return;
    try {
      values.push(JSON.parse(line) as T);
    } catch (err) {
      throw new Error(`line ${index + 1} is not JSON (${(err as Error).message}): ${line.slice(0, 200)}`);
    }
  });
  return values;
}
