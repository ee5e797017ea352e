// fanout pull end to end: the real binary against a real loopback fleet, as an operator runs it.
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import type { Summary } from '../../src/report/summary.js';
import { BIN, parseJsonLines, parseNdjson, runCli } from '../helpers/run-cli.js';
import { validateSummary } from '../helpers/schemas.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-e2e-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** `fanout ARGS | head -1` under pipefail: the exit code is fanout's when it fails. */
function pipeToHead(args: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return shell(`set -o pipefail; node "${BIN}" ${args} | head -1`);
}

/** A shell command line, as a user types it (pipes, redirections). */
function shell(command: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const sh = spawn('bash', ['-c', command]);
    let stdout = '';
    let stderr = '';
    sh.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    sh.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    sh.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

async function hostsFile(name: string, hosts: readonly string[]): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, `${hosts.join('\n')}\n`);
  return path;
}

describe('pull against a 500-host fleet with faults', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ hosts: 500, latencyMs: 5, faults: { '500': 0.02, refused: 0.01, hang: 0.01, reset: 0.01 } });
  });
  afterAll(() => fleet.close());

  it('yields exactly one schema-valid record per host, each fault with its code, and a summary that matches', async () => {
    const file = await hostsFile('faulty.txt', fleet.hosts);
    const summaryPath = join(dir, 'summary.json');
    const run = await runCli(['pull', '-f', file, '-c', '200', '--timeout', '3s', '--summary', summaryPath]);

    expect(run.exitCode).toBe(1);
    const records = parseNdjson(run.stdout); // each checked against the schema
    expect(records).toHaveLength(500);
    expect(new Set(records.map((r) => r.host))).toEqual(new Set(fleet.hosts));

    const expected = { ok: 'ok', '500': 'http_status', refused: 'refused', hang: 'timeout', reset: 'reset' } as const;
    for (const record of records) {
      const fault = fleet.faultOf(record.host) as keyof typeof expected;
      expect({ host: record.host, code: record.code }).toEqual({ host: record.host, code: expected[fault] });
      if (fault === '500') expect(record.status).toBe(500);
      expect(record.ok).toBe(fault === 'ok');
    }
    for (const kind of ['500', 'refused', 'hang', 'reset'] as const) expect(fleet.faultyHosts(kind).length).toBeGreaterThan(0);

    const summary = JSON.parse(await readFile(summaryPath, 'utf8')) as Summary;
    expect(validateSummary(summary)).toBe(true);
    const byCode: Record<string, number> = {};
    for (const r of records) byCode[r.code] = (byCode[r.code] ?? 0) + 1;
    expect(summary.byCode).toEqual(byCode);
    expect(summary.hosts).toBe(500);
    expect(summary.ok).toBe(records.filter((r) => r.ok).length);
    expect(summary.failed).toBe(records.filter((r) => !r.ok).length);
    expect(summary.byStatus).toEqual({ '500': fleet.faultyHosts('500').length });
    // The human summary goes to stderr, and stdout holds nothing but the records.
    expect(run.stderr).toContain('500 hosts');
    expect(run.stderr).toContain(`${summary.failed} failed`);
  });
});

