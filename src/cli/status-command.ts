// `fanout status`: the cluster's queues and workers, a table for people or JSON for machines (stdout is
// the data either way). Exit 3 when a server does not answer, so a cron check can alert on it.
import { clusterStatus, renderClusterStatus, type ServerReport } from '../gearman/cluster-status.js';
import { workerOfControlFunction } from '../jobs/wire-control.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import { reportErrors } from './report-errors.js';
import { parseServersFlag } from './servers-flag.js';

export function statusCommand(servers: string, only: string | undefined, json: boolean | undefined): Promise<ExitCode> {
  return reportErrors(async () => {
    const reports = (await clusterStatus(parseServersFlag(servers))).map(withoutControlFunctions);
    const shown = only === undefined ? reports : reports.map((r) => ({ ...r, functions: r.functions.filter((f) => f.function === only) }));
    process.stdout.write(json === true ? `${JSON.stringify(shown, null, 2)}\n` : renderClusterStatus(shown, only));
    return reports.every((r) => r.ok) ? EXIT.ok : EXIT.runFailure;
  });
}

const isControl = (functionName: string): boolean => workerOfControlFunction(functionName) !== null;

/**
 * A report without the workers' own control functions (`fanout.control.<id>`, one per worker, docs/gearman.md §10):
 * they carry no work, and gearmand lists a function for good once a worker registered it.
 */
export function withoutControlFunctions(report: ServerReport): ServerReport {
  return {
    ...report,
    functions: report.functions.filter((f) => !isControl(f.function)),
    workers: report.workers
      .map((w) => ({ ...w, functions: w.functions.filter((fn) => !isControl(fn)) }))
      .filter((w) => w.functions.length > 0),
  };
}
