// Runs a command body and turns the errors a user can act on into `fanout: <message>` on stderr and their exit
// code (exit-codes.ts): bad input is 2 (nothing was sent), output that cannot be written is 3.
import { exitCodeOfError, EXIT, type ExitCode } from './exit-codes.js';

export async function reportErrors(body: () => Promise<ExitCode | void>): Promise<ExitCode> {
  try {
    return (await body()) ?? EXIT.ok;
  } catch (err) {
    const code = exitCodeOfError(err);
    if (code === null) throw err;
    process.stderr.write(`fanout: ${(err as Error).message}\n`);
    return code;
  }
}