describe('pull against a healthy fleet', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ hosts: 40 });
  });
  afterAll(() => fleet.close());

  it('exits 0 with every host ok, NDJSON on stdout and the summary on stderr', async () => {
    const run = await runCli(['pull', ...fleet.hosts, '-u', 'http://{host}/status']);
    expect(run.exitCode).toBe(0);
    const records = parseNdjson(run.stdout);
    expect(records.map((r) => r.code)).toEqual(Array(40).fill('ok'));
    expect(records[0]?.url).toMatch(/^http:\/\/127\.\d+\.\d+\.\d+:\d+\/status$/);
    expect(run.stderr).toMatch(/40 hosts · 40 ok · 0 failed/);
    expect(fleet.totalRequests()).toBe(40);
  });

  it('writes records to --output and nothing to stdout; -q silences stderr', async () => {
    const out = join(dir, 'out.ndjson');
    const run = await runCli(['pull', ...fleet.hosts.slice(0, 5), '-o', out, '-q']);
    expect(run).toMatchObject({ exitCode: 0, stdout: '', stderr: '' });
    expect(parseNdjson(await readFile(out, 'utf8'))).toHaveLength(5);
  });

  it('puts the parsed JSON body in the record with --body, and body_too_large past --max-body', async () => {
    const [host] = fleet.hosts;
    const kept = parseNdjson((await runCli(['pull', host!, '--body', '-q'])).stdout);
    expect(kept[0]?.body).toMatchObject({ host });
    const capped = await runCli(['pull', host!, '--body', '--max-body', '16', '-q']);
    expect(capped.exitCode).toBe(1);
    expect(parseNdjson(capped.stdout)[0]?.code).toBe('body_too_large');
  });

  it('drops a repeated host before sending, and counts it in the summary', async () => {
    fleet.reset();
    const summaryPath = join(dir, 'dup-summary.json');
    const [a, b] = fleet.hosts;
    const run = await runCli(['pull', a!, b!, a!, '--summary', summaryPath]);
    expect(run.exitCode).toBe(0);
    expect(parseNdjson(run.stdout)).toHaveLength(2);
    expect(fleet.totalRequests()).toBe(2);
    expect((JSON.parse(await readFile(summaryPath, 'utf8')) as Summary).duplicates).toBe(1);
    expect(run.stderr).toContain('1 duplicate');
  });

  it('exits 3 when the output cannot be written (disk full: -o or stdout) or the summary file cannot be', async () => {
    const full = await runCli(['pull', ...fleet.hosts.slice(0, 3), '-o', '/dev/full']);
    expect(full.exitCode).toBe(3);
    expect(full.stderr).toMatch(/cannot write output: .*ENOSPC|no space/i);
    for (const args of [`pull ${fleet.hosts[0]!}`, "hosts 'h[1-3]'", "pull 'h[1-3]' --dry-run"]) {
      const redirected = await shell(`node "${BIN}" ${args} > /dev/full`);
      expect({ args, code: redirected.code }).toEqual({ args, code: 3 });
      expect(redirected.stderr).toContain('fanout: cannot write output');
      expect(redirected.stderr).not.toMatch(/\n\s+at /);
    }
    const summary = await runCli(['pull', fleet.hosts[0]!, '--summary', join(dir, 'no-such-dir', 's.json'), '-q']);
    expect(summary.exitCode).toBe(3);
    expect(summary.stderr).toContain('cannot write --summary');
    expect(parseNdjson(summary.stdout)).toHaveLength(1);
  });

  it('--dry-run prints what each host would get and sends nothing', async () => {
    fleet.reset();
    const run = await runCli(['pull', 'web[01-03].dc1', '-u', 'https://{hostname}:8443/v1/{index}', '--dry-run']);
    expect(run.exitCode).toBe(0);
    expect(parseJsonLines(run.stdout)).toEqual([
      { host: 'web01.dc1', method: 'GET', url: 'https://web01.dc1:8443/v1/0' },
      { host: 'web02.dc1', method: 'GET', url: 'https://web02.dc1:8443/v1/1' },
      { host: 'web03.dc1', method: 'GET', url: 'https://web03.dc1:8443/v1/2' },
    ]);
    expect(fleet.totalRequests()).toBe(0);
  });

  it('fanout hosts counts in the right number on stderr', async () => {
    expect((await runCli(['hosts', 'db1'])).stderr).toBe('fanout: 1 host\n');
    expect((await runCli(['hosts', 'db[1-2]', 'db1'])).stderr).toBe('fanout: 2 hosts (1 duplicate dropped)\n');
  });

  it('exits cleanly when the reader of stdout goes away (| head -1)', async () => {
    const file = await hostsFile('head.txt', fleet.hosts);
    const result = await pipeToHead(`pull -f "${file}" -c 1`);
    expect(parseNdjson(result.stdout)).toHaveLength(1);
    expect(result.stderr).not.toMatch(/EPIPE|Error:|\n\s+at /);
    expect([0, 130]).toContain(result.code);
  });

  it.each([
    ['hosts', "hosts 'h[1-200000]'"],
    ['--dry-run', "pull 'h[1-200000]' --dry-run"],
  ])('%s stops at once, with no error, when the reader goes away: exit 0 (nothing was being sent)', async (_name, args) => {
    const result = await pipeToHead(args);
    expect(result.stdout.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).not.toMatch(/EPIPE|Error:|\n\s+at /);
    expect(result.code).toBe(0);
  });
});

