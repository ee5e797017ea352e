// The runner up to the point where it would send: planning and --dry-run, which touch no network.
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HostInputError } from '../../src/hosts/host-input-error.js';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';
import type { RunConfig } from '../../src/run/run-config.js';
import { runFanout, type RunIo } from '../../src/run/run-fanout.js';
import { parseJsonLines } from '../helpers/run-cli.js';
import { runConfig } from '../helpers/run-config.js';

function capture(): { io: RunIo; stdout: () => string; stderr: () => string } {
  const out = new PassThrough();
  const err = new PassThrough();
  let stdout = '';
  let stderr = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  err.on('data', (d: Buffer) => (stderr += d.toString()));
  return { io: { stdout: out, stderr: err, env: {}, onInterrupt: () => () => undefined }, stdout: () => stdout, stderr: () => stderr };
}

const doublePort = (hosts: string[], overrides: Partial<RunConfig> = {}): RunConfig =>
  runConfig(hosts, { spec: { ...DEFAULT_SPEC, url: 'http://{host}:8080/' }, ...overrides });

describe('runFanout planning', () => {
  it('refuses a port after an entry’s own port before anything is sent or listed, naming where the entry is', async () => {
    for (const dryRun of [false, true]) {
      const c = capture();
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
    const c = capture();
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
    const c = capture();
    await runFanout(runConfig(['web01'], { dryRun: true, quiet: true }), c.io);
    expect(c.stderr()).toBe('');
    expect(c.stdout()).not.toBe('');
  });
});
