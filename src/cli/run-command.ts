// What pull and push do after oclif parsed the flags: build the RunConfig, run, map the outcome to an exit code.
import { runFanout } from '../run/run-fanout.js';
import { exitCodeOfOutcome, type ExitCode } from './exit-codes.js';
import { clampToFdLimit } from './fd-limit.js';
import { processIo, readStdin, skipErrorStacks } from './process-io.js';
import { reportErrors } from './report-errors.js';
import { stdinHint } from './stdin-hint.js';
import { toRunConfig, type PushFlags, type RunFlags, type Verb } from './to-run-config.js';

export function runCommand(verb: Verb, flags: RunFlags, args: readonly string[], push?: PushFlags): Promise<ExitCode> {
  skipErrorStacks();
  return reportErrors(async () => {
    const asked = await toRunConfig({ verb, flags, push, args, readStdin });
    const io = processIo();
    // This process holds the request sockets in local mode and with embedded workers; else the workers do (and clamp their own).
    const holdsSockets = asked.gearman === null || asked.gearman.localWorkers > 0;
    const { concurrency, warning } = holdsSockets ? clampToFdLimit(asked.concurrency) : { concurrency: asked.concurrency, warning: null };
    const config = { ...asked, concurrency };
    if (warning !== null && !config.quiet) io.stderr.write(`fanout: warning: ${warning}\n`);
    const hint = config.quiet ? null : stdinHint(config.sources, process.stdin.isTTY === true);
    if (hint !== null) io.stderr.write(`fanout: ${hint}\n`);
    return exitCodeOfOutcome(await runFanout(config, io));
  });
}
