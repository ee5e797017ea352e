import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { planTargets } from '../../src/hosts/host-source.js';
import type { HostResult } from '../../src/record/host-result.js';
import { openResumeOutput, readResumeFile, resumeNotes, ResumeFileError, skipOkHosts } from '../../src/run/resume-file.js';
import { makeFailure, makeResult } from '../report/make-result.js';

let dir: string;
beforeEach(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fanout-resume-'));
});
afterEach(() => fs.rm(dir, { recursive: true, force: true }));

const ok = (host: string): HostResult => makeResult({ host });
const line = (record: HostResult): string => `${JSON.stringify(record)}\n`;

async function fileOf(text: string): Promise<string> {
  const file = path.join(dir, 'run.ndjson');
  await fs.writeFile(file, text);
  return file;
}

describe('readResumeFile', () => {
  it('keeps the hosts with an ok record: the latest record of a host that failed, then succeeded, wins', async () => {
    const file = await fileOf(
      [ok('a'), makeFailure('b', 'refused'), makeFailure('c', 'aborted'), ok('b'), makeFailure('d', 'not_attempted')].map(line).join(''),
    );
    const state = await readResumeFile(file);
    expect([...state.okHosts].sort()).toEqual(['a', 'b']);
    expect(state).toMatchObject({ exists: true, records: 5, cut: null, needsNewline: false });
  });

  it('keeps a host ok once ok, even if a later line (files joined by hand) says it failed', async () => {
    const state = await readResumeFile(await fileOf([ok('a'), makeFailure('a', 'refused')].map(line).join('')));
    expect([...state.okHosts]).toEqual(['a']);
  });

  it('tolerates blank lines and CRLF', async () => {
    const state = await readResumeFile(await fileOf(`\n${JSON.stringify(ok('a'))}\r\n  \n${line(ok('b'))}`));
    expect([...state.okHosts]).toEqual(['a', 'b']);
  });

  it('tolerates a last line cut short by a kill, and says where it starts so the append can cut it off', async () => {
    const whole = line(ok('a')) + line(makeFailure('b', 'refused'));
    for (const cut of [JSON.stringify(ok('c')).slice(0, 30), '{', '{"ho', '{"host":"c"']) {
      const state = await readResumeFile(await fileOf(whole + cut));
      expect(state.cut, cut).toEqual({ line: 3, offset: Buffer.byteLength(whole) });
      expect([...state.okHosts]).toEqual(['a']);
      expect(state.needsNewline).toBe(false);
    }
  });

  it('counts bytes, not characters, up to a cut-short line', async () => {
    const whole = line(ok('wéb01.dc1'));
    const state = await readResumeFile(await fileOf(`${whole}{"host":"wé`));
    expect(state.cut?.offset).toBe(Buffer.byteLength(whole));
  });

  it('reads a whole last record without its newline, and has the append start on a new line', async () => {
    const state = await readResumeFile(await fileOf(line(ok('a')) + JSON.stringify(ok('b'))));
    expect([...state.okHosts]).toEqual(['a', 'b']);
    expect(state).toMatchObject({ records: 2, cut: null, needsNewline: true });
  });

  it('finds the hosts across read chunks (a line longer than a chunk)', async () => {
    const big = makeResult({ host: 'big', body: 'x'.repeat(200_000) });
    const hosts = Array.from({ length: 3000 }, (_, i) => `web${i}`);
    const state = await readResumeFile(await fileOf([big, ...hosts.map(ok)].map(line).join('')));
    expect(state.okHosts.size).toBe(3001);
    expect(state.okHosts.has('big')).toBe(true);
  });

  it('reports a missing file as a fresh start', async () => {
    const state = await readResumeFile(path.join(dir, 'none.ndjson'));
    expect(state).toMatchObject({ exists: false, records: 0, cut: null });
    expect(state.okHosts.size).toBe(0);
  });

  it.each([
    [
      'a line in the middle that is not JSON',
      `${line(ok('a'))}{"host":"b"\n${line(ok('c'))}`,
      2,
      'not JSON, so not a file of fanout records',
    ],
    ['a host list', 'web01\nweb02\n', 1, 'not JSON, so not a file of fanout records'],
    [
      'a record without code',
      `${line(ok('a'))}${JSON.stringify({ host: 'b', ok: true })}\n`,
      2,
      'not a fanout record (one needs host, ok and code)',
    ],
    [
      'a record with an unknown code',
      `${JSON.stringify({ ...ok('a'), code: 'fine' })}\n`,
      1,
      'not a fanout record (one needs host, ok and code)',
    ],
    ['JSON that is not an object', `${line(ok('a'))}[1,2]\n`, 2, 'not a fanout record (one needs host, ok and code)'],
    ['a pretty-printed summary', '{\n  "hosts": 3\n}\n', 1, 'not JSON, so not a file of fanout records'],
    ['a one-line host file without its newline', 'web01', 1, 'not a fanout record, nor one cut short by a run killed mid-write'],
    ['a last line of JSON that is not a record', `${line(ok('a'))}{"hosts":1}`, 2, 'not a fanout record (one needs host, ok and code)'],
  ])('refuses %s, naming the file and the line', async (_name, text, lineNo, reason) => {
    const file = await fileOf(text);
    const reading = readResumeFile(file);
    await expect(reading).rejects.toThrow(ResumeFileError);
    await expect(reading).rejects.toThrow(`--resume ${file}:${lineNo}: ${reason}`);
  });

  it('refuses a file it cannot read', async () => {
    await expect(readResumeFile(dir)).rejects.toThrow(
      new ResumeFileError(`--resume ${dir}: cannot read (EISDIR: illegal operation on a directory, read)`),
    );
  });
});

