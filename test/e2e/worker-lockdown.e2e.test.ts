// Worker lockdown through the real binary: bad --allow/--secret input is one line and exit 2 with nothing sent,
// an open worker says so at start-up, and --processes children get the secret through their environment (never
// on their command line) and enforce it together with the --allow rules.
import { readFile, rm, writeFile, mkdtemp } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { fetchWorkers } from '../../src/gearman/admin-client.js';
import { startGearmand, type Gearmand } from '../helpers/gearmand.js';
import { parseNdjson, runCli, startCli, type RunningCli } from '../helpers/run-cli.js';

const FN = 'fanout.http';
const SECRET = 'e2e-lockdown-secret-5d0c0f3b9a7e4e21';

const cleanups: Array<() => Promise<unknown>> = [];
let testSignal: AbortSignal;
beforeEach(({ signal }) => {
  testSignal = signal;
});
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function gearmand(): Promise<Gearmand> {
  const server = await startGearmand();
  cleanups.push(() => server.stop());
  return server;
}

async function fleet(hosts: number): Promise<Fleet> {
  const started = await startFleet({ hosts });
  cleanups.push(() => started.close());
  return started;
}

async function secretFile(text: string): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'fanout-lockdown-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'secret');
  await writeFile(file, text, { mode: 0o600 });
  return file;
}

function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): RunningCli {
  const running = startCli(args, { env });
  cleanups.push(() => running.stop());
  return running;
}

/** Polls what `read` returns until `accept` holds; the test's timeout bounds it. */
async function until<T>(read: () => Promise<T> | T, accept: (value: T) => boolean): Promise<T> {
  for (;;) {
    const value = await read();
    if (accept(value)) return value;
    if (testSignal.aborted) throw new Error(`condition never met; last value: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('lockdown input mistakes: one line, exit 2, nothing sent', () => {
  it.each([
    [
      ['worker', '--gearman', '127.0.0.1:1', '--allow', '10.0.0.0/8,10.0.0.0/33'],
      /^fanout: invalid --allow rule "10.0.0.0\/33": the prefix length/,
    ],
    [['worker', '--gearman', '127.0.0.1:1', '--allow', 'fd00::/8:443'], /needs brackets: \[fd00::\]\/8:443/],
    [['worker', '--gearman', '127.0.0.1:1', '--secret', ''], /--secret: the secret is empty/],
    [
      ['worker', '--gearman', '127.0.0.1:1', '--secret-file', '/nonexistent/secret'],
      /--secret-file \/nonexistent\/secret: cannot read it \(ENOENT\)/,
    ],
    [['worker', '--gearman', '127.0.0.1:1', '--secret', 'a', '--max-job-age', 'forever'], /--max-job-age: invalid duration "forever"/],
  ])('%j', async (args, message) => {
    const result = await runCli(args);
    expect(result.exitCode).toBe(2);
    const lines = result.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(message);
  });

  it.each([
    [['--secret', SECRET], /they need --gearman/],
    [['--encrypt'], /they need --gearman/],
    [['--gearman', '127.0.0.1:1', '--encrypt'], /--encrypt needs --secret/],
  ])('pull %j', async (flags, message) => {
    const hosts = await fleet(1);
    const result = await runCli(['pull', hosts.hosts[0]!, ...flags]);
    expect(result.exitCode).toBe(2);
    expect(result.stderr.trimEnd().split('\n')).toEqual([expect.stringMatching(message)]);
    expect(hosts.totalRequests()).toBe(0);
  });
});

describe('fanout worker lockdown', () => {
  it('an open worker says at start-up that it fetches any URL and runs anyone’s jobs, even with --quiet', async () => {
    const server = await gearmand();
    const worker = start(['worker', '--gearman', server.address, '--quiet']);
    const line = await until(
      () => worker.stderr(),
      (stderr) => stderr.includes('\n'),
    );
    expect(line).toBe(
      'fanout worker: warning: no --allow: this worker will fetch any URL a job names; ' +
        'no --secret: this worker runs jobs from anyone who can reach the job servers\n',
    );
  });

  it('--processes 2 --secret-file --allow: the children hold the secret in their environment, not argv, and enforce both', async () => {
    const server = await gearmand();
    const hosts = await fleet(6);
    const file = await secretFile(`${SECRET}\n`);
    const [allowed, , , , , denied] = hosts.hosts;
    const rules = hosts.addresses
      .slice(0, 5)
      .map((address) => `${address}:${hosts.port}`)
      .join(',');
    const supervisor = start(['worker', '--gearman', server.address, '--processes', '2', '--secret-file', file, '--allow', rules]);
    const workers = await until(
      async () => (await fetchWorkers({ host: server.host, port: server.port })).filter((w) => w.functions.includes(FN)),
      (list) => list.length === 2,
    );
    expect(supervisor.stderr()).toContain(`fetching only hosts allowed by --allow ${rules}; running only jobs signed with the secret`);
    expect(supervisor.stderr()).not.toContain('warning: no --allow');
    for (const pid of workers.map((w) => Number(w.id.split('/').pop()))) {
      const argv = (await readFile(`/proc/${pid}/cmdline`, 'utf8')).split('\0');
      expect(argv).not.toContain(SECRET);
      expect(argv.join(' ')).toContain(`--allow ${rules}`);
      expect((await readFile(`/proc/${pid}/environ`, 'utf8')).split('\0')).toContain(`FANOUT_SECRET=${SECRET}`);
    }

    const pull = (env: NodeJS.ProcessEnv) =>
      runCli(['pull', ...hosts.hosts, '--gearman', server.address, '--batch-size', '3', '--stall-timeout', '10s'], { env });
    const signed = await pull({ FANOUT_SECRET: SECRET });
    const codes = new Map(parseNdjson(signed.stdout).map((r) => [r.host, r.code]));
    expect(codes.size).toBe(6);
    expect(codes.get(allowed!)).toBe('ok');
    expect(codes.get(denied!)).toBe('denied');
    expect(hosts.statsOf(denied!).requests).toBe(0);
    expect(hosts.totalRequests()).toBe(5);

    const unsigned = await pull({});
    expect(new Set(parseNdjson(unsigned.stdout).map((r) => r.error))).toEqual(
      new Set([expect.stringMatching(/^worker exception: job refused: unsigned job/)]),
    );
    expect(unsigned.exitCode).toBe(1);
    expect(hosts.totalRequests()).toBe(5);
  });
});
