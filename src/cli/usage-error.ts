// A usage or input error: the run sends nothing and exits 2 with this message (cli/exit-codes.ts).
// Owned here so every layer that validates input (flags, data files, headers) reports the same way.

export class UsageError extends Error {
  override readonly name = 'UsageError';
}
