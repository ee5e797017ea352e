// Folds host names into pdsh ranges for humans: `web03.dc1 web17.dc1 web18.dc1` → `web[03,17-18].dc1`.
// Owns the folding and its sort order; the output must expand back to exactly the input through
// src/hosts/expand-ranges.ts, so it writes by the same rules (src/hosts/range-syntax.ts: padding follows the
// start of each span, only a URL's authority expands, bracketed IPv6 literals are verbatim, at most
// MAX_DIGITS digits a bound) and never folds where that expansion could not undo it.
//
// Each host folds on one numeric run: the last run in which it differs from at least one other host while
// the rest of the name is identical. Two-dimensional grids (`r[1-2]n[1-3]`) fold along one axis only.

import { isIpv6Literal, MAX_DIGITS, parseSpan, rangeScope, spanValue } from '../hosts/range-syntax.js';

// Cannot occur in a host name, so it cannot make two different masked names equal.
const HOLE = '\u0000';

interface Candidate {
  host: string;
  /** [start, end) of each numeric run that may fold, left to right. */
  runs: Array<readonly [number, number]>;
}

interface Member {
  candidate: Candidate;
  digits: string;
  value: number;
}

interface Entry {
  text: string;
  /** The entry's first host, which orders the output. */
  first: string;
}

/** The distinct hosts folded into ranges, in natural order (`web2` before `web10`). */
export function foldHosts(hosts: Iterable<string>): string[] {
  const entries: Entry[] = [];
  let remaining: Candidate[] = [];
  for (const host of new Set(hosts)) {
    const runs = numericRuns(host);
    if (runs.length === 0) entries.push({ text: host, first: host });
    else remaining.push({ host, runs });
  }

  // Pass 1 masks each host's last run, pass 2 its second-to-last, and so on; a host leaves once it folds.
  // Most keys are unique (the hosts that fold at a later pass), so a pass only numbers the keys and
  // builds members for the groups that do fold.
  for (let fromEnd = 1; remaining.length > 0; fromEnd++) {
    const ids = new Map<string, number>();
    const keys: string[] = [];
    const sizes: number[] = [];
    const groupOf = new Int32Array(remaining.length);
    remaining.forEach(({ host, runs }, i) => {
      const run = runs[runs.length - fromEnd];
      if (run === undefined) {
        groupOf[i] = -1;
        return;
      }
      const key = host.slice(0, run[0]) + HOLE + host.slice(run[1]);
      let id = ids.get(key);
      if (id === undefined) {
        id = keys.push(key) - 1;
        ids.set(key, id);
        sizes.push(0);
      }
      sizes[id]! += 1;
      groupOf[i] = id;
    });

    const members = new Map<number, Member[]>();
    const next: Candidate[] = [];
    remaining.forEach((candidate, i) => {
      const id = groupOf[i]!;
      if (id === -1) {
        entries.push({ text: candidate.host, first: candidate.host });
      } else if (sizes[id] === 1) {
        next.push(candidate);
      } else {
        const run = candidate.runs[candidate.runs.length - fromEnd]!;
        const digits = candidate.host.slice(run[0], run[1]);
        const member = { candidate, digits, value: Number(digits) };
        const group = members.get(id);
        if (group === undefined) members.set(id, [member]);
        else group.push(member);
      }
    });
    for (const [id, group] of members) entries.push(foldGroup(keys[id]!, group));
    remaining = next;
  }

  return entries.sort((a, b) => naturalCompare(a.first, b.first)).map((e) => e.text);
}

/**
 * How many hosts an entry of foldHosts' output stands for. Only brackets that are a list of spans count as
 * ranges, which is all foldHosts writes; an IPv6 literal's brackets hold a `:`.
 */
export function foldedSize(entry: string): number {
  let size = 1;
  for (const match of entry.matchAll(/\[([^\]]*)\]/g)) {
    const spans = (match[1] ?? '').split(',').map(parseSpan);
    if (!spans.every((span) => span !== null)) continue;
    size *= spans.reduce((count, { from, to }) => count + Number(to) - Number(from) + 1, 0);
  }
  return size;
}

