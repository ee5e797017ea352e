// Runs one command and measures it as a user would feel it: wall time, and the CPU of the process and
// every child it waited for (bash's `times`, so no extra package is needed), plus the CPU that named
// long-running helpers (gearmand, workers) spent meanwhile (/proc/PID/stat). Memory: the peak RSS of the
// command's process (GNU time's %M, the kernel's maxrss of that process), and of each helper during the run
// (its VmHWM, reset before the run through /proc/PID/clear_refs, so an earlier run's peak does not count).
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Measurement {
  wallMs: number;
  cpuMs: number;
  exitCode: number;
  /** Peak RSS of the command's process in MB; null without /usr/bin/time. */
  peakRssMb: number | null;
  /** Peak RSS of each helper during the run in MB, in helperPids order; null where /proc would not tell. */
  helperRssMb: (number | null)[];
}

export interface MeasureOptions {
  /** Long-running helpers (gearmand, workers) whose CPU and memory during the run are reported. */
  helperPids?: readonly number[];
  /** The command's stdout goes here (else /dev/null). */
  stdout?: string;
  /** Added to the command's environment. */
  env?: Record<string, string>;
}

const TIMES_LINE = /(\d+)m([\d.]+)s (\d+)m([\d.]+)s/g;
/** USER_HZ: the unit of /proc/PID/stat times on Linux. */
const CLOCK_TICK_MS = 10;
const GNU_TIME = '/usr/bin/time';
const hasGnuTime = existsSync(GNU_TIME);
let measured = 0;

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

/** "5" resets the process's peak RSS (VmHWM) to its current RSS (Linux ≥ 4.0; our own children only). */
function resetPeakRss(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // gone, or not ours: its VmHWM then covers its whole life, which peakRss still reports
  }
}

function peakRssMb(pid: number): number | null {
  try {
    const kb = /^VmHWM:\s+(\d+) kB$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Number(kb) / 1024;
  } catch {
    return null;
  }
}

/** GNU time writes "Command exited with non-zero status N" before the value when the command failed. */
function readTimeFile(path: string): number | null {
  try {
    const kb = Number(readFileSync(path, 'utf8').trim().split('\n').at(-1));
    return Number.isFinite(kb) && kb > 0 ? kb / 1024 : null;
  } catch {
    return null;
  } finally {
    rmSync(path, { force: true });
  }
}

/** `cmd` is a shell command line: one program and its arguments (GNU time wraps it to see its peak RSS). */
export function measure(cmd: string, options: MeasureOptions = {}): Promise<Measurement> {
  const helperPids = options.helperPids ?? [];
  const rssFile = join(tmpdir(), `fanout-bench-rss-${process.pid}-${measured++}`);
  const timed = hasGnuTime ? `${GNU_TIME} -o ${rssFile} -f %M ${cmd}` : cmd;
  const script = `{ ${timed} > ${options.stdout ?? '/dev/null'}; }; rc=$?; times >&2; exit $rc`;
  return new Promise((resolve, reject) => {
    for (const pid of helperPids) resetPeakRss(pid);
    const helpersBefore = helpersCpuMs(helperPids);
    const started = performance.now();
    const child = spawn('bash', ['-c', script], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...options.env } });
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
      resolve({
        wallMs,
        cpuMs: ownMs + helpersCpuMs(helperPids) - helpersBefore,
        exitCode: code ?? -1,
        peakRssMb: hasGnuTime ? readTimeFile(rssFile) : null,
        helperRssMb: helperPids.map(peakRssMb),
      });
    });
  });
}

export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
