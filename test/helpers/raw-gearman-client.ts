// Test helper: a plain Gearman client of one job server, as any foreign client (PHP, libgearman) would talk
// to fanout workers: OPTION_REQ exceptions, SUBMIT_JOB, then every WORK_* packet of the job collected until
// the one that ends it. A thin use of the protocol library's GearmanClient (src/gearman/client.ts), not of
// fanout's gearman backend, so worker tests do not lean on the code that submits fanout's own jobs.
import { randomUUID } from 'node:crypto';
import { GearmanClient } from '../../src/gearman/client.js';
import type { ClientJob, JobEnd } from '../../src/gearman/client.js';
import type { ServerAddress } from '../../src/gearman/server-address.js';
import type { HostResult } from '../../src/record/host-result.js';
import { checkRecords } from './schemas.js';

export interface JobReply {
  handle: string;
  /** WORK_DATA bodies, in arrival order. */
  data: Buffer[];
  /** WORK_STATUS (numerator, denominator) pairs. */
  statuses: Array<[number, number]>;
  end: { type: 'complete' | 'exception' | 'fail'; text: string };
}

export interface SubmittedJob {
  /** Resolves with the handle on JOB_CREATED. */
  created: Promise<string>;
  /**
   * Resolves when the job ends (WORK_COMPLETE, WORK_EXCEPTION or WORK_FAIL); rejects when gearmand refused
   * it or the connection closed first.
   */
  done: Promise<JobReply>;
}

export class RawClient {
  readonly #client: GearmanClient;

  /** Resolves once the server is up (connected, OPTION_REQ answered); rejects if the first connect fails. */
  static async connect(address: ServerAddress): Promise<RawClient> {
    const client = new GearmanClient([address], { backoff: { minDelayMs: 20, maxDelayMs: 200 } });
    const up = new Promise<void>((resolve, reject) => {
      client.on('status', (event) => {
        if (event.type === 'up') resolve();
        else if (event.type === 'connect-failed') reject(event.error);
      });
    });
    client.start();
    try {
      await up;
    } catch (error) {
      await client.close();
      throw error;
    }
    return new RawClient(client);
  }

  private constructor(client: GearmanClient) {
    this.#client = client;
  }

  submit(fn: string, payload: string | Buffer, unique: string = randomUUID()): SubmittedJob {
    const job = this.#client.submit(fn, unique, payload);
    if (job === null) {
      const error = new Error(`cannot submit ${fn}: the job server is not up`);
      return handled({ created: Promise.reject(error), done: Promise.reject(error) });
    }
    return handled({ created: createdOf(job), done: replyOf(job) });
  }

  close(): Promise<void> {
    return this.#client.close();
  }
}

/** The records of a job's WORK_DATA packets; throws when a packet does not hold whole NDJSON lines. */
export function recordsOf(reply: JobReply): HostResult[] {
  return reply.data.flatMap((body) => {
    const text = body.toString('utf8');
    if (!text.endsWith('\n')) throw new Error(`WORK_DATA does not end with a newline: ${JSON.stringify(text.slice(-80))}`);
    return text
      .slice(0, -1)
      .split('\n')
      .map((line) => checkRecords([JSON.parse(line) as unknown], 'WORK_DATA record')[0]!);
  });
}

function createdOf(job: ClientJob): Promise<string> {
  return new Promise((resolve, reject) => {
    job.once('created', resolve);
    void job.done.then((end) => {
      if (end.type === 'refused' || end.type === 'lost') reject(end.error); // no-op once created
    });
  });
}

/** Listeners attached right after submit() see every event of the job (the client's promise). */
async function replyOf(job: ClientJob): Promise<JobReply> {
  const data: Buffer[] = [];
  const statuses: Array<[number, number]> = [];
  job.on('data', (body) => data.push(body));
  job.on('status', (numerator, denominator) => statuses.push([numerator, denominator]));
  const end: JobEnd = await job.done;
  if (end.type === 'refused' || end.type === 'lost') throw end.error;
  const text = end.type === 'fail' ? '' : end.data.toString('utf8');
  return { handle: job.handle ?? '', data, statuses, end: { type: end.type, text } };
}

/**
 * A test that ignores a job it submitted (`void raw.submit(...)`, then kills the server) must not fail on an
 * unhandled rejection; one that awaits the promises still gets the rejection.
 */
function handled(job: SubmittedJob): SubmittedJob {
  job.created.catch(() => undefined);
  job.done.catch(() => undefined);
  return job;
}
