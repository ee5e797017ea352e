// The did-you-mean of fanout's one-line usage errors (an unknown flag, an unknown command). Pure.
import { closest, distance } from 'fastest-levenshtein';

/** The candidate nearest to `word`, or null when none is within `maxDistance` edits (a suggestion would be a guess). */
export function nearestWord(word: string, candidates: readonly string[], maxDistance: number): string | null {
  if (candidates.length === 0) return null;
  const best = closest(word, [...candidates]);
  return distance(word, best) <= maxDistance ? best : null;
}
