// What pull and push do after oclif parsed the flags: build the RunConfig, run, map errors to exit codes.
import type { ExitCode } from '../run/exit-codes.js';
import { createGearmanBackend } from '../run/gearman/gearman-backend.js';
import { localWorkerStarter } from '../run/gearman/local-workers.js';
import type { RunConfig } from '../run/run-config.js';
import { runFanout, type RunIo } from '../run/run-fanout.js';
import { fdLimitWarning } from './fd-limit.js';
import { processIo, readStdin, skipErrorStacks } from './process-io.js';
import { reportErrors } from './report-errors.js';
import { toRunConfig, type PushFlags, type RunFlags, type Verb } from './to-run-config.js';

function withGearman(io: RunIo): RunIo {
  return {
    ...io,
    createGearmanBackend: (config: RunConfig) => {
      if (config.gearman === null) throw new Error('gearman backend without --gearman');
      return createGearmanBackend({
        ...config.gearman,
        runId: config.runId,
        startLocalWorkers: localWorkerStarter(config.gearman.functionName, config.concurrency),
        log: config.quiet ? undefined : (line) => io.stderr.write(`fanout: ${line}\n`),
      });
    },
  };
}

export function runCommand(verb: Verb, flags: RunFlags, args: readonly string[], push?: PushFlags): Promise<ExitCode> {
  skipErrorStacks();
  return reportErrors(async () => {
    const config = await toRunConfig({ verb, flags, push, args, readStdin });
    const io = withGearman(processIo());
    const warning = config.gearman === null || config.gearman.localWorkers > 0 ? fdLimitWarning(config.concurrency) : null;
    if (warning !== null && !config.quiet) io.stderr.write(`fanout: warning: ${warning}\n`);
    return runFanout(config, io);
  });
}
