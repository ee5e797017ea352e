// The stop request: what a client sends to one worker's own control function when its run stops, so that the
// worker stops starting the hosts of that run's jobs (docs/gearman.md §10). Gearman cannot cancel a job that a
// worker holds, so each `fanout worker` registers `fanout.control.<its id>` beside `fanout.http`, and the client
// submits this payload there at high priority. Encode and decode side by side, as for the job payload.
//
// A request names the run's jobs by (unique, handle): the unique alone (`<runId>:<n>`) would also name the jobs of
// a later run that reuses the run id (--run-id, a resume), which a worker remembering the stop must not touch;
// gearmand never hands out a handle twice while it runs. A job whose JOB_CREATED had not arrived yet is named by
// its unique alone (handle null).

export const CONTROL_VERSION = 1;

/** The control function of the worker whose records carry `workerId` in `worker`. */
export function controlFunctionName(workerId: string): string {
  return `${CONTROL_PREFIX}${workerId}`;
}

/** The worker id of a control function name, null for any other function. */
export function workerOfControlFunction(functionName: string): string | null {
  return functionName.startsWith(CONTROL_PREFIX) && functionName.length > CONTROL_PREFIX.length
    ? functionName.slice(CONTROL_PREFIX.length)
    : null;
}

const CONTROL_PREFIX = 'fanout.control.';

/** `drain`: requests in flight finish normally (--max-failures); `abort`: they are aborted too (Ctrl-C). */
export type StopMode = 'drain' | 'abort';

export interface StoppedJob {
  unique: string;
  /** The job's handle on its server; null when the client did not have it yet. */
  handle: string | null;
}

export interface StopRequest {
  /** The run's id, for the worker's log line. */
  run: string;
  mode: StopMode;
  jobs: StoppedJob[];
}

export class ControlPayloadError extends Error {
  override readonly name = 'ControlPayloadError';
}

export function encodeStopRequest({ run, mode, jobs }: StopRequest): string {
  return JSON.stringify({ v: CONTROL_VERSION, stop: run, mode, jobs: jobs.map((job) => [job.unique, job.handle]) });
}

export function decodeStopRequest(bytes: Buffer | string): StopRequest {
  let value: unknown;
  try {
    value = JSON.parse(bytes.toString());
  } catch {
    throw new ControlPayloadError('not JSON');
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new ControlPayloadError('expected a JSON object');
  const { v, stop, mode, jobs } = value as Record<string, unknown>;
  if (v !== CONTROL_VERSION) throw new ControlPayloadError(`v: expected ${CONTROL_VERSION}`);
  if (typeof stop !== 'string') throw new ControlPayloadError('stop: expected the run id, a string');
  if (mode !== 'drain' && mode !== 'abort') throw new ControlPayloadError('mode: expected "drain" or "abort"');
  if (!Array.isArray(jobs) || !jobs.every(isJobPair)) throw new ControlPayloadError('jobs: expected [[unique, handle or null], …]');
  return { run: stop, mode, jobs: jobs.map(([unique, handle]) => ({ unique, handle })) };
}

function isJobPair(value: unknown): value is [string, string | null] {
  return Array.isArray(value) && value.length === 2 && typeof value[0] === 'string' && (value[1] === null || typeof value[1] === 'string');
}

/** The control job's WORK_COMPLETE: how many of the named jobs the worker held when the request came. */
export function encodeStopReply(jobsHeld: number): string {
  return `${JSON.stringify({ stopped: jobsHeld })}\n`;
}
