// Flags → RunConfig: every flag checked here, once, with errors that name the flag. Reads the --data file
// (push-body.ts) and adds the headers fanout sends unless told otherwise.
import { randomBytes } from 'node:crypto';
import { resolve } from 'node:path';
import type { Interfaces } from '@oclif/core';
import { REQUEST_DEFAULTS, SAFETY_DEFAULTS } from '../defaults.js';
import type { HostSource } from '../hosts/host-source.js';
import { compileUrlTemplate } from '../hosts/url-template.js';
import { parseExpect } from '../http/expect-status.js';
import type { JobSecret } from '../jobs/job-envelope.js';
import type { RequestSpec } from '../jobs/request-spec.js';
import { parseFailureThreshold, type FailureThreshold } from '../run/failure-threshold.js';
import type { OutputFormat, RunConfig } from '../run/run-config.js';
import { checkForgottenFileFlag } from './forgotten-file-flag.js';
import { readSecret, secretGiven } from './job-secret.js';
import { hasHeader, parseSecretHeaders, readHeaders } from './parse-headers.js';
import { readPushBody, type PushBody } from './push-body.js';
import { parseServersFlag } from './servers-flag.js';
import { parseDuration, parseSize } from './parse-units.js';
import { hasTlsFlags, readTlsFlags } from './tls-flags.js';
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
/** A template with `user:password@` before its host part: a credential every record's `url` would carry. */
const CREDENTIALS_IN_URL = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/?#]*@/;
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

