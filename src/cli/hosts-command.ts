// `fanout hosts`: the host list on stdout, its count on stderr (not when the reader left early: `| head` took what
// it wanted, and a count of what it did not read would only puzzle). Exit 0 either way (exit-codes.ts).
import { counted } from '../report/render-summary.js';
import { listHosts } from '../run/list-hosts.js';
import { exitCodeOfOutcome, type ExitCode } from './exit-codes.js';
import { ownStdoutErrors } from './process-io.js';
import { reportErrors } from './report-errors.js';
import { stdinHint } from './stdin-hint.js';
import { hostSources } from './to-run-config.js';

export function hostsCommand(args: readonly string[], files: readonly string[] | undefined): Promise<ExitCode> {
  ownStdoutErrors();
  return reportErrors(async () => {
    const sources = hostSources(args, files);
    const hint = stdinHint(sources, process.stdin.isTTY === true);
    if (hint !== null) process.stderr.write(`fanout: ${hint}\n`);
    const { total, duplicates, complete } = await listHosts(sources, process.stdout);
    if (complete) {
      process.stderr.write(`fanout: ${counted(total, 'host')}${duplicates > 0 ? ` (${counted(duplicates, 'duplicate')} dropped)` : ''}\n`);
    }
    return exitCodeOfOutcome({ kind: 'listing', complete });
  });
}
