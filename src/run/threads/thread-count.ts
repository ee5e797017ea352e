// How many executor threads a local run uses, and how --concurrency is shared among them. Pure.

/**
 * `requested` (--threads) when given; otherwise one thread per available core beyond the first, and never
 * more than the hosts or the request slots can keep busy. On 2 cores one thread is the default: measured in
 * docs/performance.md, a second one does not pay there, because the work is the kernel's loopback as much
 * as JavaScript.
 */
export function threadCount(requested: number | undefined, cores: number, hosts: number, concurrency: number): number {
  const wanted = requested ?? (cores > 2 ? Math.min(cores - 1, Math.ceil(hosts / HOSTS_PER_THREAD)) : 1);
  return Math.max(1, Math.min(wanted, concurrency, hosts));
}

/** Below this many hosts per thread, a thread's start-up (~40 ms, its own undici) costs more than it saves. */
const HOSTS_PER_THREAD = 2000;

/** `concurrency` split over `threads` as evenly as possible (sum = concurrency, each ≥ 1). */
export function shareConcurrency(concurrency: number, threads: number): number[] {
  const base = Math.floor(concurrency / threads);
  const extra = concurrency % threads;
  return Array.from({ length: threads }, (_, i) => base + (i < extra ? 1 : 0));
}
