// The client's ledger of a gearman run: which hosts each submitted job still owes a record for. It guarantees
// one record per host: the first record for a host is kept; repeats (a requeued job sends its records again,
// docs/gearman.md §5.2) and records for hosts the job never had are dropped and counted, and so are lines of
// worker output that are not records (per job, so its hosts can be told why they have none). Pure bookkeeping: no
// sockets, no timers; which packet belongs to which job is the Gearman client's business.
import type { Target } from '../../hosts/target.js';
import type { HostResult } from '../../record/host-result.js';
import type { DroppedRecords } from '../../report/summary.js';

export interface BookedJob {
  readonly id: number;
  /** `<runId>.<invocation nonce>:<n>`, fresh for every submission: gearmand coalesces jobs with the same unique id. */
  readonly unique: string;
  /** The request limit the job carries to its worker (its share of -c, job-share.ts). */
  readonly concurrency: number;
  /** Hosts still without a record, by host string. */
  readonly pending: Map<string, Target>;
  /** Lines of this job's worker output that were not records. */
  malformed: number;
}

export interface Settled {
  /** The records that settle a pending host of the job. */
  kept: HostResult[];
  /** Records dropped: a host that already has its record, or one the job never had. */
  repeats: number;
}

export class JobBook {
  #nextId = 0;
  readonly #jobs = new Set<BookedJob>();
  readonly #dropped: DroppedRecords = { malformed: 0, repeats: 0 };
  #concurrencyHeld = 0;

  constructor(private readonly runId: string) {}

  get outstanding(): number {
    return this.#jobs.size;
  }

  /** The request limits of the jobs outstanding, summed: what the run may have in flight. */
  get concurrencyHeld(): number {
    return this.#concurrencyHeld;
  }

  /** Everything dropped so far, over all jobs. */
  get dropped(): DroppedRecords {
    return { ...this.#dropped };
  }

  /** Books a job for `targets`, to run at most `concurrency` requests at once. */
  open(targets: readonly Target[], concurrency: number): BookedJob {
    const id = this.#nextId++;
    const pending = new Map(targets.map((t) => [t.host, t]));
    const job: BookedJob = { id, unique: `${this.runId}:${id}`, concurrency, pending, malformed: 0 };
    this.#jobs.add(job);
    this.#concurrencyHeld += concurrency;
    return job;
  }

  isOpen(job: BookedJob): boolean {
    return this.#jobs.has(job);
  }

  /** One packet's worth of a job's output: its records, and how many of its lines were not records. */
  settle(job: BookedJob, records: readonly HostResult[], malformed = 0): Settled {
    const kept: HostResult[] = [];
    for (const record of records) if (job.pending.delete(record.host)) kept.push(record);
    const repeats = records.length - kept.length;
    job.malformed += malformed;
    this.#dropped.malformed += malformed;
    this.#dropped.repeats += repeats;
    return { kept, repeats };
  }

  /** Ends a job; returns the targets it never delivered a record for. */
  close(job: BookedJob): Target[] {
    if (this.#jobs.delete(job)) this.#concurrencyHeld -= job.concurrency;
    const left = [...job.pending.values()];
    job.pending.clear();
    return left;
  }

  /** Ends every job; returns all targets still owed. */
  closeAll(): Target[] {
    return [...this.#jobs].flatMap((job) => this.close(job));
  }
}
