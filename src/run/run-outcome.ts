// How a run ended, as data: the runner reports it, src/cli turns it into an exit code (cli/exit-codes.ts).
import type { Summary } from '../report/summary.js';

/** A pull or push that sent requests (or tried to). */
export interface RunOutcome {
  kind: 'run';
  summary: Summary;
  /** Run-level failures (output unwritable, no job server, no worker, --summary unwritable), in order. */
  failures: string[];
  /** The first Ctrl-C or SIGTERM stopped the run early. */
  interrupted: boolean;
  /** The reader of stdout went away (`| head`): the run stopped early. */
  readerGone: boolean;
}

/** A run that only lists (--dry-run, `fanout hosts`). */
export interface ListingOutcome {
  kind: 'listing';
  /** False when the reader of the output went away before the end. */
  complete: boolean;
}