describe('openResumeOutput', () => {
  async function appendTo(text: string, records: HostResult[]): Promise<string> {
    const file = await fileOf(text);
    const stream = await openResumeOutput(await readResumeFile(file));
    await new Promise<void>((resolve, reject) => stream.end(records.map(line).join(''), () => resolve()).on('error', reject));
    return fs.readFile(file, 'utf8');
  }

  it('appends after the records already there', async () => {
    expect(await appendTo(line(ok('a')), [ok('b')])).toBe(line(ok('a')) + line(ok('b')));
  });

  it('cuts off a cut-short last line first, so the file stays NDJSON', async () => {
    expect(await appendTo(`${line(ok('a'))}{"host":"b","u`, [ok('b')])).toBe(line(ok('a')) + line(ok('b')));
  });

  it('starts on a new line after a last record without its newline', async () => {
    expect(await appendTo(JSON.stringify(ok('a')), [ok('b')])).toBe(line(ok('a')) + line(ok('b')));
  });

  it('creates a missing file', async () => {
    const file = path.join(dir, 'new.ndjson');
    const stream = await openResumeOutput(await readResumeFile(file));
    await new Promise<void>((resolve) => stream.end(line(ok('a')), () => resolve()));
    expect(await fs.readFile(file, 'utf8')).toBe(line(ok('a')));
  });
});

describe('skipOkHosts', () => {
  it('leaves out the ok hosts, matching hosts after range expansion, and keeps the indexes of the full list', async () => {
    const plan = await planTargets([{ kind: 'args', entries: ['web[01-05]', 'web03', 'WEB04'] }]);
    const resumed = await skipOkHosts(plan, new Set(['web02', 'web04', 'elsewhere']));
    expect(resumed).toMatchObject({ total: 4, skipped: 2, duplicates: 1 });
    const targets = [];
    for await (const target of resumed.targets()) targets.push(target);
    // WEB04 is another host, as the dedupe of the host list has it
    expect(targets).toEqual([
      { host: 'web01', index: 0 },
      { host: 'web03', index: 2 },
      { host: 'web05', index: 4 },
      { host: 'WEB04', index: 5 },
    ]);
    await resumed.close();
  });
});

describe('resumeNotes', () => {
  const state = { path: 'run.ndjson', exists: true, okHosts: new Set<string>(), records: 9, cut: null, needsNewline: false };

  it('says how many hosts are skipped and how many run', () => {
    expect(resumeNotes(state, { hosts: 20, toRun: 8, dryRun: false })).toEqual([
      '--resume run.ndjson: 12 of 20 hosts already ok, skipped; 8 to run',
    ]);
    expect(resumeNotes(state, { hosts: 20, toRun: 0, dryRun: false })).toEqual([
      '--resume run.ndjson: 20 of 20 hosts already ok, skipped; nothing left to run',
    ]);
  });

  it('reports a line cut short, and a fresh start', () => {
    expect(resumeNotes({ ...state, cut: { line: 10, offset: 900 } }, { hosts: 20, toRun: 11, dryRun: false })[0]).toBe(
      '--resume run.ndjson:10: a record cut short (a run killed mid-write): ignored, and removed before the new records are appended',
    );
    expect(resumeNotes({ ...state, exists: false }, { hosts: 20, toRun: 20, dryRun: false })).toEqual([
      '--resume run.ndjson does not exist yet: starting fresh, the records go to it',
    ]);
  });
});
