// What `fanout worker` does once oclif has parsed its flags: check them, then run one FanoutWorker in this
// process, or (--processes N > 1) a Supervisor of N child processes each running `fanout worker`.
// Signals: the first SIGTERM/SIGINT stops gracefully (exit 0 once the jobs in hand are delivered); a second
// one quits at once (exit 130; a worker's unfinished jobs go back to gearmand). Logs for people go to stderr,
// one line per notable event; stdout stays empty.
import { WORKER_DEFAULTS } from '../defaults.js';
import { formatServerAddress } from '../gearman/server-address.js';
import { AllowRuleError, parseAllowRules, type AllowRules } from '../http/allow-rules.js';
import { Supervisor } from '../worker/supervisor.js';
import { checkWorkerOptions, FanoutWorker, WorkerOptionError } from '../worker/fanout-worker.js';
import type { FanoutWorkerOptions, JobEnd, LogLevel } from '../worker/fanout-worker.js';
import { EXIT } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import { clampToFdLimit } from './fd-limit.js';
import { readSecret, SECRET_ENV } from './job-secret.js';
import { durationText, parseDuration } from './parse-units.js';
import { skipErrorStacks } from './process-io.js';
import { onStopSignals } from './signals.js';
import { parseServersFlag } from './servers-flag.js';
import { reportErrors } from './report-errors.js';
import { readTlsFlags, type TlsFlags } from './tls-flags.js';
import { UsageError } from './usage-error.js';

export interface WorkerFlags extends TlsFlags {
  gearman: string;
  function: string;
  concurrency: number;
  'max-jobs': number;
  id?: string | undefined;
  processes: number;
  quiet: boolean;
  // ---- lockdown (docs/gearman.md §9)
  allow?: string[] | undefined;
  secret?: string | undefined;
  'secret-file'?: string | undefined;
  'max-job-age': string;
}

type Log = (line: string, level: LogLevel) => void;

export function runWorkerCommand(flags: WorkerFlags): Promise<ExitCode> {
  skipErrorStacks();
  return reportErrors(async () => {
    const options = { ...(await workerOptions(flags)), tls: await readTlsFlags(flags) };
    // A supervised child names itself, so that N children logging to one stderr can be told apart.
    const prefix = process.channel ? `fanout worker: [${process.pid}] ` : 'fanout worker: ';
    const log: Log = (line, level) => {
      if (level === 'warn' || !flags.quiet) process.stderr.write(`${prefix}${line}\n`);
    };
    // Said once, by the process the operator started (supervised children run with the same options).
    if (!process.channel) for (const [line, level] of lockdownLines(options)) log(line, level);
    return flags.processes > 1 ? supervise(flags, options, log) : serve(options, log);
  });
}

async function workerOptions(flags: WorkerFlags): Promise<FanoutWorkerOptions> {
  const servers = parseServersFlag(flags.gearman);
  const options: FanoutWorkerOptions = {
    servers,
    functionName: flags.function,
    concurrency: flags.concurrency,
    maxJobs: flags['max-jobs'],
    ...(flags.id === undefined ? {} : { id: flags.id }),
    ...(await lockdownOptions(flags)),
  };
  try {
    checkWorkerOptions(options);
  } catch (error) {
    if (error instanceof WorkerOptionError) throw new UsageError(error.message);
    throw error;
  }
  return options;
}

/**
 * Calls `first` on the first stop signal (or when the supervisor of this process goes away) and `again` on
 * any later signal, each with what happened; both resolve with the exit code. The handlers are removed once
 * one has resolved.
 */
function untilSignalled(first: (event: string) => Promise<ExitCode>, again: (event: string) => Promise<ExitCode>): Promise<ExitCode> {
  return new Promise((resolve) => {
    let stopping = false;
    const finish = (code: ExitCode): void => {
      removeSignals();
      process.off('disconnect', onOrphaned);
      resolve(code);
    };
    const stopOnce = (event: string): void => {
      stopping = true;
      void first(event).then(finish);
    };
    const quit = (event: string): void => void again(event).then(finish);
    // A signal after the supervisor went away is already the second request to stop.
    const removeSignals = onStopSignals({ first: (signal) => (stopping ? quit(signal) : stopOnce(signal)), again: quit });
    const onOrphaned = (): void => {
      if (!stopping) stopOnce('the supervisor is gone');
    };
    if (process.channel) {
      process.channel.unref(); // the channel only tells us that the supervisor is gone; it must not hold the process
      process.once('disconnect', onOrphaned);
    }
  });
}

