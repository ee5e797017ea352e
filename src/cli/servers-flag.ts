// `--gearman HOST:PORT[,HOST:PORT…]` (or FANOUT_GEARMAN) as every command reads it: a bad entry is a
// usage error that names the flag and the entry.
import { parseServerList, type ServerAddress } from '../gearman/server-address.js';
import { UsageError } from './usage-error.js';

export function parseServersFlag(value: string): ServerAddress[] {
  try {
    return parseServerList(value);
  } catch (err) {
    throw new UsageError(`--gearman: ${(err as Error).message}`);
  }
}
