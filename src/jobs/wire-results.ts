// The records a worker streams in WORK_DATA: NDJSON, one HostResult per line, several lines per packet.
// Both sides of the wire use these two functions, so the format is defined once.
import type { HostResult } from '../record/host-result.js';
import { RESULT_CODES } from '../record/host-result.js';

const CODES: ReadonlySet<string> = new Set(RESULT_CODES);

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

function isRecord(value: unknown): value is HostResult {
  if (typeof value !== 'object' || value === null) return false;
  const r = value as Record<string, unknown>;
  return typeof r.host === 'string' && typeof r.ok === 'boolean' && typeof r.code === 'string' && CODES.has(r.code);
}

export function decodeRecordLines(data: Buffer | string): DecodedLines {
  const text = typeof data === 'string' ? data : data.toString('utf8');
  const records: HostResult[] = [];
  let malformed = 0;
  for (const line of text.split('\n')) {
    if (line === '') continue;
    try {
      const value: unknown = JSON.parse(line);
      if (isRecord(value)) records.push(value);
      else malformed += 1;
    } catch {
      malformed += 1;
    }
  }
  return { records, malformed };
}
