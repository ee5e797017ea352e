// Process exit codes: what a script can branch on (README "Exit codes"). The one table from errors and run
// outcomes to codes: nothing else in fanout decides an exit code.
import { HostInputError } from '../hosts/host-input-error.js';
import { UrlTemplateError } from '../hosts/url-template.js';
import { ExpectParseError } from '../http/expect-status.js';
import { SinkWriteError } from '../report/record-sink.js';
import { OutputOpenError } from '../run/open-output.js';
import { ResumeFileError } from '../run/resume-file.js';
import type { ListingOutcome, RunOutcome } from '../run/run-outcome.js';
import { UsageError } from './usage-error.js';

export const EXIT = {
  /** Every host ok. */
  ok: 0,
  /** At least one host not ok. */
  someFailed: 1,
  /** Usage or input error: nothing was sent. */
  usage: 2,
  /** Run-level failure: job server unreachable, no workers, output unwritable. */
  runFailure: 3,
  /** Interrupted (Ctrl-C, or the reader of a run's stdout went away). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

type ErrorClass = abstract new (...args: never[]) => Error;

/** Errors a user can act on, by class: input errors before anything was sent, and output that cannot be written. */
const ERROR_EXITS: ReadonlyArray<readonly [ErrorClass, ExitCode]> = [
  [UsageError, EXIT.usage],
  [HostInputError, EXIT.usage],
  [UrlTemplateError, EXIT.usage],
  [ExpectParseError, EXIT.usage],
  [ResumeFileError, EXIT.usage],
  [OutputOpenError, EXIT.runFailure],
  [SinkWriteError, EXIT.runFailure],
];

/** The exit code of an error a user can act on; null for anything else (a bug: let it surface). */
export function exitCodeOfError(error: unknown): ExitCode | null {
  return ERROR_EXITS.find(([type]) => error instanceof type)?.[1] ?? null;
}

/**
 * The exit code of a run that ended: a run-level failure outranks an interrupt, which outranks failed hosts.
 * A listing (--dry-run, `fanout hosts`) is 0 even when its reader left early: nothing was being sent, so nothing
 * was cut short, and `fanout hosts … | head -4` under `set -o pipefail` is what the user asked for. A run whose
 * reader left stays 130: hosts were left without their request.
 */
export function exitCodeOfOutcome(outcome: RunOutcome | ListingOutcome): ExitCode {
  if (outcome.kind === 'listing') return EXIT.ok;
  if (outcome.failures.length > 0) return EXIT.runFailure;
  if (outcome.interrupted || outcome.readerGone) return EXIT.interrupted;
  // Every host not ok: failed ones, and (should a run ever end so without a stop) aborted or never tried ones.
  // Hosts --resume skipped are in neither count: they were ok before, so a resumed run that finishes is 0.
  // A --max-failures stop is 1 by this rule: it needs a failed host, and leaves the rest not_attempted.
  return outcome.summary.ok < outcome.summary.hosts ? EXIT.someFailed : EXIT.ok;
}
