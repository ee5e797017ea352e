// Flags → RunConfig: every flag checked here, once, with errors that name the flag. Reads the --data file
// (push-body.ts) and adds the headers fanout sends unless told otherwise.
import { randomBytes } from 'node:crypto';
import type { Interfaces } from '@oclif/core';
import { REQUEST_DEFAULTS } from '../defaults.js';
import type { HostSource } from '../hosts/host-source.js';
import type { RequestSpec } from '../jobs/request-spec.js';
import type { OutputFormat, RunConfig } from '../run/run-config.js';
import { checkForgottenFileFlag } from './forgotten-file-flag.js';
import { hasHeader, parseHeaders } from './parse-headers.js';
import { readPushBody, type PushBody } from './push-body.js';
import { parseServersFlag } from './servers-flag.js';
import { parseDuration, parseSize } from './parse-units.js';
import type { runFlags } from './run-flags.js';
import { UsageError } from './usage-error.js';
import { userAgent } from './version.js';

export type RunFlags = Interfaces.InferredFlags<typeof runFlags>;

export type Verb = 'pull' | 'push';

export interface PushFlags {
  data?: string | undefined;
  'idempotency-key': boolean;
}

const METHOD = /^[A-Z][A-Z-]*$/;
const RUN_ID = /^[A-Za-z0-9._-]{1,40}$/;

export function hostSources(args: readonly string[], files: readonly string[] | undefined): HostSource[] {
  checkForgottenFileFlag(args);
  const sources: HostSource[] = [];
  if (args.length > 0) sources.push({ kind: 'args', entries: args });
  for (const file of files ?? []) sources.push(file === '-' ? { kind: 'stdin' } : { kind: 'file', path: file });
  if (sources.length === 0) throw new UsageError('no hosts given: pass them as arguments or with -f FILE (- for stdin)');
  return sources;
}

/**
 * What fanout adds unless -H gave the header (in any case), ahead of the user's: the body's Content-Type, and a
 * User-Agent naming fanout and its version.
 */
function defaultHeaders(given: ReadonlyArray<readonly [string, string]>, body: PushBody | null): Array<[string, string]> {
  const added: Array<[string, string]> = [];
  if (body !== null && body.contentType !== null) added.push(['content-type', body.contentType]);
  if (!hasHeader(given, 'user-agent')) added.push(['user-agent', userAgent()]);
  return added;
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
  const given = parseHeaders(flags.header ?? []);
  const body =
    verb === 'push'
      ? await readPushBody(push?.data, {
          hasContentType: hasHeader(given, 'content-type'),
          stdinTaken: sources.some((s) => s.kind === 'stdin'),
          readStdin,
        })
      : null;
  const runId = flags['run-id'] ?? randomBytes(6).toString('base64url');
  if (!RUN_ID.test(runId)) throw new UsageError(`--run-id: "${runId}" must be 1-40 letters, digits, dot, dash or underscore`);
  const timeoutMs = parseDuration('timeout', flags.timeout);
  const followRedirects = flags.follow ?? 0;
  if (flags['follow-any-host'] === true && followRedirects === 0) throw new UsageError('--follow-any-host needs --follow N');
  const gearman = flags.gearman === undefined ? undefined : parseServersFlag(flags.gearman);
  if (gearman !== undefined && flags.threads !== undefined) {
    throw new UsageError('--threads is for local mode; with --gearman the workers spread the requests');
  }
  const spec: RequestSpec = {
    method,
    url: flags.url,
    headers: [...defaultHeaders(given, body), ...given],
    bodyBase64: body === null ? null : body.bytes.toString('base64'),
    timeoutMs,
    connectTimeoutMs: Math.min(parseDuration('connect-timeout', flags['connect-timeout']), timeoutMs),
    expect: flags.expect,
    retries: flags.retries,
    retryDelayMs: REQUEST_DEFAULTS.retryDelayMs,
    retryMaxDelayMs: REQUEST_DEFAULTS.retryMaxDelayMs,
    retryUnsafe: false,
    deadlineMs: null,
    followRedirects,
    followAnyHost: flags['follow-any-host'] === true,
    secretHeaders: [],
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
