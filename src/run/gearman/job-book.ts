// The client's ledger of a gearman run: which hosts each submitted job still owes a record for. It guarantees
// one record per host: the first record for a host is kept; repeats (a requeued job sends its records again,
// docs/gearman.md §5.2) and records for hosts the job never had are dropped and counted. Pure bookkeeping: no
// sockets, no timers; which packet belongs to which job is the Gearman client's business.
import type { Target } from '../../hosts/target.js';
import type { HostResult } from '../../record/host-result.js';

export interface BookedJob {
  readonly id: number;
  /** `<runId>:<n>`, fresh for every submission: gearmand coalesces jobs with the same unique id. */
  readonly unique: string;
  /** Hosts still without a record, by host string. */
  readonly pending: Map<string, Target>;
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

  constructor(private readonly runId: string) {}

  get outstanding(): number {
    return this.#jobs.size;
  }

  /** Books a job for `targets`. */
  open(targets: readonly Target[]): BookedJob {
    const id = this.#nextId++;
    const job: BookedJob = { id, unique: `${this.runId}:${id}`, pending: new Map(targets.map((t) => [t.host, t])) };
    this.#jobs.add(job);
    return job;
  }

  isOpen(job: BookedJob): boolean {
    return this.#jobs.has(job);
  }

  settle(job: BookedJob, records: readonly HostResult[]): Settled {
    const kept: HostResult[] = [];
    for (const record of records) if (job.pending.delete(record.host)) kept.push(record);
    return { kept, repeats: records.length - kept.length };
  }

  /** Ends a job; returns the targets it never delivered a record for. */
  close(job: BookedJob): Target[] {
    this.#jobs.delete(job);
    const left = [...job.pending.values()];
    job.pending.clear();
    return left;
  }

  /** Ends every job; returns all targets still owed. */
  closeAll(): Target[] {
    return [...this.#jobs].flatMap((job) => this.close(job));
  }
}
