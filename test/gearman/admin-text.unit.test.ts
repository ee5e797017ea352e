import { describe, expect, it } from 'vitest';
import { AdminReplyAssembler, isListCommand, parseStatus, parseWorkers } from '../../src/gearman/admin-text.js';
import type { AdminReply } from '../../src/gearman/admin-text.js';
import { encodePacket } from '../../src/gearman/encode.js';
import { GearmanProtocolError } from '../../src/gearman/errors.js';
import { PacketType } from '../../src/gearman/packet-types.js';

// Bytes captured from gearmand 1.1.20 for: status, workers, version, foo, maxqueue fnC 5.
const CAPTURED =
  'fnB\t0\t0\t1\nfnA\t0\t0\t1\nfnC\t1\t0\t0\n.\n' +
  '38 127.0.0.1 - : fnA fnB\n39 127.0.0.1 - :\n.\n' +
  'OK 1.1.20+ds\n' +
  'ERR UNKNOWN_COMMAND Unknown+server+commandfoo\r\n' +
  'OK\r\n';
const COMMANDS = ['status', 'workers', 'version', 'foo', 'maxqueue fnC 5'];
const EXPECTED_REPLIES: AdminReply[] = [
  { kind: 'list', lines: ['fnB\t0\t0\t1', 'fnA\t0\t0\t1', 'fnC\t1\t0\t0'] },
  { kind: 'list', lines: ['38 127.0.0.1 - : fnA fnB', '39 127.0.0.1 - :'] },
  { kind: 'ok', value: '1.1.20+ds' },
  { kind: 'err', code: 'UNKNOWN_COMMAND', message: 'Unknown server commandfoo' },
  { kind: 'ok', value: '' },
];

function assemble(chunks: readonly Buffer[]): AdminReply[] {
  const assembler = new AdminReplyAssembler();
  for (const command of COMMANDS) assembler.expect(command);
  return chunks.flatMap((chunk) => assembler.push(chunk));
}

describe('parseStatus', () => {
  it('reads function, total, running and workers from each line', () => {
    expect(parseStatus(['fanout.http\t12\t3\t2', 'old\t0\t0\t0'])).toEqual([
      { function: 'fanout.http', total: 12, running: 3, workers: 2 },
      { function: 'old', total: 0, running: 0, workers: 0 },
    ]);
  });

  it('reads the lines of an assembled status reply, and an empty one', () => {
    const assembler = new AdminReplyAssembler();
    assembler.expect('status');
    assembler.expect('status');
    const replies = assembler.push(Buffer.from('fnB\t0\t0\t1\nfnC\t1\t0\t0\n.\n.\n'));
    expect(replies.map((reply) => (reply.kind === 'list' ? parseStatus(reply.lines) : reply))).toEqual([
      [
        { function: 'fnB', total: 0, running: 0, workers: 1 },
        { function: 'fnC', total: 1, running: 0, workers: 0 },
      ],
      [],
    ]);
  });

  it('rejects malformed lines', () => {
    expect(() => parseStatus(['fn\t1\t0'])).toThrow(/status line "fn\\t1\\t0"/);
    expect(() => parseStatus(['fn\t1\tx\t0'])).toThrow(GearmanProtocolError);
  });
});

describe('parseWorkers', () => {
  it('reads fd, ip, id and functions; a client has no functions', () => {
    expect(parseWorkers(['38 127.0.0.1 w-1 : fnA fnB', '39 ::1 - :'])).toEqual([
      { fd: 38, ip: '127.0.0.1', id: 'w-1', functions: ['fnA', 'fnB'] },
      { fd: 39, ip: '::1', id: '-', functions: [] },
    ]);
  });

  it('rejects a line of another shape', () => {
    expect(() => parseWorkers(['fnA\t0\t0\t1'])).toThrow(/workers line/);
  });
});

describe('isListCommand', () => {
  it('knows which commands end with a "." line, ignoring case and extra words', () => {
    for (const command of ['status', 'STATUS', 'workers', 'prioritystatus', 'show jobs', 'show unique jobs', 'status x']) {
      expect(isListCommand(command), command).toBe(true);
    }
    for (const command of ['version', 'getpid', 'maxqueue fn 3', 'show', 'cancel job H:x:1', 'drop function status']) {
      expect(isListCommand(command), command).toBe(false);
    }
  });
});

describe('AdminReplyAssembler', () => {
  it('assembles pipelined replies from one chunk', () => {
    expect(assemble([Buffer.from(CAPTURED)])).toEqual(EXPECTED_REPLIES);
  });

  it('assembles the same replies when split at every byte position', () => {
    const bytes = Buffer.from(CAPTURED);
    for (let cut = 1; cut < bytes.length; cut++) {
      expect(assemble([bytes.subarray(0, cut), bytes.subarray(cut)]), `cut at ${cut}`).toEqual(EXPECTED_REPLIES);
    }
  });

  it('returns a list reply only once its "." line arrives', () => {
    const assembler = new AdminReplyAssembler();
    assembler.expect('status');
    expect(assembler.push(Buffer.from('fn\t1\t0\t0\n'))).toEqual([]);
    expect(assembler.push(Buffer.from('.\n'))).toEqual([{ kind: 'list', lines: ['fn\t1\t0\t0'] }]);
  });

  it('takes an ERR line as the whole reply to a list command', () => {
    const assembler = new AdminReplyAssembler();
    assembler.expect('show jobs');
    expect(assembler.push(Buffer.from('ERR NO_SUCH_THING a+b\r\n'))).toEqual([{ kind: 'err', code: 'NO_SUCH_THING', message: 'a b' }]);
  });

  it('throws on lines nobody asked for and on binary packets', () => {
    expect(() => new AdminReplyAssembler().push(Buffer.from('OK\n'))).toThrow(/no command pending/);
    const assembler = new AdminReplyAssembler();
    assembler.expect('version');
    expect(() => assembler.push(encodePacket(PacketType.NOOP, [], 'RES'))).toThrow(/binary packet/);
    const other = new AdminReplyAssembler();
    other.expect('getpid');
    expect(() => other.push(Buffer.from('hello\n'))).toThrow(/expected OK or ERR/);
  });
});
