// The lexical rules of pdsh-style host ranges, in one place for both directions: expand-ranges.ts reads them
// (`web[01-03]` → web01, web02, web03) and src/report/fold-hosts.ts writes them (the inverse, for people).
// Whatever the fold writes must expand back to exactly its input, so neither keeps its own copy of a rule.
//
// - Ranges expand only in a URL's scheme and authority (`http://web[1-3]:8080/x?a[]=1`), else in the whole entry.
// - A bracket group whose content holds `:` is an IPv6 literal (`[::1]:8080`), not a range.
// - A range group is comma-separated items, each a number or a `start-end` span of at most MAX_DIGITS digits.
// - Every value of a span is written zero-padded to the width of the span's start (`[08-10]` → 08, 09, 10).

/** Beyond this many digits a range bound would leave Number's exact integers. */
export const MAX_DIGITS = 15;

const URL_AUTHORITY = /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*/i;
const SPAN = /^(\d+)(?:-(\d+))?$/;

/** How many leading characters of `entry` ranges apply to: a URL's scheme and authority, else all of it. */
export function rangeScope(entry: string): number {
  return URL_AUTHORITY.exec(entry)?.[0].length ?? entry.length;
}

/** Whether a bracket group's content (between `[` and `]`) is an IPv6 literal, copied verbatim. */
export function isIpv6Literal(content: string): boolean {
  return content.includes(':');
}

/** The digits of one item of a range group (`7` → 7 to 7, `08-10`), or null when it is not one. */
export function parseSpan(item: string): { from: string; to: string } | null {
  const match = SPAN.exec(item);
  if (match === null) return null;
  const [, from = '', to = from] = match;
  return { from, to };
}

/** A value of a span whose start is written with `width` digits: `spanValue(9, 2)` is `09`. */
export function spanValue(value: number, width: number): string {
  return String(value).padStart(width, '0');
}
