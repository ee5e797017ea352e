// What `fanout status` shows: per server, the queued, running and worker counts of each function (text
// admin protocol `status`) and the worker connections with their ids (`workers`). A server that does not
// answer is reported, not fatal: the operator wants to see the others.
import { fetchStatus, fetchWorkers } from './admin-client.js';
import type { WorkerInfo } from './admin-text.js';
import { formatServerAddress, type ServerAddress } from './server-address.js';

export interface FunctionRow {
  function: string;
  /** Waiting for a worker (gearmand's total minus running). */
  queued: number;
  running: number;
  workers: number;
}

export interface ServerReport {
  server: string;
  ok: boolean;
  error: string | null;
  functions: FunctionRow[];
  /** Connections that registered at least one function (clients are left out). */
  workers: Array<{ id: string; ip: string; functions: string[] }>;
}

function workerRows(workers: readonly WorkerInfo[]): ServerReport['workers'] {
  return workers.filter((w) => w.functions.length > 0).map(({ id, ip, functions }) => ({ id, ip, functions }));
}

export async function clusterStatus(servers: readonly ServerAddress[], timeoutMs = 3000): Promise<ServerReport[]> {
  return Promise.all(
    servers.map(async (address): Promise<ServerReport> => {
      const server = formatServerAddress(address);
      try {
        const [status, workers] = await Promise.all([fetchStatus(address, { timeoutMs }), fetchWorkers(address, { timeoutMs })]);
        const functions = status.map((s) => ({
          function: s.function,
          queued: s.total - s.running,
          running: s.running,
          workers: s.workers,
        }));
        return { server, ok: true, error: null, functions, workers: workerRows(workers) };
      } catch (err) {
        return { server, ok: false, error: (err as Error).message, functions: [], workers: [] };
      }
    }),
  );
}

/** A table for people: one line per server and function, then the workers. */
export function renderClusterStatus(reports: readonly ServerReport[], only?: string): string {
  const rows: string[][] = [['SERVER', 'FUNCTION', 'QUEUED', 'RUNNING', 'WORKERS']];
  const notes: string[] = [];
  for (const report of reports) {
    if (!report.ok) {
      notes.push(`${report.server}: unreachable: ${report.error ?? ''}`);
      continue;
    }
    const functions = report.functions.filter((f) => only === undefined || f.function === only);
    if (functions.length === 0) rows.push([report.server, only ?? '-', '0', '0', '0']);
    for (const f of functions) rows.push([report.server, f.function, String(f.queued), String(f.running), String(f.workers)]);
    for (const w of report.workers) notes.push(`${report.server}: worker ${w.id} (${w.ip}): ${w.functions.join(' ')}`);
  }
  const widths = rows[0]!.map((_, col) => Math.max(...rows.map((r) => r[col]!.length)));
  const table = rows.map((r) =>
    r
      .map((cell, col) => (col >= 2 ? cell.padStart(widths[col]!) : cell.padEnd(widths[col]!)))
      .join('  ')
      .trimEnd(),
  );
  return `${[...table, ...notes].join('\n')}\n`;
}
