// What `fanout worker` does once oclif has parsed its flags: check them, then run one FanoutWorker in this
// process, or (--processes N > 1) a Supervisor of N child processes each running `fanout worker`.
// Signals: the first SIGTERM/SIGINT stops gracefully (exit 0 once the jobs in hand are delivered); a second
// one quits at once (exit 130; a worker's unfinished jobs go back to gearmand). Logs for people go to stderr,
// one line per notable event; stdout stays empty.
import { WORKER_DEFAULTS } from '../defaults.js';
import { formatServerAddress } from '../gearman/server-address.js';
import { Supervisor } from '../worker/supervisor.js';
import { checkWorkerOptions, FanoutWorker, WorkerOptionError } from '../worker/fanout-worker.js';
import type { FanoutWorkerOptions, JobEnd, LogLevel } from '../worker/fanout-worker.js';
import { EXIT } from './exit-codes.js';
import type { ExitCode } from './exit-codes.js';
import { clampToFdLimit } from './fd-limit.js';
import { skipErrorStacks } from './process-io.js';
import { onStopSignals } from './signals.js';
import { parseServersFlag } from './servers-flag.js';
import { reportErrors } from './report-errors.js';
import { UsageError } from './usage-error.js';

export interface WorkerFlags {
  gearman: string;
  function: string;
  concurrency: number;
  'max-jobs': number;
  id?: string | undefined;
  processes: number;
  quiet: boolean;
}

type Log = (line: string, level: LogLevel) => void;

export function runWorkerCommand(flags: WorkerFlags): Promise<ExitCode> {
  skipErrorStacks();
  return reportErrors(async () => {
    const options = workerOptions(flags);
    // A supervised child names itself, so that N children logging to one stderr can be told apart.
    const prefix = process.channel ? `fanout worker: [${process.pid}] ` : 'fanout worker: ';
    const log: Log = (line, level) => {
      if (level === 'warn' || !flags.quiet) process.stderr.write(`${prefix}${line}\n`);
    };
    return flags.processes > 1 ? supervise(flags, log) : serve(options, log);
  });
}

function workerOptions(flags: WorkerFlags): FanoutWorkerOptions {
  const servers = parseServersFlag(flags.gearman);
  const options: FanoutWorkerOptions = {
    servers,
    functionName: flags.function,
    concurrency: flags.concurrency,
    maxJobs: flags['max-jobs'],
    ...(flags.id === undefined ? {} : { id: flags.id }),
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

async function supervise(flags: WorkerFlags, log: Log): Promise<ExitCode> {
  const script = process.argv[1] ?? '';
  const supervisor = new Supervisor({
    processes: flags.processes,
    command: process.execPath,
    args: (slot) => [...process.execArgv, script, 'worker', ...childFlags(flags, slot)],
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
  ];
}

/** One line per job: which, how many hosts, how they went, how long it took. */
export function jobEndLine(job: JobEnd): string {
  const failed = job.records - job.ok;
  const seconds = `${(job.durationMs / 1000).toFixed(1)} s`;
  const counts = `${job.records} of ${job.hosts} hosts · ${job.ok} ok · ${failed} failed · ${seconds}`;
  return job.outcome === 'complete' ? `job ${job.unique}: ${counts}` : `job ${job.unique} ${job.outcome}: ${counts}`;
}
