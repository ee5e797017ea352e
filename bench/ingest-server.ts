// The ingestion bench's job server (bench/ingest.ts runs it in its own process, so its CPU is not the client's): a
// fake gearmand on 127.0.0.1 that plays the workers too. It answers each SUBMIT_JOB at once with JOB_CREATED and
// then every packet a fanout worker would send for the job (WORK_DATA of its records, a WORK_STATUS after each,
// WORK_COMPLETE), in one write, so the client gets them as fast as its socket takes them. The packets of a job are
// encoded the first time it is seen and replayed after: a run submits the same batches as the run before it (the
// warm-up), so the measured runs cost this process one write per job.
//
// Speaks only what the client needs: OPTION_REQ, SUBMIT_JOB, ECHO_REQ and the admin text command `status` (the
// client asks it whether a worker is registered). Anything else is ignored.
//
//   node --import tsx bench/ingest-server.ts RECORDS_PER_PACKET     # stdout: {"ready":true,"port":P}
import net from 'node:net';
import { encodePacket } from '../src/gearman/encode.js';
import { PacketType } from '../src/gearman/packet-types.js';
import { PacketParser, type ParsedItem } from '../src/gearman/parser.js';
import { decodeJobPayload } from '../src/jobs/wire-payload.js';
import { encodeCompletion, encodeRecordLines } from '../src/jobs/wire-results.js';
import { chunksOf } from './ingest-records.js';

const perPacket = Number(process.argv[2] ?? 20);
const FUNCTION = 'fanout.http';
/** Job packets by the job's first host and size: the same batch gets the same bytes (and handle) every run. */
const replies = new Map<string, Buffer>();

const res = (type: Parameters<typeof encodePacket>[0], args: (string | Buffer)[]): Buffer => encodePacket(type, args, 'RES');

function jobReply(payload: Buffer): Buffer {
  const { targets } = decodeJobPayload(payload);
  const key = `${targets[0]?.host ?? ''}/${targets.length}`;
  const cached = replies.get(key);
  if (cached !== undefined) return cached;
  const handle = `H:ingest:${replies.size}`;
  const packets = [res(PacketType.JOB_CREATED, [handle])];
  // What job-handler.ts sends: per chunk its WORK_DATA, then WORK_STATUS (records so far, hosts in the job).
  let sent = 0;
  let ok = 0;
  for (const chunk of chunksOf(targets, perPacket)) {
    for (const body of encodeRecordLines(chunk)) packets.push(res(PacketType.WORK_DATA, [handle, body]));
    sent += chunk.length;
    ok += chunk.filter((record) => record.ok).length;
    packets.push(res(PacketType.WORK_STATUS, [handle, String(sent), String(targets.length)]));
  }
  packets.push(res(PacketType.WORK_COMPLETE, [handle, encodeCompletion({ hosts: sent, ok, failed: sent - ok })]));
  const reply = Buffer.concat(packets);
  replies.set(key, reply);
  return reply;
}

function answer(item: ParsedItem, socket: net.Socket): void {
  if (item.kind === 'text') {
    if (item.line.trim() === 'status') socket.write(`${FUNCTION}\t0\t0\t1\n.\n`);
    return;
  }
  if (item.kind !== 'packet') return;
  const [first = Buffer.alloc(0), , third = Buffer.alloc(0)] = item.args;
  if (item.type === PacketType.OPTION_REQ) socket.write(res(PacketType.OPTION_RES, [first]));
  else if (item.type === PacketType.ECHO_REQ) socket.write(res(PacketType.ECHO_RES, [first]));
  else if (item.type === PacketType.SUBMIT_JOB) socket.write(jobReply(third));
}

const server = net.createServer({ noDelay: true }, (socket) => {
  const parser = new PacketParser();
  socket.on('data', (chunk: Buffer) => {
    for (const item of parser.push(chunk)) answer(item, socket);
  });
  socket.on('error', () => socket.destroy()); // the client closing at the end of a run
});
server.listen({ host: '127.0.0.1', port: 0 }, () => {
  process.stdout.write(`${JSON.stringify({ ready: true, port: (server.address() as net.AddressInfo).port })}\n`);
});
// The bench closes our stdin when it is done (or dies).
process.stdin.on('close', () => process.exit(0)).resume();
