// How gearman mode keeps `-c` a cap for the whole run (docs/gearman.md §6.4): each job carries a request limit
// (`concurrency` in its payload, which the worker obeys), the client counts the limits of its outstanding jobs,
// and it submits a job only while that sum is below -c, with a share of what is left. Pure functions.
//
// The split: with J job slots left and F requests of -c not yet given to a job, the next job gets ⌈F / J⌉ (at
// least 1, at most its hosts). So -c 20 runs 16 jobs of 1 or 2 requests (20 in all), -c 4 runs 4 jobs of 1, and
// -c 2000 runs 16 jobs of 125: many workers stay busy, and the sum never passes -c. A large -c also allows more
// jobs than 16, enough for every job to run a full batch (-c 10000, batches of 250: 40 jobs). J counts only slots
// that jobs still to come can fill: 2,000 hosts in batches of 250 are 8 jobs, which share -c 200 as 25 each, not
// as 13 each (⌈200 / 16⌉) with half of -c never used.

/** Jobs outstanding at most: the default, or more when -c would not fit into that many full batches. */
export function maxOutstandingJobs(cap: number, batchSize: number, defaultJobs: number): number {
  return Math.max(defaultJobs, Math.ceil(cap / batchSize));
}

export interface ShareState {
  /** -c. */
  cap: number;
  /** The request limits of the jobs outstanding, summed. */
  held: number;
  outstanding: number;
  maxJobs: number;
  /** Jobs not yet submitted, the next one included (as far as the client knows the hosts left). */
  jobsLeft: number;
}

/** Whether another job may be submitted now. */
export function hasShareLeft({ cap, held, outstanding, maxJobs }: ShareState): boolean {
  return held < cap && outstanding < maxJobs;
}

/** The request limit of the next job, of `hosts` hosts; call only while hasShareLeft(). */
export function nextJobConcurrency(state: ShareState, hosts: number): number {
  const free = state.cap - state.held;
  const slots = Math.max(1, Math.min(state.maxJobs - state.outstanding, state.jobsLeft));
  return Math.max(1, Math.min(hosts, Math.ceil(free / slots)));
}
