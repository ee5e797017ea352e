// `fanout hosts`: the host list on stdout, its count on stderr; exit 130 when the reader left early.
import { listHosts } from '../run/list-hosts.js';
import { EXIT, exitCodeOfOutcome, type ExitCode } from './exit-codes.js';
import { ownStdoutErrors } from './process-io.js';
import { reportErrors } from './report-errors.js';
import { hostSources } from './to-run-config.js';

export function hostsCommand(args: readonly string[], files: readonly string[] | undefined): Promise<ExitCode> {
  ownStdoutErrors();
  return reportErrors(async () => {
    const { total, duplicates, complete } = await listHosts(hostSources(args, files), process.stdout);
    if (!complete) return exitCodeOfOutcome({ kind: 'listing', complete });
    process.stderr.write(
      `fanout: ${total} hosts${duplicates > 0 ? ` (${duplicates} duplicate${duplicates === 1 ? '' : 's'} dropped)` : ''}\n`,
    );
    return EXIT.ok;
  });
}
