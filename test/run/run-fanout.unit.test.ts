// The runner up to the point where it would send: planning and --dry-run, which touch no network.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostInputError } from '../../src/hosts/host-input-error.js';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';
import type { RunConfig } from '../../src/run/run-config.js';
import { ResumeFileError } from '../../src/run/resume-file.js';
import { runFanout } from '../../src/run/run-fanout.js';
import { makeFailure, makeResult } from '../report/make-result.js';
import { parseJsonLines } from '../helpers/run-cli.js';
import { gearmanConfig, runConfig } from '../helpers/run-config.js';
import { captureIo } from '../helpers/capture-io.js';

const doublePort = (hosts: string[], overrides: Partial<RunConfig> = {}): RunConfig =>
  runConfig(hosts, { spec: { ...DEFAULT_SPEC, url: 'http://{host}:8080/' }, ...overrides });

describe('runFanout planning', () => {
  it('refuses a port after an entry’s own port before anything is sent or listed, naming where the entry is', async () => {
    for (const dryRun of [false, true]) {
      const c = captureIo();
      // Unrefused, its one request would be to an invalid URL (invalid_target): this test reaches no server, and no DNS.
      const run = runFanout(doublePort(['127.0.0.1:18081'], { dryRun }), c.io);
      await expect(run).rejects.toThrow(HostInputError);
      await expect(run).rejects.toThrow(
        'argument 1: "127.0.0.1:18081" already has a port and -u puts another after {host}: use {hostname} (http://{hostname}:8080/)',
      );
      expect({ stdout: c.stdout(), stderr: c.stderr() }).toEqual({ stdout: '', stderr: '' });
    }
  });

  it('--dry-run: one line per host on stdout, and once on stderr what they all get', async () => {
    const c = captureIo();
    const spec = { ...DEFAULT_SPEC, headers: [['user-agent', 'fanout/9'] as [string, string]] };
    const outcome = await runFanout(doublePort(['web01', 'web02'], { dryRun: true, spec: { ...spec, url: 'http://{host}:8080/' } }), c.io);
    expect(outcome).toEqual({ kind: 'listing', complete: true });
    expect(parseJsonLines(c.stdout())).toEqual([
      { host: 'web01', method: 'GET', url: 'http://web01:8080/' },
      { host: 'web02', method: 'GET', url: 'http://web02:8080/' },
    ]);
    expect(c.stderr()).toBe('fanout: dry run: 2 hosts · GET · no body · headers: user-agent: fanout/9\n');
  });

  it('--dry-run -q says nothing on stderr', async () => {
    const c = captureIo();
    await runFanout(runConfig(['web01'], { dryRun: true, quiet: true }), c.io);
    expect(c.stderr()).toBe('');
    expect(c.stdout()).not.toBe('');
  });
});

describe('runFanout --resume, before anything is sent', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fanout-run-resume-'));
  });
  afterEach(() => fs.rm(dir, { recursive: true, force: true }));

  async function resumeFile(text: string): Promise<string> {
    const file = path.join(dir, 'run.ndjson');
    await fs.writeFile(file, text);
    return file;
  }
  const lines = (...records: object[]): string => records.map((r) => `${JSON.stringify(r)}\n`).join('');

  it('--dry-run lists only the hosts left to run, and leaves the file as it is', async () => {
    const text = `${lines(makeResult({ host: 'web01' }), makeFailure('web02', 'refused'))}{"host":"web0`;
    const file = await resumeFile(text);
    const c = captureIo();
    await runFanout(runConfig(['web[01-03]'], { dryRun: true, resumeFile: file }), c.io);
    expect(parseJsonLines(c.stdout()).map((line) => line['host'])).toEqual(['web02', 'web03']);
    expect(c.stderr()).toContain(`--resume ${file}: 1 of 3 hosts already ok, skipped; 2 to run`);
    expect(c.stderr()).toContain(`--resume ${file}:3: a record cut short (a run killed mid-write): ignored\n`);
    expect(await fs.readFile(file, 'utf8')).toBe(text);
  });

  it('with every host ok, reaches no backend (not even an unreachable job server) and is all ok', async () => {
    const file = await resumeFile(lines(makeResult({ host: 'web01' }), makeResult({ host: 'web02' })));
    const c = captureIo();
    const gearman = gearmanConfig([{ host: '127.0.0.1', port: 1 }], {
      functionName: 'f',
      batchSize: 1,
      serverTimeoutMs: 1,
      stallTimeoutMs: 1,
    });
    const outcome = await runFanout(runConfig(['web02', 'web01'], { resumeFile: file, gearman }), c.io);
    expect(outcome).toMatchObject({ kind: 'run', failures: [], summary: { hosts: 0, ok: 0, skipped: 2 } });
    expect(c.stderr()).toContain('nothing left to run');
    expect(c.stdout()).toBe('');
  });

  it('refuses a file that is not fanout records, with nothing sent and the file untouched', async () => {
    const file = await resumeFile('web01\nweb02\n');
    const c = captureIo();
    // Unrefused, web01's request would go to the system resolver: the run must stop before it.
    const run = runFanout(runConfig(['web01'], { resumeFile: file }), c.io);
    await expect(run).rejects.toThrow(new ResumeFileError(`--resume ${file}:1: not JSON, so not a file of fanout records`));
    expect(await fs.readFile(file, 'utf8')).toBe('web01\nweb02\n');
    expect(c.stdout()).toBe('');
  });
});
