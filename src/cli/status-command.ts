// `fanout status`: the cluster's queues and workers, a table for people or JSON for machines (stdout is
// the data either way). Exit 3 when a server does not answer, so a cron check can alert on it.
import { clusterStatus, renderClusterStatus } from '../gearman/cluster-status.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { reportErrors } from './report-errors.js';
import { parseServersFlag } from './servers-flag.js';

export function statusCommand(servers: string, only: string | undefined, json: boolean | undefined): Promise<ExitCode> {
  return reportErrors(async () => {
    const reports = await clusterStatus(parseServersFlag(servers));
    const shown = only === undefined ? reports : reports.map((r) => ({ ...r, functions: r.functions.filter((f) => f.function === only) }));
    process.stdout.write(json === true ? `${JSON.stringify(shown, null, 2)}\n` : renderClusterStatus(shown, only));
    return reports.every((r) => r.ok) ? EXIT.ok : EXIT.runFailure;
  });
}
