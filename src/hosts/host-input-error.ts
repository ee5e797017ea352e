// Errors of the host input: what is wrong with an entry, and where the user wrote it.
// The parsers below this layer know only the entry, so they throw HostEntryError with a bare reason;
// host-source.ts knows the file and line and turns it into a HostInputError (a usage error: nothing is sent).

/** Characters of an entry an error message shows; the rest is cut (a 10 MB line must not become a 10 MB message). */
export const QUOTED_MAX = 60;

/** `"web[01-"`, or for an entry too long to echo its start and its length: `"aaaa…" (10,000,000 characters)`. */
export function quoted(text: string): string {
  if (text.length <= QUOTED_MAX) return `"${text}"`;
  return `"${text.slice(0, QUOTED_MAX)}…" (${groupedDigits(text.length)} characters)`;
}

/**
 * A count with its thousands grouped, `10000000` → `10,000,000`, as `toLocaleString('en-US')` writes it, without
 * that call's first use setting up ICU's number formatting (10-25 ms, a tenth of a dry run).
 */
export function groupedDigits(count: number): string {
  return String(count).replace(/\B(?=(?:\d{3})+$)/g, ',');
}

/** A malformed entry, without location: `unclosed range "web[01-"`. */
export class HostEntryError extends Error {
  override readonly name = 'HostEntryError';

  constructor(readonly reason: string) {
    super(reason);
  }
}

/** A malformed or missing host input, with where it came from: `hosts.txt:7: unclosed range "web[01-"`. */
export class HostInputError extends Error {
  override readonly name = 'HostInputError';

  /**
   * `hosts.txt:7`, `<stdin>:3`, `argument 2`, a file path for an unreadable file,
   * or null when the problem is not at one place (no hosts at all).
   */
  readonly location: string | null;
  readonly reason: string;

  constructor(location: string | null, reason: string, options?: ErrorOptions) {
    super(location === null ? reason : `${location}: ${reason}`, options);
    this.location = location;
    this.reason = reason;
  }
}
