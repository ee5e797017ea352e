import { describe, expect, it } from 'vitest';
import { LatencyHistogram, RELATIVE_ACCURACY } from '../../src/report/latency-histogram.js';

// Nearest-rank, the definition the histogram approximates.
function exactQuantile(sorted: number[], q: number): number {
  return sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
}

// Deterministic pseudo-random numbers (mulberry32), so a failure reproduces.
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('LatencyHistogram', () => {
  it('reports 0 with nothing recorded', () => {
    const histogram = new LatencyHistogram();
    expect(histogram.count).toBe(0);
    expect(histogram.quantile(0.5)).toBe(0);
    expect(histogram.max).toBe(0);
  });

  it('stays within 1% of exact quantiles over a long-tailed distribution spanning 0.05ms to 30s', () => {
    const next = random(42);
    const values = Array.from({ length: 50_000 }, () => 0.05 * Math.exp(next() * Math.log(600_000)));
    const histogram = new LatencyHistogram();
    for (const v of values) histogram.record(v);
    const sorted = [...values].sort((a, b) => a - b);
    for (const q of [0, 0.01, 0.25, 0.5, 0.9, 0.99, 0.999, 1]) {
      const exact = exactQuantile(sorted, q);
      expect(Math.abs(histogram.quantile(q) - exact) / exact, `q=${q}`).toBeLessThanOrEqual(RELATIVE_ACCURACY);
    }
    expect(histogram.max).toBe(sorted.at(-1));
    expect(histogram.count).toBe(values.length);
  });

  it('returns the exact value when every sample is the same', () => {
    const histogram = new LatencyHistogram();
    for (let i = 0; i < 100; i++) histogram.record(52.3);
    expect(histogram.quantile(0.5)).toBe(52.3);
    expect(histogram.quantile(0.99)).toBe(52.3);
  });

  it('counts zero, negative and NaN durations as zero without disturbing max', () => {
    const histogram = new LatencyHistogram();
    for (const v of [0, -5, Number.NaN, 10]) histogram.record(v);
    expect(histogram.count).toBe(4);
    expect(histogram.quantile(0.75)).toBe(0);
    expect(histogram.quantile(1)).toBe(10);
    expect(histogram.max).toBe(10);
  });

  it('clamps durations beyond its range to the largest bucket but keeps the exact max', () => {
    const histogram = new LatencyHistogram();
    histogram.record(1);
    histogram.record(5e12);
    expect(histogram.quantile(1)).toBe(5e12);
    expect(histogram.quantile(0.5)).toBe(1);
  });
});
