// What a fanout worker sends back for a job (the other half of the wire format; the job itself is
// wire-payload.ts): the records in WORK_DATA, NDJSON, one HostResult per line, several lines per packet, and
// the WORK_COMPLETE body that ends the job. Both sides of the wire use these functions, so the format is
// defined once. It belongs to the payload's version (JOB_PAYLOAD_VERSION): a worker answers a v1 job in v1.
import { isHostResult, type HostResult } from '../record/host-result.js';

/** WORK_DATA bodies are cut at whole records beyond this many characters. */
export const WORK_DATA_MAX_CHARS = 4 * 1024 * 1024;

/**
 * A chunk of records as NDJSON WORK_DATA bodies: one body per chunk, unless that would pass maxChars
 * (records with --body can be large, and gearmand holds every packet whole in memory), then as many
 * bodies as needed, each holding whole lines and at least one.
 */
export function encodeRecordLines(records: readonly HostResult[], maxChars: number = WORK_DATA_MAX_CHARS): string[] {
  const bodies: string[] = [];
  let body = '';
  for (const record of records) {
    const line = `${JSON.stringify(record)}\n`;
    if (body !== '' && body.length + line.length > maxChars) {
      bodies.push(body);
      body = '';
    }
    body += line;
  }
  if (body !== '') bodies.push(body);
  return bodies;
}

export interface DecodedLines {
  records: HostResult[];
  /** Lines that are not a record (a foreign worker, a bug): counted, never fatal. */
  malformed: number;
}

export function decodeRecordLines(data: Buffer | string): DecodedLines {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  const records: HostResult[] = [];
  let malformed = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isHostResult(value)) records.push(value);
      else malformed += 1;
    } catch {
      malformed += 1;
    }
  }
  return { records, malformed };
}

/** The WORK_COMPLETE body: what the worker says of the whole job. */
export interface JobCompletion {
  hosts: number;
  ok: number;
  failed: number;
}

/** One JSON line, ending with a newline so that the `gearman` CLI's output stays line-separated. */
export function encodeCompletion({ hosts, ok, failed }: JobCompletion): string {
  return `${JSON.stringify({ hosts, ok, failed })}\n`;
}

/** The completion a fanout worker sent, or null for any other body (a foreign worker's). */
export function decodeCompletion(data: Buffer | string): JobCompletion | null {
  try {
    const value: unknown = JSON.parse(typeof data === 'string' ? data : data.toString('utf8'));
    if (typeof value !== 'object' || value === null) return null;
    const { hosts, ok, failed } = value as Record<string, unknown>;
    const isCount = (n: unknown): n is number => Number.isSafeInteger(n) && (n as number) >= 0;
    return isCount(hosts) && isCount(ok) && isCount(failed) ? { hosts, ok, failed } : null;
  } catch {
    return null;
  }
}
