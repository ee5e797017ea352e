// Opens --output before anything is sent: an unwritable path is a run-level failure found up front
// (exit 3, nothing sent), not a surprise after the fleet was hit.
import fs from 'node:fs';
import type { Writable } from 'node:stream';

export class OutputOpenError extends Error {
  override readonly name = 'OutputOpenError';
}

export function openOutputFile(path: string): Promise<Writable> {
  return new Promise((resolve, reject) => {
    const stream = fs.createWriteStream(path, { flags: 'w' });
    stream.once('open', () => resolve(stream));
    stream.once('error', (err) => reject(new OutputOpenError(`cannot write --output ${path}: ${err.message}`)));
  });
}
