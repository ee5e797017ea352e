// Headers whose values are credentials: redacted wherever a header is shown (records' response headers, the dry
// run's request headers). One list, so a name added here is hidden everywhere; a run adds its own with
// --secret-header (RequestSpec.secretHeaders, which travels to the workers).
export const SECRET_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'cookie', 'set-cookie']);

/** What a secret header's value is shown as. */
export const REDACTED = '[redacted]';

/** The built-in secret headers and a spec's own, in lower case (a hand-written job payload may not be). */
export function secretHeaderNames(extra: readonly string[]): ReadonlySet<string> {
  return extra.length === 0 ? SECRET_HEADERS : new Set([...SECRET_HEADERS, ...extra.map((name) => name.toLowerCase())]);
}

/** `value`, or REDACTED when `name` (any case) is one of `secret`. */
export function shownHeaderValue(name: string, value: string, secret: ReadonlySet<string> = SECRET_HEADERS): string {
  return secret.has(name.toLowerCase()) ? REDACTED : value;
}
