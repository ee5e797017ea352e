// Secrets end to end: headers read from a file (-H @FILE) so they stay out of shell history and `ps`, and
// --secret-header names whose values never appear on stdout or stderr, even when a server echoes them back in a
// response header kept with --include-headers, in local mode and through a worker (the names travel in the job).
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startGearmand, type Gearmand } from '../helpers/gearmand.js';
import { parseNdjson, runCli, type CliResult } from '../helpers/run-cli.js';

const SECRET = 's3cr3t-Api-T0ken';
const ADDRESS = '127.94.0.1';

let dir: string;
let server: http.Server;
let host: string;
/** The request headers each request arrived with. */
let received: http.IncomingHttpHeaders[] = [];
let gearmand: Gearmand;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fanout-secrets-'));
  // Echoes X-Api-Token back, as a careless server or a debugging proxy does.
  server = http.createServer((req, res) => {
    received.push(req.headers);
    const token = req.headers['x-api-token'];
    res.writeHead(200, { 'content-type': 'text/plain', ...(typeof token === 'string' ? { 'x-echo-token': token } : {}) });
    res.end('ok');
  });
  await new Promise<void>((resolve) => server.listen(0, ADDRESS, resolve));
  host = `${ADDRESS}:${(server.address() as AddressInfo).port}`;
  gearmand = await startGearmand();
});
afterAll(async () => {
  server.closeAllConnections();
  await Promise.all([new Promise((resolve) => server.close(resolve)), gearmand.stop()]);
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  received = [];
});

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const HEADERS_FILE = () =>
  file('headers.txt', `# the API token, kept out of shell history\n\n  # indented comment\nX-Api-Token: ${SECRET}\r\nAccept: text/plain\n`);

function expectNoSecret(run: CliResult): void {
  expect(run.stdout + run.stderr).not.toContain(SECRET);
}

describe('-H @FILE', () => {
  it('sends the headers of the file, skipping comments and blank lines', async () => {
    const run = await runCli(['pull', host, '-H', `@${HEADERS_FILE()}`, '-H', 'X-Also: given', '-q']);
    expect(run.exitCode).toBe(0);
    expect(received).toHaveLength(1);
    expect(received[0]).toMatchObject({ 'x-api-token': SECRET, accept: 'text/plain', 'x-also': 'given' });
  });

  it.each<[string, string, (path: string) => string]>([
    [
      'a line without a colon',
      `# token\nX-Good: 1\nBearer ${SECRET}\n`,
      (path) => `-H @${path}:3: expected "Name: value" with a name of letters, digits and -`,
    ],
    [
      'a control character in a value',
      `X-Api-Token: ${SECRET}\u0001\n`,
      (path) => `-H @${path}:1 "X-Api-Token": the value contains a line break, a control character or a character beyond Latin-1`,
    ],
    ['a file with no header', '# nothing but comments\n\n', (path) => `-H @${path}: no header in it (one "Name: value" per line)`],
  ])('refuses %s, naming the file and line but never the value, and sends nothing', async (name, text, message) => {
    const path = file(`${name.replaceAll(' ', '-')}.txt`, text);
    const run = await runCli(['pull', host, '-H', `@${path}`]);
    expect({ exitCode: run.exitCode, stderr: run.stderr, stdout: run.stdout }).toEqual({
      exitCode: 2,
      stderr: `fanout: ${message(path)}\n`,
      stdout: '',
    });
    expect(received).toHaveLength(0);
  });

  it('refuses a file that cannot be read, and sends nothing', async () => {
    const path = join(dir, 'missing.txt');
    const run = await runCli(['pull', host, '-H', `@${path}`]);
    expect([run.exitCode, run.stderr]).toEqual([2, `fanout: -H @${path}: cannot read ${path}: ENOENT\n`]);
    expect(received).toHaveLength(0);
  });
});

describe('--secret-header', () => {
  it("keeps a secret header's value echoed by the server out of every record and line (--include-headers)", async () => {
    const run = await runCli([
      'pull',
      host,
      '-H',
      `@${HEADERS_FILE()}`,
      '--secret-header',
      'X-Echo-Token',
      '--include-headers',
      '--format',
      'ndjson',
    ]);
    expect(run.exitCode).toBe(0);
    expect(parseNdjson(run.stdout)[0]?.headers).toMatchObject({ 'x-echo-token': '[redacted]', 'content-type': 'text/plain' });
    expectNoSecret(run);
  });

  it('is what hides it: without the flag the echoed value is in the record', async () => {
    const run = await runCli(['pull', host, '-H', `@${HEADERS_FILE()}`, '--include-headers', '-q']);
    expect(parseNdjson(run.stdout)[0]?.headers?.['x-echo-token']).toBe(SECRET);
  });

  it('hides the value in the dry run too, and sends nothing', async () => {
    const run = await runCli(['pull', host, '-H', `@${HEADERS_FILE()}`, '--secret-header', 'x-api-token', '--dry-run']);
    expect(run.exitCode).toBe(0);
    expect(run.stderr).toContain('x-api-token: [redacted]');
    expect(run.stderr).toContain('accept: text/plain');
    expectNoSecret(run);
    expect(received).toHaveLength(0);
  });

  it('travels to the workers in gearman mode: a worker keeps it out of the records it sends', async () => {
    const run = await runCli([
      'pull',
      host,
      '-H',
      `@${HEADERS_FILE()}`,
      '--secret-header',
      'x-echo-token',
      '--include-headers',
      '--gearman',
      gearmand.address,
      '--local-workers',
      '1',
      '--format',
      'ndjson',
    ]);
    expect(run.exitCode).toBe(0);
    const [record] = parseNdjson(run.stdout);
    expect(record?.worker).toMatch(/^local-/);
    expect(record?.headers?.['x-echo-token']).toBe('[redacted]');
    expectNoSecret(run);
  });

  it('refuses a "Name: value" given as a name, without echoing the value, and sends nothing', async () => {
    const run = await runCli(['pull', host, '--secret-header', `X-Api-Token: ${SECRET}`]);
    expect([run.exitCode, run.stderr]).toEqual([
      2,
      'fanout: --secret-header: expected a header name (letters, digits and -), not "Name: value"\n',
    ]);
    expect(received).toHaveLength(0);
  });
});
