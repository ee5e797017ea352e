// Flags → RunConfig: every flag checked here, once, with errors that name the flag. Reads the --data file.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import type { Interfaces } from '@oclif/core';
import { REQUEST_DEFAULTS } from '../defaults.js';
import type { HostSource } from '../hosts/host-source.js';
import type { RequestSpec } from '../jobs/request-spec.js';
import type { OutputFormat, RunConfig } from '../run/run-config.js';
import { hasHeader, parseHeaders } from './parse-headers.js';
import { parseServersFlag } from './servers-flag.js';
import { parseDuration, parseSize } from './parse-units.js';
import type { runFlags } from './run-flags.js';
import { UsageError } from './usage-error.js';

export type RunFlags = Interfaces.InferredFlags<typeof runFlags>;

export type Verb = 'pull' | 'push';

export interface PushFlags {
  data?: string | undefined;
  'idempotency-key': boolean;
}

const METHOD = /^[A-Z][A-Z-]*$/;
const RUN_ID = /^[A-Za-z0-9._-]{1,40}$/;

export function hostSources(args: readonly string[], files: readonly string[] | undefined): HostSource[] {
  const sources: HostSource[] = [];
  if (args.length > 0) sources.push({ kind: 'args', entries: args });
  for (const file of files ?? []) sources.push(file === '-' ? { kind: 'stdin' } : { kind: 'file', path: file });
  if (sources.length === 0) throw new UsageError('no hosts given: pass them as arguments or with -f FILE (- for stdin)');
  return sources;
}

/** `-d STRING`, `-d @FILE`, `-d @-` (stdin). */
async function readData(data: string, stdinTaken: boolean, readStdin: () => Promise<Buffer>): Promise<Buffer> {
  if (!data.startsWith('@')) return Buffer.from(data, 'utf8');
  const path = data.slice(1);
  if (path === '-') {
    if (stdinTaken) throw new UsageError('-d @- and -f - both want stdin: give one of them a file');
    return readStdin();
  }
  try {
    return await fs.readFile(path);
  } catch (err) {
    throw new UsageError(`-d/--data: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}

function looksLikeJson(body: Buffer): boolean {
  try {
    JSON.parse(body.toString('utf8'));
    return true;
  } catch {
    return false;
  }
}

export interface ConfigInput {
  verb: Verb;
  flags: RunFlags;
  push?: PushFlags | undefined;
  args: readonly string[];
  readStdin: () => Promise<Buffer>;
}

// oclif leaves a boolean flag that has no default undefined when it is not given, whatever RunFlags says:
// `=== true` keeps the spec plain booleans (it travels as JSON to workers).
export async function toRunConfig({ verb, flags, push, args, readStdin }: ConfigInput): Promise<RunConfig> {
  const sources = hostSources(args, flags['hosts-file']);
  const method = (flags.method ?? REQUEST_DEFAULTS.method[verb]).toUpperCase();
  if (!METHOD.test(method)) throw new UsageError(`-X/--method: invalid method "${flags.method}"`);
  const headers = parseHeaders(flags.header ?? []);
  let body: Buffer | null = null;
  if (push?.data !== undefined) {
    body = await readData(
      push.data,
      sources.some((s) => s.kind === 'stdin'),
      readStdin,
    );
    if (!hasHeader(headers, 'content-type') && looksLikeJson(body)) headers.push(['content-type', 'application/json']);
  }
  const runId = flags['run-id'] ?? randomBytes(6).toString('base64url');
  if (!RUN_ID.test(runId)) throw new UsageError(`--run-id: "${runId}" must be 1-40 letters, digits, dot, dash or underscore`);
  const timeoutMs = parseDuration('timeout', flags.timeout);
  const gearman = flags.gearman === undefined || flags.gearman === '' ? undefined : parseServersFlag(flags.gearman);
  if (gearman !== undefined && flags.threads !== undefined) {
    throw new UsageError('--threads is for local mode; with --gearman the workers spread the requests');
  }
  const spec: RequestSpec = {
    method,
    url: flags.url,
    headers,
    bodyBase64: body === null ? null : body.toString('base64'),
    timeoutMs,
    connectTimeoutMs: Math.min(parseDuration('connect-timeout', flags['connect-timeout']), timeoutMs),
    expect: flags.expect,
    retries: flags.retries,
    idempotencyKeyPrefix: verb === 'push' && push?.['idempotency-key'] !== false ? runId : null,
    captureBody: flags.body === true,
    maxBodyBytes: parseSize('max-body', flags['max-body']),
    includeHeaders: flags['include-headers'] === true,
    insecure: flags.insecure === true,
  };
  return {
    sources,
    spec,
    concurrency: flags.concurrency,
    threads: flags.threads,
    runId,
    outputFile: flags.output ?? null,
    format: flags.format as OutputFormat,
    summaryFile: flags.summary ?? null,
    quiet: flags.quiet === true,
    progress: flags.progress,
    dryRun: flags['dry-run'] === true,
    gearman:
      gearman === undefined
        ? null
        : {
            servers: gearman,
            functionName: flags.function,
            batchSize: flags['batch-size'],
            localWorkers: flags['local-workers'],
            serverTimeoutMs: parseDuration('server-timeout', flags['server-timeout']),
            stallTimeoutMs: parseDuration('stall-timeout', flags['stall-timeout']),
          },
  };
}
