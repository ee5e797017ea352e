// pdsh-style host ranges: `web[01-20,33].dc1`, `rack[1-2]-node[1-3]`.
// Owns the lazy expansion of the range syntax and its error messages; the lexical rules (what a range, an IPv6
// literal and the expandable part of a URL are, how spans pad) live in range-syntax.ts, shared with the fold
// of src/report/fold-hosts.ts. Knows nothing about what makes a valid host (parse-entry.ts).
//
// Rules:
// - A bracket group whose content contains `:` is an IPv6 literal (`[::1]:8080`) and is copied verbatim.
// - Any other bracket group is a range: comma-separated numbers or `start-end` spans. Zero padding follows the
//   start of each span (`[08-10]` → 08, 09, 10; `[1-10]` → 1 … 10).
// - Several groups multiply, leftmost slowest: `r[1-2]n[1-3]` → r1n1, r1n2, r1n3, r2n1 …
// - In a URL (`scheme://…`) only the authority expands (`http://web[1-3]:8080/x`); brackets in the path, query
//   or fragment are the URL's own business (`?a[]=1`) and stay as they are.

import { groupedDigits, HostEntryError, quoted } from './host-input-error.js';
import { isIpv6Literal, MAX_DIGITS, parseSpan, rangeScope, spanValue } from './range-syntax.js';

/** An entry expanding to more hosts than this is refused, as almost certainly a typo (`[1-1000000000]`). */
export const MAX_EXPANSION = 1_000_000;

interface Span {
  start: number;
  end: number;
  width: number;
}

/** An entry cut at its ranges: `literals[0] group[0] literals[1] … group[n-1] literals[n]`. */
interface RangePattern {
  literals: string[];
  groups: Span[][];
}

/**
 * The hosts `entry` stands for, in order, one at a time: `node[1-1000000]` never becomes an array.
 * Throws HostEntryError, before yielding anything, when the ranges are malformed or expand beyond MAX_EXPANSION.
 */
export function expandRanges(entry: string): Generator<string> {
  const pattern = parsePattern(entry);
  const size = patternSize(pattern);
  if (size > MAX_EXPANSION) {
    throw new HostEntryError(`${quoted(entry)} expands to ${groupedDigits(size)} hosts; at most ${groupedDigits(MAX_EXPANSION)} per entry`);
  }
  return combine(pattern, 0, pattern.literals[0] ?? '');
}

function* combine(pattern: RangePattern, groupIndex: number, prefix: string): Generator<string> {
  const group = pattern.groups[groupIndex];
  if (group === undefined) {
    yield prefix;
    return;
  }
  const literal = pattern.literals[groupIndex + 1] ?? '';
  for (const span of group) {
    for (let n = span.start; n <= span.end; n++) {
      yield* combine(pattern, groupIndex + 1, prefix + spanValue(n, span.width) + literal);
    }
  }
}

function patternSize(pattern: RangePattern): number {
  return pattern.groups.reduce((product, group) => product * group.reduce((sum, s) => sum + s.end - s.start + 1, 0), 1);
}

function parsePattern(entry: string): RangePattern {
  const expandable = entry.slice(0, rangeScope(entry));
  const literals: string[] = [];
  const groups: Span[][] = [];
  let literal = '';
  let i = 0;
  while (i < expandable.length) {
    const open = expandable.indexOf('[', i);
    if (open === -1) {
      literal += expandable.slice(i);
      break;
    }
    const close = expandable.indexOf(']', open + 1);
    if (close === -1) {
      // `[::1` is an IPv6 address missing its `]` far more often than a range missing one.
      const ipv6 = expandable.slice(open + 1).includes(':');
      throw new HostEntryError(
        ipv6 ? `unclosed "[" of IPv6 address in ${quoted(entry)} (write [::1]:8080)` : `unclosed range ${quoted(entry)}`,
      );
    }
    const content = expandable.slice(open + 1, close);
    if (isIpv6Literal(content)) {
      literal += expandable.slice(i, close + 1);
    } else {
      literals.push(literal + expandable.slice(i, open));
      groups.push(parseGroup(content, entry));
      literal = '';
    }
    i = close + 1;
  }
  literals.push(literal + entry.slice(expandable.length));
  return { literals, groups };
}

function parseGroup(content: string, entry: string): Span[] {
  if (content === '') throw new HostEntryError(`empty range "[]" in ${quoted(entry)}`);
  return content.split(',').map((item) => {
    const bounds = parseSpan(item);
    if (bounds === null) {
      const kind = /[^\d,-]/.test(content) ? 'non-numeric' : 'malformed';
      throw new HostEntryError(`${kind} range ${quoted(`[${content}]`)} in ${quoted(entry)}`);
    }
    const { from, to } = bounds;
    if (from.length > MAX_DIGITS || to.length > MAX_DIGITS) {
      throw new HostEntryError(`range bound too large in ${quoted(`[${content}]`)} in ${quoted(entry)}`);
    }
    const start = Number(from);
    const end = Number(to);
    if (start > end) throw new HostEntryError(`reversed range ${quoted(item)} in ${quoted(entry)}`);
    return { start, end, width: from.length };
  });
}
