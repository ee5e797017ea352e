// What pull and push do after oclif parsed the flags: build the RunConfig, run, map the outcome to an exit code.
import { runFanout } from '../run/run-fanout.js';
import { exitCodeOfOutcome, type ExitCode } from './exit-codes.js';
import { fdLimitWarning } from './fd-limit.js';
import { processIo, readStdin, skipErrorStacks } from './process-io.js';
import { reportErrors } from './report-errors.js';
import { stdinHint } from './stdin-hint.js';
import { toRunConfig, type PushFlags, type RunFlags, type Verb } from './to-run-config.js';

export function runCommand(verb: Verb, flags: RunFlags, args: readonly string[], push?: PushFlags): Promise<ExitCode> {
  skipErrorStacks();
  return reportErrors(async () => {
    const config = await toRunConfig({ verb, flags, push, args, readStdin });
    const io = processIo();
    // This process holds the request sockets in local mode and with embedded workers; else the workers do.
    const warning = config.gearman === null || config.gearman.localWorkers > 0 ? fdLimitWarning(config.concurrency) : null;
    if (warning !== null && !config.quiet) io.stderr.write(`fanout: warning: ${warning}\n`);
    const hint = config.quiet ? null : stdinHint(config.sources, process.stdin.isTTY === true);
    if (hint !== null) io.stderr.write(`fanout: ${hint}\n`);
    return exitCodeOfOutcome(await runFanout(config, io));
  });
}
