// What pull and push do after oclif parsed the flags: build the RunConfig, run, map errors to exit codes.
import type { ExitCode } from '../run/exit-codes.js';
import { runFanout } from '../run/run-fanout.js';
import { processIo, readStdin, skipErrorStacks } from './process-io.js';
import { reportUsageErrors } from './report-usage-errors.js';
import { toRunConfig, type PushFlags, type RunFlags, type Verb } from './to-run-config.js';

export function runCommand(verb: Verb, flags: RunFlags, args: readonly string[], push?: PushFlags): Promise<ExitCode> {
  skipErrorStacks();
  return reportUsageErrors(async () => runFanout(await toRunConfig({ verb, flags, push, args, readStdin }), processIo()));
}
