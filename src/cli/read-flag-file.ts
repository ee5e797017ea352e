// A file a flag names (-d @FILE, --ca, --cert, --key, -H @FILE), read once at start: unreadable is a usage error
// naming the flag and the file, with the errno an operator searches for.
import fs from 'node:fs/promises';
import { UsageError } from './usage-error.js';

export async function readFlagFile(flag: string, path: string): Promise<Buffer> {
  try {
    return await fs.readFile(path);
  } catch (err) {
    throw new UsageError(`${flag}: cannot read ${path}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
}
