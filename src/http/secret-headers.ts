// Headers whose values are credentials: redacted wherever a header is shown (records' response headers, the dry
// run's request headers). One list, so a name added here is hidden everywhere.
export const SECRET_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** What a secret header's value is shown as. */
export const REDACTED = '[redacted]';

/** `value`, or REDACTED when `name` (any case) is a secret header. */
export function shownHeaderValue(name: string, value: string): string {
  return SECRET_HEADERS.has(name.toLowerCase()) ? REDACTED : value;
}
