// Runs a command body and turns the errors a user can act on into `fanout: <message>` on stderr and the
// exit code of design.md §5: bad input is 2 (nothing was sent), output that cannot be written is 3.
import { HostInputError } from '../hosts/host-input-error.js';
import { SinkWriteError } from '../report/record-sink.js';
import { EXIT, type ExitCode } from '../run/exit-codes.js';
import { UsageError } from './usage-error.js';

export async function reportErrors(body: () => Promise<ExitCode | void>): Promise<ExitCode> {
  try {
    return (await body()) ?? EXIT.ok;
  } catch (err) {
    const code = err instanceof UsageError || err instanceof HostInputError ? EXIT.usage : err instanceof SinkWriteError ? EXIT.runFailure : null;
    if (code === null) throw err;
    process.stderr.write(`fanout: ${(err as Error).message}\n`);
    return code;
  }
}
