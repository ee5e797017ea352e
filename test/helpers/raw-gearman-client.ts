// Test helper: a bare Gearman client over GearmanConnection, as any foreign client (PHP, libgearman) would
// talk to fanout workers: OPTION_REQ exceptions, SUBMIT_JOB, then every WORK_* packet of the job collected
// until the one that ends it. Independent of fanout's own gearman backend, so worker tests do not lean on it.
import { randomUUID } from 'node:crypto';
import { GearmanConnection } from '../../src/gearman/connection.js';
import { PacketType } from '../../src/gearman/packet-types.js';
import type { ParsedPacket } from '../../src/gearman/parser.js';
import type { ServerAddress } from '../../src/gearman/server-address.js';
import type { HostResult } from '../../src/record/host-result.js';

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
  /** Resolves when the job ends (WORK_COMPLETE, WORK_EXCEPTION or WORK_FAIL). */
  done: Promise<JobReply>;
}

interface Tracked {
  reply: Omit<JobReply, 'end'>;
  resolve: (reply: JobReply) => void;
}

const END_TYPES = {
  [PacketType.WORK_COMPLETE]: 'complete',
  [PacketType.WORK_EXCEPTION]: 'exception',
  [PacketType.WORK_FAIL]: 'fail',
} as const;

export class RawClient {
  readonly #connection: GearmanConnection;
  readonly #jobs = new Map<string, Tracked>();

  static async connect(address: ServerAddress): Promise<RawClient> {
    const connection = await GearmanConnection.connect(address);
    await connection.optionRequest('exceptions');
    return new RawClient(connection);
  }

  private constructor(connection: GearmanConnection) {
    this.#connection = connection;
    connection.on('packet', (packet) => this.#onPacket(packet));
  }

  submit(fn: string, payload: string, unique: string = randomUUID()): SubmittedJob {
    let resolveDone: (reply: JobReply) => void = () => undefined;
    const done = new Promise<JobReply>((resolve) => (resolveDone = resolve));
    const created = this.#connection.submit(PacketType.SUBMIT_JOB, fn, unique, payload, (handle) => {
      this.#jobs.set(handle, { reply: { handle, data: [], statuses: [] }, resolve: resolveDone });
    });
    return { created, done };
  }

  close(): Promise<void> {
    return this.#connection.close();
  }

  #onPacket(packet: ParsedPacket): void {
    const [handleBytes, rest] = packet.args;
    const job = this.#jobs.get(handleBytes?.toString('utf8') ?? '');
    if (job === undefined) return;
    if (packet.type === PacketType.WORK_DATA) job.reply.data.push(rest ?? Buffer.alloc(0));
    if (packet.type === PacketType.WORK_STATUS) job.reply.statuses.push([Number(rest), Number(packet.args[2])]);
    if (packet.type === PacketType.WORK_COMPLETE || packet.type === PacketType.WORK_EXCEPTION || packet.type === PacketType.WORK_FAIL) {
      this.#jobs.delete(job.reply.handle);
      job.resolve({ ...job.reply, end: { type: END_TYPES[packet.type], text: rest?.toString('utf8') ?? '' } });
    }
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
      .map((line) => JSON.parse(line) as HostResult);
  });
}
