// Opens --output (or the --resume file) before anything is sent: an unwritable path is a run-level failure
// found up front (exit 3, nothing sent), not a surprise after the fleet was hit.
import fs from 'node:fs';
import type { Writable } from 'node:stream';

export class OutputOpenError extends Error {
  override readonly name = 'OutputOpenError';
}

export interface OpenOutputOptions {
  /** Add to the end of the file instead of replacing it (--resume). */
  append?: boolean;
  /** The flag that named the file, for the error: `--output` unless said. */
  flag?: string;
}

export function openOutputFile(path: string, { append = false, flag = '--output' }: OpenOutputOptions = {}): Promise<Writable> {
  return new Promise((resolve, reject) => {
    const stream = fs.createWriteStream(path, { flags: append ? 'a' : 'w' });
    stream.once('open', () => resolve(stream));
    stream.once('error', (err) => reject(new OutputOpenError(`cannot write ${flag} ${path}: ${err.message}`)));
  });
}