/** Runs a lower layer's check of a flag's value; its error becomes a usage error that names the flag. */
function checkFlag(flag: string, check: () => unknown): void {
  try {
    check();
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

/**
 * --retry-delay, --retry-max-delay, --retry-unsafe, --deadline. A --retry-delay above --retry-max-delay is not an
 * error (the cap wins, as it does for every back-off: `--retry-max-delay 100ms` alone must not need a smaller
 * --retry-delay too). A --deadline shorter than --timeout is kept: the executor gives every attempt at most the time
 * its host has left, so it cuts the attempt short.
 */
function retryFlags(flags: RunFlags): Pick<RequestSpec, 'retryDelayMs' | 'retryMaxDelayMs' | 'retryUnsafe' | 'deadlineMs'> {
  return {
    retryDelayMs: parseDuration('retry-delay', flags['retry-delay']),
    retryMaxDelayMs: parseDuration('retry-max-delay', flags['retry-max-delay']),
    retryUnsafe: flags['retry-unsafe'] === true,
    deadlineMs: flags.deadline === undefined ? null : parseDuration('deadline', flags.deadline),
  };
}

/** --resume FILE: the records go to FILE, as NDJSON, so neither -o nor --format text can go with it. */
function resumeFile(flags: RunFlags): string | null {
  const file = flags.resume;
  if (file === undefined) return null;
  if (file === '') throw new UsageError('--resume: needs the file of an earlier run (NDJSON records)');
  if (flags.output !== undefined) throw new UsageError('--resume appends the records to its FILE: leave out -o/--output');
  if (flags.format === 'text') throw new UsageError('--resume FILE holds NDJSON records: leave out --format text');
  // The summary written at the end would replace the records of every run before.
  if (flags.summary !== undefined && resolve(flags.summary) === resolve(file)) {
    throw new UsageError('--summary: names the --resume file, which it would overwrite');
  }
  return file;
}

/** --max-failures N|P% with --min-sample, which only a percentage uses. */
function failureThreshold(flags: RunFlags): FailureThreshold | null {
  const text = flags['max-failures'];
  const minSample = flags['min-sample'];
  if (text === undefined) {
    if (minSample !== undefined) throw new UsageError('--min-sample: goes with --max-failures P%');
    return null;
  }
  const parsed = parseFailureThreshold(text, minSample ?? SAFETY_DEFAULTS.minSample);
  if ('error' in parsed) throw new UsageError(`--max-failures: ${parsed.error}`);
  if (parsed.threshold.kind === 'count' && minSample !== undefined) {
    throw new UsageError(`--min-sample: goes with --max-failures P%; a count (${text}) counts from the first host`);
  }
  return parsed.threshold;
}

export interface ConfigInput {
  verb: Verb;
  flags: RunFlags;
  push?: PushFlags | undefined;
  args: readonly string[];
  readStdin: () => Promise<Buffer>;
  /** Where FANOUT_SECRET is read from; default process.env. */
  env?: NodeJS.ProcessEnv | undefined;
}

// oclif leaves a boolean flag that has no default undefined when it is not given, whatever RunFlags says:
// `=== true` keeps the spec plain booleans (it travels as JSON to workers).
export async function toRunConfig({ verb, flags, push, args, readStdin, env = process.env }: ConfigInput): Promise<RunConfig> {
  const sources = hostSources(args, flags['hosts-file']);
  const method = (flags.method ?? REQUEST_DEFAULTS.method[verb]).toUpperCase();
  if (!METHOD.test(method)) throw new UsageError(`-X/--method: invalid method "${flags.method}"`);
  if (CREDENTIALS_IN_URL.test(flags.url)) {
    throw new UsageError(
      '-u/--url: a user:password in the URL would be written into every record; give an Authorization header instead, from a file (-H @FILE)',
    );
  }
  const given = await readHeaders(flags.header ?? []);
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
  checkFlag('-u/--url', () => compileUrlTemplate(flags.url));
  checkFlag('--expect', () => parseExpect(flags.expect));
  const timeoutMs = parseDuration('timeout', flags.timeout);
  const resume = resumeFile(flags);
  const maxFailures = failureThreshold(flags);
  const followRedirects = flags.follow ?? 0;
  if (flags['follow-any-host'] === true && followRedirects === 0) throw new UsageError('--follow-any-host needs --follow N');
  const gearman = flags.gearman === undefined ? undefined : parseServersFlag(flags.gearman);
  if (gearman !== undefined && flags.threads !== undefined) {
    throw new UsageError('--threads is for local mode; with --gearman the workers spread the requests');
  }
  if (gearman !== undefined) refuseTlsFlagsForGearman(flags);
  if (flags.ca !== undefined && flags.insecure === true) {
    throw new UsageError('--ca with -k/--insecure: -k verifies no certificate, so --ca would change nothing; give one of them');
  }
  const tls = await readTlsFlags(flags);
  const jobSecret = gearman === undefined ? null : await jobSecretOf(flags, env);
  if (gearman === undefined && (secretGiven(flags) || flags.encrypt === true)) {
    throw new UsageError('--secret, --secret-file and --encrypt protect the jobs sent to workers: they need --gearman');
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
    ...retryFlags(flags),
    followRedirects,
    followAnyHost: flags['follow-any-host'] === true,
    secretHeaders: parseSecretHeaders(flags['secret-header'] ?? []),
    // A key given with -H is the user's for every host: a second Idempotency-Key header would contradict it.
    idempotencyKeyPrefix: verb === 'push' && push?.['idempotency-key'] !== false && !hasHeader(given, 'idempotency-key') ? runId : null,
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
            ...(jobSecret === null ? {} : { jobSecret }),
          },
    resumeFile: resume,
    maxFailures,
    tls,
  };
}

/**
 * In gearman mode the workers make the connections, so trust and client certificates are theirs: a private key
 * given to the client would have to travel through gearmand (in clear) to reach them, and a CA would be trusted by
 * whichever worker took the job. -k/--insecure is a property of the request and travels with it.
 */
function refuseTlsFlagsForGearman(flags: RunFlags): void {
  if (flags.cert !== undefined || flags.key !== undefined) {
    throw new UsageError(
      '--cert/--key with --gearman: the workers make the connections, and a private key never travels through gearmand; start them with fanout worker --cert FILE --key FILE',
    );
  }
  if (hasTlsFlags(flags)) {
    throw new UsageError(
      '--ca with --gearman: the workers make the connections, so what they trust is theirs; start them with fanout worker --ca FILE',
    );
  }
}

/** The secret the jobs are sealed with (FANOUT_SECRET counts only here, in gearman mode), and whether to encrypt. */
async function jobSecretOf(flags: RunFlags, env: NodeJS.ProcessEnv): Promise<JobSecret | null> {
  const secret = await readSecret(flags, env);
  const encrypt = flags.encrypt === true;
  if (encrypt && secret === null)
    throw new UsageError('--encrypt needs --secret, --secret-file or FANOUT_SECRET: the key comes from the secret');
  return secret === null ? null : { secret, encrypt };
}
