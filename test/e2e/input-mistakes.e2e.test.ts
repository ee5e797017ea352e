// Mistakes an operator makes at the command line, caught before anything is sent (issue #9, items 4 and 5): the
// real binary, with a live fleet host listed first in every refused run, which must receive nothing. A refused run
// exits 2 with exactly one line on stderr and nothing on stdout.
import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { BIN, parseJsonLines, parseNdjson, runCli, type CliResult } from '../helpers/run-cli.js';

const VERSION = (JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version;

let dir: string;
let fleet: Fleet;
/** The fleet host listed first in every run: it answers, so a request sent to it would be counted. */
let live: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-mistakes-'));
  fleet = await startFleet({ hosts: 2, record: true });
  live = fleet.hosts[0]!;
});
afterAll(async () => {
  await fleet.close();
  await rm(dir, { recursive: true, force: true });
});
afterEach(() => fleet.reset());

async function file(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

/** Exit 2, `fanout: <message>` as the only line on stderr, no records, and not one request received. */
function expectRefused(run: CliResult, message: string): void {
  expect({ exitCode: run.exitCode, stderr: run.stderr, stdout: run.stdout }).toEqual({
    exitCode: 2,
    stderr: `fanout: ${message}\n`,
    stdout: '',
  });
  expect(fleet.totalRequests()).toBe(0);
}

/** A command line run by bash in `cwd`, as a user types it there (relative paths, pipes). */
function shell(command: string, cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const sh = spawn('bash', ['-c', command], { cwd, env: { ...process.env, FANOUT_GEARMAN: '' } });
    let stdout = '';
    let stderr = '';
    sh.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    sh.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    sh.on('error', reject);
    sh.on('close', (exitCode, signal) => resolve({ exitCode, signal, stdout, stderr }));
  });
}

describe('push bodies', () => {
  const broken = '{\n  "ttl": 30,\n  "mode": on\n}\n';

  it('refuses a -d @FILE that starts like JSON but is not, naming the line and column', async () => {
    const config = await file('config.json', broken);
    const run = await runCli(['push', live, fleet.hosts[1]!, '-d', `@${config}`]);
    expectRefused(run, `-d @${config}: not valid JSON at line 3, column 11: Unexpected token 'o'`);
  });

  it('sends that body as is when -H gives a Content-Type', async () => {
    const run = await runCli(['push', live, '-d', broken, '-H', 'Content-Type: text/x-almost-json', '-q']);
    expect(run.exitCode).toBe(0);
    expect(fleet.statsOf(live).bodies?.[0]?.text).toBe(broken);
  });

  it('refuses a push without -d', async () => {
    const run = await runCli(['push', live]);
    expectRefused(run, "push needs a body: -d STRING, -d @FILE or -d @-; -d '' sends an empty one");
  });

  it("sends an empty body with -d ''", async () => {
    const run = await runCli(['push', live, '-d', '', '-q']);
    expect(run.exitCode).toBe(0);
    expect(parseNdjson(run.stdout)[0]).toMatchObject({ method: 'POST', ok: true });
    expect(fleet.statsOf(live)).toMatchObject({ requests: 1, sizes: [0] });
    expect(fleet.statsOf(live).headers?.['content-type']).toBeUndefined();
  });
});

describe('a port after a port', () => {
  it('refuses -u http://{host}:PORT/ for an entry that has a port, with its file and line and the template to use', async () => {
    // The live host is listed by address alone, so -u gives it its port: it is the one entry this template fits.
    const hosts = await file('ports.txt', `${fleet.addresses[0]!}\n# the new ones\n127.0.0.1:18081\n`);
    const run = await runCli(['pull', '-f', hosts, '-u', `http://{host}:${fleet.port}/`]);
    expectRefused(
      run,
      `${hosts}:3: "127.0.0.1:18081" already has a port and -u puts another after {host}: use {hostname} (http://{hostname}:${fleet.port}/)`,
    );
  });
});

describe('a host list given as a host (forgotten -f)', () => {
  it('refuses hosts.txt when that file exists, suggesting -f', async () => {
    await file('hosts.txt', `${live}\n`);
    const run = await shell(`node "${BIN}" pull ${live} hosts.txt`, dir);
    expectRefused(run, 'hosts.txt is a file: did you mean -f hosts.txt?');
  });

  it('takes web01.txt for a host when no such file exists (a dry run: nothing is looked up)', async () => {
    const run = await shell(`node "${BIN}" pull ${live} web01.txt --dry-run`, dir);
    expect(run.exitCode).toBe(0);
    expect(parseJsonLines(run.stdout).map((line) => line.host)).toEqual([live, 'web01.txt']);
  });
});

describe('what every host gets', () => {
  it('--dry-run lists each host on stdout and says once on stderr what they all get, secrets redacted', async () => {
    const config = await file('ok.json', '{"ttl": 30}');
    const args = ['push', live, fleet.hosts[1]!, '-d', `@${config}`, '-H', 'Authorization: Bearer s3cret', '--run-id', 'r7'];
    const run = await runCli([...args, '--dry-run']);
    expect(run.exitCode).toBe(0);
    expect(parseJsonLines(run.stdout)).toEqual(fleet.hosts.map((host) => ({ host, method: 'POST', url: `http://${host}/` })));
    expect(run.stderr).toBe(
      'fanout: dry run: 2 hosts · POST · body 11 bytes (application/json) · headers: content-type: application/json, ' +
        `user-agent: fanout/${VERSION}, authorization: [redacted], idempotency-key: r7-{host}\n`,
    );
    expect(fleet.totalRequests()).toBe(0);
  });

  it('says nothing about reading stdin when -f - is a pipe', async () => {
    const run = await runCli(['pull', '-f', '-', '--dry-run'], { stdin: `${live}\n` });
    expect(run.exitCode).toBe(0);
    expect(run.stderr).not.toContain('reading hosts from stdin');
  });

  it('every request carries User-Agent: fanout/<version>, or the one -H gives (in any case) instead', async () => {
    const run = await runCli(['pull', live, '-q']);
    expect(run.exitCode).toBe(0);
    expect(fleet.statsOf(live).headers?.['user-agent']).toBe(1);

    // The fleet records header names only: a server of its own shows the values, and that only one was sent.
    const agents: string[][] = [];
    const server = http.createServer((req, res) => {
      agents.push(req.rawHeaders.filter((_, i) => i % 2 === 1 && req.rawHeaders[i - 1]!.toLowerCase() === 'user-agent'));
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.93.0.1', resolve));
    try {
      const host = `127.93.0.1:${(server.address() as AddressInfo).port}`;
      expect((await runCli(['pull', host, '-q'])).exitCode).toBe(0);
      expect((await runCli(['push', host, '-d', 'x', '-H', 'USER-AGENT: probe/1', '-q'])).exitCode).toBe(0);
      expect(agents).toEqual([[`fanout/${VERSION}`], ['probe/1']]);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
