// Latency percentiles in constant memory: a log-bucketed histogram (the DDSketch layout) whose quantiles are
// within 1% of the exact value, so a million hosts cost the same ~11 KiB as ten.
// Owns the bucket arithmetic only; which durations are worth recording is the summary's call.

/** Relative error of every reported quantile (before clamping to the observed min and max, which only helps). */
export const RELATIVE_ACCURACY = 0.01;

const GAMMA = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY);
const LN_GAMMA = Math.log(GAMMA);
// Below a microsecond a duration is noise; above ~11.6 days it is a bug. Both ends clamp rather than grow.
const MIN_MS = 1e-3;
const MAX_MS = 1e9;
const MIN_INDEX = Math.ceil(Math.log(MIN_MS) / LN_GAMMA);
const MAX_INDEX = Math.ceil(Math.log(MAX_MS) / LN_GAMMA);

export class LatencyHistogram {
  // counts[0] holds everything below MIN_MS; counts[i] for i ≥ 1 holds bucket index MIN_INDEX + i - 1.
  readonly #counts = new Float64Array(MAX_INDEX - MIN_INDEX + 2);
  #count = 0;
  #min = Infinity;
  #max = 0;

  get count(): number {
    return this.#count;
  }

  get max(): number {
    return this.#max;
  }

  record(ms: number): void {
    // NaN and negatives are a producer's bug; counting them as zero keeps count honest without poisoning max.
    const value = ms > 0 ? ms : 0;
    this.#counts[slot(value)]! += 1;
    this.#count += 1;
    if (value < this.#min) this.#min = value;
    if (value > this.#max) this.#max = value;
  }

  /** Nearest-rank quantile, q in [0, 1]; 0 when nothing was recorded. */
  quantile(q: number): number {
    if (this.#count === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.#count));
    let seen = 0;
    for (let i = 0; i < this.#counts.length; i++) {
      seen += this.#counts[i]!;
      if (seen < rank) continue;
      // The top bucket also holds everything clamped into it, so only the exact max describes it.
      return i === this.#counts.length - 1 ? this.#max : Math.min(this.#max, Math.max(this.#min, representative(i)));
    }
    return this.#max;
  }
}

function slot(ms: number): number {
  if (ms < MIN_MS) return 0;
  const index = Math.min(MAX_INDEX, Math.ceil(Math.log(ms) / LN_GAMMA));
  return index - MIN_INDEX + 1;
}

// Bucket i holds (γ^(i-1), γ^i]; 2γ^i/(γ+1) is within RELATIVE_ACCURACY of every value in it.
function representative(slotIndex: number): number {
  if (slotIndex === 0) return 0;
  return (2 * GAMMA ** (slotIndex - 1 + MIN_INDEX)) / (GAMMA + 1);
}
