// The records a worker streams in WORK_DATA: NDJSON, one HostResult per line, several lines per packet.
// Both sides of the wire use these two functions, so the format is defined once.
import type { HostResult } from '../report/host-result.js';
import { RESULT_CODES } from '../report/host-result.js';

const CODES: ReadonlySet<string> = new Set(RESULT_CODES);

export function encodeRecordLines(records: readonly HostResult[]): string {
  let text = '';
  for (const record of records) text += `${JSON.stringify(record)}\n`;
  return text;
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