async function serve(options: FanoutWorkerOptions, log: Log): Promise<ExitCode> {
  const fd = clampToFdLimit(options.concurrency ?? WORKER_DEFAULTS.concurrency);
  const worker = new FanoutWorker({ ...options, concurrency: fd.concurrency, log });
  const servers = options.servers.map(formatServerAddress).join(', ');
  // Said once it is true: registered on a job server, not merely started.
  worker.once('registered', () =>
    log(
      `${worker.id} serving ${worker.functionName} from ${servers} (${worker.concurrency} requests, ${worker.maxJobs} jobs at most)`,
      'info',
    ),
  );
  worker.on('job-end', (job) => log(jobEndLine(job), 'info'));
  worker.start();
  if (fd.warning !== null) log(fd.warning, 'warn');
  return untilSignalled(
    async (event) => {
      log(`${event}: taking no new jobs, finishing the ${worker.stats.held} in hand; a second signal quits at once`, 'info');
      await worker.stop();
      return EXIT.ok;
    },
    (event) => {
      log(`${event} again: quitting, ${worker.stats.held} job(s) in hand go back to gearmand`, 'warn');
      void worker.kill();
      return Promise.resolve(EXIT.interrupted);
    },
  );
}

async function supervise(flags: WorkerFlags, options: FanoutWorkerOptions, log: Log): Promise<ExitCode> {
  const script = process.argv[1] ?? '';
  const supervisor = new Supervisor({
    processes: flags.processes,
    command: process.execPath,
    args: (slot) => [...process.execArgv, script, 'worker', ...childFlags(flags, slot)],
    // The secret reaches the children through their environment: their command lines are visible in ps.
    env: options.secret === undefined ? process.env : { ...process.env, [SECRET_ENV]: options.secret },
    log,
  });
  supervisor.start();
  log(`supervising ${flags.processes} worker processes`, 'info');
  return untilSignalled(
    async (event) => {
      log(`${event}: stopping ${supervisor.pids().length} worker processes once their jobs are delivered`, 'info');
      await supervisor.stop('SIGTERM');
      return EXIT.ok;
    },
    (event) => {
      log(`${event} again: the worker processes quit at once`, 'warn');
      void supervisor.stop('SIGTERM');
      return Promise.resolve(EXIT.interrupted);
    },
  );
}

/** The child's flags: the same as ours without --processes; a given --id gets the slot number. */
function childFlags(flags: WorkerFlags, slot: number): string[] {
  return [
    '--gearman',
    flags.gearman,
    '--function',
    flags.function,
    '--concurrency',
    String(flags.concurrency),
    '--max-jobs',
    String(flags['max-jobs']),
    ...(flags.id === undefined ? [] : ['--id', `${flags.id}/${slot + 1}`]),
    ...(flags.quiet ? ['--quiet'] : []),
    // Paths, not PEM: each child reads the files itself, so a key is never on a command line.
    ...(flags.ca === undefined ? [] : ['--ca', flags.ca]),
    ...(flags.cert === undefined ? [] : ['--cert', flags.cert]),
    ...(flags.key === undefined ? [] : ['--key', flags.key]),
    ...(flags.allow ?? []).flatMap((rules) => ['--allow', rules]),
    '--max-job-age',
    flags['max-job-age'],
  ];
}

// ---- lockdown (docs/gearman.md §9)

async function lockdownOptions(flags: WorkerFlags): Promise<Pick<FanoutWorkerOptions, 'allow' | 'secret' | 'maxJobAgeMs'>> {
  let allow: AllowRules | undefined;
  try {
    allow = flags.allow === undefined ? undefined : parseAllowRules(flags.allow);
  } catch (error) {
    if (error instanceof AllowRuleError) throw new UsageError(error.message);
    throw error;
  }
  const secret = await readSecret(flags, process.env);
  return {
    ...(allow === undefined ? {} : { allow }),
    ...(secret === null ? {} : { secret }),
    maxJobAgeMs: parseDuration('max-job-age', flags['max-job-age']),
  };
}

/** What the worker will and will not refuse, for the operator who started it: a warning for each open door. */
export function lockdownLines(options: Pick<FanoutWorkerOptions, 'allow' | 'secret' | 'maxJobAgeMs'>): Array<[string, LogLevel]> {
  const open: string[] = [];
  if (options.allow === undefined) open.push('no --allow: this worker will fetch any URL a job names');
  if (options.secret === undefined) open.push('no --secret: this worker runs jobs from anyone who can reach the job servers');
  const lines: Array<[string, LogLevel]> = open.length === 0 ? [] : [[`warning: ${open.join('; ')}`, 'warn']];
  const closed: string[] = [];
  if (options.allow !== undefined) closed.push(`fetching only hosts allowed by --allow ${options.allow.texts.join(',')}`);
  if (options.secret !== undefined) {
    closed.push(
      `running only jobs signed with the secret, at most ${durationText(options.maxJobAgeMs ?? WORKER_DEFAULTS.maxJobAgeMs)} old`,
    );
  }
  if (closed.length > 0) lines.push([closed.join('; '), 'info']);
  return lines;
}

/** One line per job: which, how many hosts, how they went, how long it took. */
export function jobEndLine(job: JobEnd): string {
  const failed = job.records - job.ok;
  const seconds = `${(job.durationMs / 1000).toFixed(1)} s`;
  const counts = `${job.records} of ${job.hosts} hosts · ${job.ok} ok · ${failed} failed · ${seconds}`;
  return job.outcome === 'complete' ? `job ${job.unique}: ${counts}` : `job ${job.unique} ${job.outcome}: ${counts}`;
}
