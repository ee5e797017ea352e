// Process exit codes (design.md §5): what a script can branch on.
export const EXIT = {
  /** Every host ok. */
  ok: 0,
  /** At least one host not ok. */
  someFailed: 1,
  /** Usage or input error: nothing was sent. */
  usage: 2,
  /** Run-level failure: job server unreachable, no workers, output unwritable. */
  runFailure: 3,
  /** Interrupted (Ctrl-C, or the reader of stdout went away). */
  interrupted: 130,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];
