// Runs a command body and turns input errors into `fanout: <message>` on stderr and exit code 2.
import { HostInputError } from '../hosts/host-input-error.js';
import { EXIT, type ExitCode } from '../run/exit-codes.js';
import { UsageError } from './usage-error.js';

export async function reportUsageErrors(body: () => Promise<ExitCode | void>): Promise<ExitCode> {
  try {
    return (await body()) ?? EXIT.ok;
  } catch (err) {
    if (!(err instanceof UsageError || err instanceof HostInputError)) throw err;
    process.stderr.write(`fanout: ${err.message}\n`);
    return EXIT.usage;
  }
}
