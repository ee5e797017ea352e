// Runs one command and measures it as a user would feel it: wall time, and the CPU of the process and
// every child it waited for (bash's `times`, so no extra package is needed), plus the CPU that named
// long-running helpers (gearmand, workers) spent meanwhile (/proc/PID/stat).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface Measurement {
  wallMs: number;
  cpuMs: number;
  exitCode: number;
}

const TIMES_LINE = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s/g;
/** USER_HZ: the unit of /proc/PID/stat times on Linux. */
const CLOCK_TICK_MS = 10;

function seconds(min: string | undefined, sec: string | undefined): number {
  return Number(min ?? 0) * 60 + Number(sec ?? 0);
}

/** utime + stime of a live process, in ms; 0 once it has gone. */
function processCpuMs(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) * CLOCK_TICK_MS;
  } catch {
    return 0;
  }
}

const helpersCpuMs = (pids: readonly number[]): number => pids.reduce((sum, pid) => sum + processCpuMs(pid), 0);

/** `cmd` is a shell command line; its stdout goes to /dev/null unless redirected inside `cmd`. */
export function measure(cmd: string, helperPids: readonly number[] = []): Promise<Measurement> {
  return new Promise((resolve, reject) => {
    const helpersBefore = helpersCpuMs(helperPids);
    const started = performance.now();
    const child = spawn('bash', ['-c', `{ ${cmd}; } >/dev/null; rc=$?; times >&2; exit $rc`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', reject);
    child.on('close', (code) => {
      const wallMs = performance.now() - started;
      // `times` prints two lines: the shell's own user/sys, then its children's.
      const lines = [...stderr.matchAll(TIMES_LINE)];
      const children = lines[lines.length - 1];
      if (!children) {
        reject(new Error(`no CPU times for: ${cmd}\n${stderr.slice(-2000)}`));
        return;
      }
      const ownMs = (seconds(children[1], children[2]) + seconds(children[3], children[4])) * 1000;
      resolve({ wallMs, cpuMs: ownMs + helpersCpuMs(helperPids) - helpersBefore, exitCode: code ?? -1 });
    });
  });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