/** Orders `web2` before `web10` and `10.0.0.9` before `10.0.0.10`; ties fall back to code units. */
export function naturalCompare(a: string, b: string): number {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    if (isDigit(a.charCodeAt(i)) && isDigit(b.charCodeAt(j))) {
      const endA = digitRunEnd(a, i);
      const endB = digitRunEnd(b, j);
      const byValue = compareDigits(a, i, endA, b, j, endB);
      if (byValue !== 0) return byValue;
      i = endA;
      j = endB;
      continue;
    }
    const diff = a.charCodeAt(i) - b.charCodeAt(j);
    if (diff !== 0) return diff;
    i++;
    j++;
  }
  if (a.length - i !== b.length - j) return a.length - i - (b.length - j);
  return a < b ? -1 : a > b ? 1 : 0;
}

function foldGroup(key: string, members: Member[]): Entry {
  members.sort((x, y) => x.value - y.value || x.digits.length - y.digits.length);
  const hole = key.indexOf(HOLE);
  const prefix = key.slice(0, hole);
  const suffix = key.slice(hole + 1);
  const spans: string[] = [];
  let start = members[0]!;
  let last = start;
  for (const member of members.slice(1)) {
    // A span pads every value to its start's width, so it extends only to a value written that way.
    if (member.value === last.value + 1 && member.digits === spanValue(member.value, start.digits.length)) {
      last = member;
      continue;
    }
    spans.push(span(start, last));
    start = member;
    last = member;
  }
  spans.push(span(start, last));
  return { text: `${prefix}[${spans.join(',')}]${suffix}`, first: members[0]!.candidate.host };
}

function span(start: Member, last: Member): string {
  return start === last ? start.digits : `${start.digits}-${last.digits}`;
}

/**
 * The runs expand-ranges.ts would put back: in a URL only those of the authority, never inside an IPv6
 * literal's brackets. Any other bracket (a range left in, a stray `]`) would be expanded or rejected by
 * expand-ranges.ts, so such a host does not fold at all.
 */
function numericRuns(host: string): Array<readonly [number, number]> {
  const foldable = rangeScope(host);
  const runs: Array<readonly [number, number]> = [];
  let i = 0;
  while (i < foldable) {
    const c = host.charCodeAt(i);
    if (c === 0x5b /* [ */) {
      const close = host.indexOf(']', i + 1);
      if (close === -1 || close >= foldable || !isIpv6Literal(host.slice(i + 1, close))) return [];
      i = close + 1;
    } else if (c === 0x5d /* ] */) {
      return [];
    } else if (isDigit(c)) {
      const end = digitRunEnd(host, i);
      if (end - i <= MAX_DIGITS) runs.push([i, end]);
      i = end;
    } else {
      i++;
    }
  }
  return runs;
}

function isDigit(code: number): boolean {
  return code >= 0x30 && code <= 0x39;
}

function digitRunEnd(s: string, from: number): number {
  let end = from;
  while (end < s.length && isDigit(s.charCodeAt(end))) end++;
  return end;
}

// Compares two digit runs by value without parsing them (a run may exceed Number's exact integers);
// equal values order the shorter spelling first (`1` before `01`).
function compareDigits(a: string, from: number, to: number, b: string, bFrom: number, bTo: number): number {
  let i = from;
  let j = bFrom;
  while (i < to - 1 && a.charCodeAt(i) === 0x30) i++;
  while (j < bTo - 1 && b.charCodeAt(j) === 0x30) j++;
  if (to - i !== bTo - j) return to - i - (bTo - j);
  for (; i < to; i++, j++) {
    const diff = a.charCodeAt(i) - b.charCodeAt(j);
    if (diff !== 0) return diff;
  }
  return to - from - (bTo - bFrom);
}
