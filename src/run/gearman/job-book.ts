// The client's ledger of a gearman run: which hosts each submitted job still owes a record for, keyed
// by (connection, handle) because handles are unique only per server (protocol §5.9). It guarantees
// one record per host: the first record for a host is kept, repeats (a requeued job re-sends records,
// §5.2) and records for hosts a job never had are dropped. Pure bookkeeping: no sockets, no timers.
import type { Target } from '../../hosts/target.js';
import type { HostResult } from '../../record/host-result.js';

export interface BookedJob<Server> {
  readonly id: number;
  readonly unique: string;
  readonly server: Server;
  handle: string | null;
  /** Hosts still without a record, by host string. */
  readonly pending: Map<string, Target>;
}

export class JobBook<Server> {
  #nextId = 0;
  readonly #byHandle = new Map<Server, Map<string, BookedJob<Server>>>();
  readonly #jobs = new Set<BookedJob<Server>>();
  /** Records dropped as repeats or strangers, for the run's diagnostics. */
  dropped = 0;

  constructor(private readonly runId: string) {}

  get outstanding(): number {
    return this.#jobs.size;
  }

  /** Books a job for `targets` on `server`; its unique id is `<runId>:<n>`, fresh for every submission. */
  open(server: Server, targets: readonly Target[]): BookedJob<Server> {
    const id = this.#nextId++;
    const job: BookedJob<Server> = { id, unique: `${this.runId}:${id}`, server, handle: null, pending: new Map(targets.map((t) => [t.host, t])) };
    this.#jobs.add(job);
    return job;
  }

  /** JOB_CREATED arrived: packets for `handle` on that server now belong to the job. */
  created(job: BookedJob<Server>, handle: string): void {
    job.handle = handle;
    let handles = this.#byHandle.get(job.server);
    if (!handles) this.#byHandle.set(job.server, (handles = new Map()));
    handles.set(handle, job);
  }

  find(server: Server, handle: string): BookedJob<Server> | undefined {
    return this.#byHandle.get(server)?.get(handle);
  }

  /** Keeps the records that settle a pending host of the job; returns them. */
  settle(job: BookedJob<Server>, records: readonly HostResult[]): HostResult[] {
    const kept: HostResult[] = [];
    for (const record of records) {
      if (job.pending.delete(record.host)) kept.push(record);
      else this.dropped += 1;
    }
    return kept;
  }

  /** Ends a job; returns the targets it never delivered a record for. */
  close(job: BookedJob<Server>): Target[] {
    this.#jobs.delete(job);
    if (job.handle !== null) this.#byHandle.get(job.server)?.delete(job.handle);
    const left = [...job.pending.values()];
    job.pending.clear();
    return left;
  }

  /** Ends every job on a server (it went away); returns the targets they still owed. */
  closeServer(server: Server): Target[] {
    const left: Target[] = [];
    for (const job of [...this.#jobs]) if (job.server === server) left.push(...this.close(job));
    this.#byHandle.delete(server);
    return left;
  }

  /** Ends every job; returns all targets still owed. */
  closeAll(): Target[] {
    return [...this.#jobs].flatMap((job) => this.close(job));
  }
}