describe('input errors', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ hosts: 3 });
  });
  afterAll(() => fleet.close());

  it('a malformed line exits 2 naming the file and line, and no host gets a request', async () => {
    const file = await hostsFile('bad.txt', [fleet.hosts[0]!, '# a comment', 'web[01-', fleet.hosts[1]!]);
    const run = await runCli(['pull', '-f', file]);
    expect(run.exitCode).toBe(2);
    expect(run.stdout).toBe('');
    expect(run.stderr).toContain(`${file}:3: unclosed range "web[01-"`);
    expect(fleet.totalRequests()).toBe(0);
  });

  it('a file with only comments exits 2: no hosts', async () => {
    const file = await hostsFile('empty.txt', ['# nothing here', '']);
    const run = await runCli(['pull', '-f', file]);
    expect(run.exitCode).toBe(2);
    expect(run.stderr).toMatch(/no hosts/);
  });

  it('bad flags exit 2 with the flag named', async () => {
    const timeout = await runCli(['pull', fleet.hosts[0]!, '--timeout', 'soon']);
    expect(timeout.exitCode).toBe(2);
    expect(timeout.stderr).toContain('--timeout');
    const expectFlag = await runCli(['pull', fleet.hosts[0]!, '--expect', '2xx,abc']);
    expect(expectFlag.exitCode).toBe(2);
    expect(expectFlag.stderr).toContain('"abc"');
    const template = await runCli(['pull', fleet.hosts[0]!, '-u', 'http://{hots}/']);
    expect(template.exitCode).toBe(2);
    expect(template.stderr).toContain('{hots}');
    expect(fleet.totalRequests()).toBe(0);
  });

  it('an unwritable --output exits 3 before anything is sent', async () => {
    const run = await runCli(['pull', fleet.hosts[0]!, '-o', join(dir, 'missing-dir', 'out.ndjson')]);
    expect(run.exitCode).toBe(3);
    expect(run.stderr).toContain('--output');
    expect(fleet.totalRequests()).toBe(0);
  });
});

describe('pull --follow', () => {
  let fleet: Fleet;
  beforeAll(async () => {
    fleet = await startFleet({ hosts: 3, faultFor: (i) => (['redirect', 'redirect-other', 'ok'] as const)[i] });
  });
  afterAll(() => fleet.close());

  it('follows redirects on the requested host only, the record keeping the url asked for and counting redirects', async () => {
    const [redirect = '', other = ''] = fleet.hosts;
    const run = await runCli(['pull', redirect, other, '--follow', '2']);
    expect(run.exitCode).toBe(1);
    const records = new Map(parseNdjson(run.stdout).map((r) => [r.host, r])); // each checked against the schema
    expect(records.get(redirect)).toMatchObject({ ok: true, status: 200, url: `http://${redirect}/`, redirects: 1 });
    expect(records.get(other)).toMatchObject({ code: 'http_status', status: 302, redirects: 0 });
    expect(records.get(other)?.error).toContain('--follow-any-host');
    expect(fleet.statsOf(2).requests).toBe(0);
  });

  it('refuses --follow-any-host without --follow, and a negative --follow, sending nothing', async () => {
    fleet.reset();
    const alone = await runCli(['pull', fleet.hosts[0]!, '--follow-any-host']);
    expect(alone.exitCode).toBe(2);
    expect(alone.stderr).toContain('--follow-any-host needs --follow N');
    const negative = await runCli(['pull', fleet.hosts[0]!, '--follow', '-1']);
    expect(negative.exitCode).toBe(2);
    expect(negative.stderr).toContain('--follow');
    expect(fleet.totalRequests()).toBe(0);
  });
});
