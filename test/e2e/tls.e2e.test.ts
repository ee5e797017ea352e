// --ca, --cert and --key end to end: the real binary against a real HTTPS server that requires a client certificate
// (TLS 1.3), in local mode (one thread and two), through `fanout worker` processes in gearman mode (the material is
// the worker's own, and the client refuses to take it), and every bad file refused before anything is sent.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import {
  makeClientCertificate,
  makeFleetCertificates,
  type ClientCertificate,
  type FleetCertificates,
} from '../../fixtures/fleet/tls-certs.js';
import { fetchWorkers } from '../../src/gearman/admin-client.js';
import { startGearmand, type Gearmand } from '../helpers/gearmand.js';
import { parseNdjson, runCli, startCli, type CliResult, type RunningCli } from '../helpers/run-cli.js';

const ADDRESS = '127.96.0.1';
const REQUIRED = 'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: the server requires a client certificate (--cert and --key)';

let dir: string;
let certs: FleetCertificates;
let client: ClientCertificate;
let server: https.Server;
let requests = 0;
/** Two URLs on the server that requires a client certificate (two hosts, so that --threads 2 runs two threads). */
let urls: string[];
let fleet: Fleet;
/** A plain fleet host listed first in every refused run: a request sent to it would be counted. */
let live: string;
let gearmand: Gearmand;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fanout-tls-e2e-'));
  mkdirSync(join(dir, 'pki'));
  certs = await makeFleetCertificates(join(dir, 'pki'), [ADDRESS]);
  client = await makeClientCertificate(join(dir, 'pki'));
  const served = { key: readFileSync(certs.keyFile), cert: readFileSync(certs.certFiles[0]!), ca: readFileSync(certs.caFile) };
  server = https.createServer({ ...served, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (_req, res) => {
    requests++;
    res.end('{"mutual":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, ADDRESS, resolve));
  const origin = `https://${ADDRESS}:${(server.address() as AddressInfo).port}`;
  urls = [`${origin}/a`, `${origin}/b`];
  [fleet, gearmand] = await Promise.all([startFleet({ hosts: 1, record: true }), startGearmand()]);
  live = fleet.hosts[0]!;
});
afterAll(async () => {
  server.closeAllConnections();
  await Promise.all([new Promise((resolve) => server.close(resolve)), fleet.close(), gearmand.stop()]);
  rmSync(dir, { recursive: true, force: true });
});
afterEach(() => {
  requests = 0;
  fleet.reset();
});

const clientFlags = (): string[] => ['--ca', certs.caFile, '--cert', client.certFile, '--key', client.keyFile];

describe('local mode', () => {
  it('records a server that requires a client certificate as tls, in words, without --cert/--key', async () => {
    const run = await runCli(['pull', ...urls, '--ca', certs.caFile, '-q']);
    expect(run.exitCode).toBe(1);
    expect(parseNdjson(run.stdout).map((r) => [r.code, r.error])).toEqual([
      ['tls', REQUIRED],
      ['tls', REQUIRED],
    ]);
    expect(requests).toBe(0);
  });

  it.each([['1'], ['2']])('is answered with --ca, --cert and --key (--threads %s)', async (threads) => {
    const run = await runCli(['pull', ...urls, ...clientFlags(), '--threads', threads, '-q']);
    expect(run.stderr).toBe('');
    expect(run.exitCode).toBe(0);
    expect(parseNdjson(run.stdout).map((r) => r.code)).toEqual(['ok', 'ok']);
    expect(requests).toBe(2);
  });
});

describe('bad TLS files', () => {
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  let notPem: string;
  let encryptedKey: string;
  beforeAll(() => {
    notPem = file('not-pem.txt', 'hello, I am not a certificate\n');
    encryptedKey = join(dir, 'encrypted.key');
    execFileSync('openssl', ['pkey', '-in', client.keyFile, '-aes256', '-passout', 'pass:x', '-out', encryptedKey], { stdio: 'ignore' });
  });

  /** Exit 2, `fanout: <message>` as the only line on stderr, no records, and not one request received. */
  function expectRefused(run: CliResult, message: string): void {
    expect({ exitCode: run.exitCode, stderr: run.stderr, stdout: run.stdout }).toEqual({
      exitCode: 2,
      stderr: `fanout: ${message}\n`,
      stdout: '',
    });
    expect(fleet.totalRequests() + requests).toBe(0);
  }

  it.each<[string, () => string[], () => string]>([
    ['an unreadable --ca', () => ['--ca', join(dir, 'missing.pem')], () => `--ca: cannot read ${join(dir, 'missing.pem')}: ENOENT`],
    [
      'a --ca without a certificate',
      () => ['--ca', client.keyFile],
      () => `--ca ${client.keyFile}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    ],
    [
      'a --cert that is not PEM',
      () => ['--cert', notPem, '--key', client.keyFile],
      () => `--cert ${notPem}: holds no PEM certificate (-----BEGIN CERTIFICATE-----)`,
    ],
    [
      'a --key that is not a key',
      () => ['--cert', client.certFile, '--key', client.certFile],
      () => `--key ${client.certFile}: holds no PEM private key (ERR_OSSL_UNSUPPORTED)`,
    ],
    [
      'a --key of another certificate',
      () => ['--cert', client.certFile, '--key', certs.keyFile],
      () => `--key ${certs.keyFile}: is not the private key of the client certificate`,
    ],
    [
      'an encrypted --key',
      () => ['--cert', client.certFile, '--key', encryptedKey],
      () => `--key ${encryptedKey}: is encrypted; fanout takes an unencrypted key (openssl pkey -in FILE -out KEY)`,
    ],
    ['a --key that is a directory', () => ['--cert', client.certFile, '--key', dir], () => `--key: cannot read ${dir}: EISDIR`],
    ['--cert without --key', () => ['--cert', client.certFile], () => `--cert ${client.certFile} needs --key FILE, its private key`],
    [
      '--key without --cert',
      () => ['--key', client.keyFile],
      () => `--key ${client.keyFile} needs --cert FILE, the certificate it belongs to`,
    ],
  ])('refuses %s, naming the flag and the file, and sends nothing', async (_case, flags, message) => {
    expectRefused(await runCli(['pull', live, ...urls, ...flags()]), message());
  });

  it('refuses --cert/--key with --gearman, saying to give them to the workers, and sends nothing', async () => {
    const run = await runCli(['pull', live, '--gearman', gearmand.address, '--local-workers', '1', ...clientFlags()]);
    expectRefused(
      run,
      '--cert/--key with --gearman: the workers make the connections, and a private key never travels through gearmand; start them with fanout worker --cert FILE --key FILE',
    );
  });

  it('refuses --ca with --gearman the same way', async () => {
    const run = await runCli(['pull', live, '--gearman', gearmand.address, '--local-workers', '1', '--ca', certs.caFile]);
    expectRefused(
      run,
      '--ca with --gearman: the workers make the connections, so what they trust is theirs; start them with fanout worker --ca FILE',
    );
  });

  it('stops a worker with a bad file at start, with one line and exit 2', async () => {
    const run = await runCli(['worker', '--gearman', gearmand.address, '--cert', client.certFile, '--key', certs.keyFile]);
    expect({ exitCode: run.exitCode, stderr: run.stderr, stdout: run.stdout }).toEqual({
      exitCode: 2,
      stderr: `fanout: --key ${certs.keyFile}: is not the private key of the client certificate\n`,
      stdout: '',
    });
  });
});

describe("gearman mode: the TLS material is the worker's own", () => {
  const workers: RunningCli[] = [];
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      worker.child.kill('SIGTERM');
      await worker.stop();
    }
  });

  /** `fanout worker` with `flags` as --processes 2 (so its children must get the flags too), once both are registered. */
  async function startWorkers(id: string, flags: string[]): Promise<void> {
    const worker = startCli(['worker', '--gearman', gearmand.address, '--processes', '2', '--id', id, '--function', id, '-q', ...flags]);
    workers.push(worker);
    const ids = new Set([`${id}/1`, `${id}/2`]);
    for (;;) {
      const registered = await fetchWorkers({ host: gearmand.host, port: gearmand.port });
      if (registered.filter((w) => ids.has(w.id) && w.functions.includes(id)).length === 2) return;
      if (worker.child.exitCode !== null) throw new Error(`the worker exited: ${worker.stderr()}`);
      await new Promise((resolve) => setTimeout(resolve, 50)); // gearmand's admin answers have no event to wait for
    }
  }

  const pullThrough = (fn: string): Promise<CliResult> =>
    runCli(['pull', ...urls, '--gearman', gearmand.address, '--function', fn, '--batch-size', '1', '-q']);

  it('a worker started with --ca, --cert and --key gets answers from the server that requires a client certificate', async () => {
    await startWorkers('tls-mutual', clientFlags());
    const run = await pullThrough('tls-mutual');
    expect(run.exitCode).toBe(0);
    const records = parseNdjson(run.stdout);
    expect(records.map((r) => r.code)).toEqual(['ok', 'ok']);
    expect(records.every((r) => r.worker?.startsWith('tls-mutual/') === true)).toBe(true);
    expect(requests).toBe(2);
  });

  it('a worker without a client certificate records tls, in words', async () => {
    await startWorkers('tls-trust-only', ['--ca', certs.caFile]);
    const run = await pullThrough('tls-trust-only');
    expect(run.exitCode).toBe(1);
    expect(parseNdjson(run.stdout).map((r) => [r.code, r.error])).toEqual([
      ['tls', REQUIRED],
      ['tls', REQUIRED],
    ]);
    expect(requests).toBe(0);
  });
});
