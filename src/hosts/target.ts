// A target: one host of the input, after range expansion, with what URL templates need.
// Pure data, so it can travel inside a Gearman job payload.

export interface Target {
  /** The host entry as the user gave it (after range expansion): `web01`, `web01:8080`, `[::1]:80`, or a URL. */
  host: string;
  /** 0-based position in the deduplicated input. */
  index: number;
}
