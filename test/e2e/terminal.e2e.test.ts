// What a person sees on a terminal: the binary runs under a pseudo-terminal (util-linux `script`), and the test
// reads the transcript, escape sequences included.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { startGearmand } from '../helpers/gearmand.js';
import { BIN } from '../helpers/run-cli.js';

const ERASE_LINE = '\u001b[2K';

let fleet: Fleet;
let dir: string;
beforeAll(async () => {
  [fleet, dir] = await Promise.all([startFleet({ hosts: 400, latencyMs: 50 }), mkdtemp(join(tmpdir(), 'fanout-tty-'))]);
});
afterAll(async () => {
  await Promise.all([fleet.close(), rm(dir, { recursive: true, force: true })]);
});

/** Runs `fanout ARGS` on a pseudo-terminal (stdin, stdout and stderr all on it); resolves with the transcript. */
function onTerminal(args: readonly string[]): Promise<{ code: number | null; transcript: string }> {
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const child = spawn('script', ['-q', '-e', '-c', quoted, '/dev/null'], { env: { ...process.env, TERM: 'xterm', FANOUT_GEARMAN: '' } });
  let transcript = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (transcript += d));
  child.stdin.end();
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, transcript }));
  });
}

/** `fanout ARGS` on a pseudo-terminal, sent SIGINT once its progress line shows a host done: resolves with the transcript. */
async function interruptedOnTerminal(args: readonly string[]): Promise<{ code: number | null; transcript: string }> {
  const pidFile = join(dir, 'pid');
  const quoted = [process.execPath, BIN, ...args].map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  // In the background of script's shell, so the test can signal fanout itself; it still writes to the terminal.
  const child = spawn('script', ['-q', '-e', '-c', `${quoted} & echo $! > '${pidFile}'; wait $!`, '/dev/null'], {
    env: { ...process.env, TERM: 'xterm', FANOUT_GEARMAN: '' },
  });
  let transcript = '';
  let signalled = false;
  const closed = new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve(code));
  });
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    transcript += d;
    if (signalled || !/\d+\/400 · ok [1-9]/.test(transcript)) return;
    signalled = true;
    void readFile(pidFile, 'utf8').then((pid) => process.kill(Number(pid), 'SIGINT'));
  });
  child.stdin.end();
  return { code: await closed, transcript };
}

describe('on a terminal', () => {
  it('after Ctrl-C, the summary tells the truth, no line per host never tried, and the cursor is back', async () => {
    const { code, transcript } = await interruptedOnTerminal(['pull', ...fleet.hosts, '-c', '2']);
    expect(code).toBe(130);
    expect(transcript).toMatch(/interrupted · 400 hosts · [1-9]\d* ok · 0 failed · \d+ aborted · \d+ not attempted/);
    expect(transcript).not.toContain('not_attempted');
    // The bar hid the cursor; it is shown again before the summary, after the last frame.
    expect(transcript.lastIndexOf('\u001b[?25h')).toBeGreaterThan(transcript.lastIndexOf('\u001b[?25l'));
  });

  it('the progress bar stays drawn while the records go to -o (it is erased only at the end)', async () => {
    const hosts = join(dir, 'hosts.txt');
    await writeFile(hosts, `${fleet.hosts.join('\n')}\n`);
    const { code, transcript } = await onTerminal(['pull', '-f', hosts, '-c', '20', '-o', join(dir, 'out.ndjson')]);
    expect(code).toBe(0);
    expect(transcript.split('hosts/s').length - 1).toBeGreaterThanOrEqual(3); // frames, and the summary
    // Before, the sink erased the bar before each of its flushes (~80 times in this run), though not one record
    // went to the terminal.
    expect(transcript.split(ERASE_LINE).length - 1).toBeLessThanOrEqual(2);
    expect(transcript).toContain('400 hosts · 400 ok · 0 failed');
  });

  it('with no worker registered, says so before the 2 s stall limit ends the run', async () => {
    const gearmand = await startGearmand();
    try {
      const args = ['pull', ...fleet.hosts.slice(0, 20), '--gearman', gearmand.address, '--stall-timeout', '2s'];
      const { code, transcript } = await onTerminal(args);
      expect(code).toBe(3);
      const hint = transcript.indexOf(`no worker has registered function "fanout.http" on ${gearmand.address} yet`);
      expect(hint).toBeGreaterThanOrEqual(0);
      // Before the summary, which the 2 s limit brings: so within 2 s, while the run still waited.
      expect(hint).toBeLessThan(transcript.indexOf('20 hosts · 0 ok'));
      expect(transcript).toContain('(waited 2.0 s)');
    } finally {
      await gearmand.stop();
    }
  });

  it('400 hosts lost with their job server are one line with the count and the folded hosts, not 400', async () => {
    // Port 1 of 127.0.0.1: nothing listens, the connection is refused at once.
    const { code, transcript } = await onTerminal(['pull', ...fleet.hosts, '--gearman', '127.0.0.1:1', '--server-timeout', '1s']);
    expect(code).toBe(3);
    const lines = transcript.split(/\r?\n/).filter((line) => line.includes('job_lost'));
    expect(lines).toHaveLength(2); // the group on stdout, the summary's headline on stderr
    expect(transcript).toContain('job_lost 400: the reason follows the summary —');
    // The reason, once: after the summary, not also in the lines before it.
    expect(transcript.split('no job server reachable (127.0.0.1:1: ECONNREFUSED)').length - 1).toBe(1);
  });
});
