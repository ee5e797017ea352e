// TLS is verified unless --insecure: a self-signed host fails with code tls, and -k or --ca (its certificate) lets it
// through. A server that requires a client certificate (TLS 1.3: its refusal is an alert after the handshake) is
// recorded tls in words without --cert/--key, and answers with them.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeClientCertificate, makeFleetCertificates, type ClientCertificate } from '../../fixtures/fleet/tls-certs.js';
import { NO_TLS_MATERIAL, type TlsMaterial } from '../../src/http/tls-material.js';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';
import type { HostResult } from '../../src/record/host-result.js';
import { exitCodeOfOutcome } from '../../src/cli/exit-codes.js';
import { runFanout } from '../../src/run/run-fanout.js';
import { captureIo } from '../helpers/capture-io.js';
import { parseNdjson } from '../helpers/run-cli.js';
import { runConfig } from '../helpers/run-config.js';

const ADDRESS = '127.97.0.1';
const MUTUAL_ADDRESS = '127.97.0.2';
let server: https.Server;
let host: string;
let dir: string;
/** Requires a client certificate signed by the fleet CA, over TLS 1.3 only. */
let mutual: https.Server;
let mutualHost: string;
let mutualRequests = 0;
let caPem: string;
let client: ClientCertificate;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fanout-tls-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${ADDRESS}`,
      '-addext',
      `subjectAltName=IP:${ADDRESS}`,
      '-keyout',
      join(dir, 'key.pem'),
      '-out',
      join(dir, 'cert.pem'),
    ],
    { stdio: 'ignore' },
  );
  server = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{"tls":true}');
  });
  await new Promise<void>((resolve) => server.listen(0, ADDRESS, resolve));
  host = `${ADDRESS}:${(server.address() as AddressInfo).port}`;

  const certs = await makeFleetCertificates(dir, [MUTUAL_ADDRESS]);
  client = await makeClientCertificate(dir);
  caPem = readFileSync(certs.caFile, 'utf8');
  const served = { key: readFileSync(certs.keyFile), cert: readFileSync(certs.certFiles[0]!), ca: caPem };
  mutual = https.createServer({ ...served, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.3' }, (_req, res) => {
    mutualRequests++;
    res.end('{"mutual":true}');
  });
  await new Promise<void>((resolve) => mutual.listen(0, MUTUAL_ADDRESS, resolve));
  mutualHost = `${MUTUAL_ADDRESS}:${(mutual.address() as AddressInfo).port}`;
});
afterAll(async () => {
  for (const s of [server, mutual]) {
    s.closeAllConnections();
    await new Promise((resolve) => s.close(resolve));
  }
  rmSync(dir, { recursive: true, force: true });
});

function clientMaterial(): TlsMaterial {
  return { ca: caPem, client: { cert: readFileSync(client.certFile, 'utf8'), key: readFileSync(client.keyFile, 'utf8') } };
}

async function pull(
  insecure: boolean,
  tls: TlsMaterial = NO_TLS_MATERIAL,
  target = host,
): Promise<{ code: number; record: HostResult | undefined }> {
  const { io, stdout } = captureIo();
  const code = exitCodeOfOutcome(
    await runFanout(runConfig([target], { spec: { ...DEFAULT_SPEC, url: 'https://{host}/', insecure }, quiet: true, tls }), io),
  );
  return { code, record: parseNdjson<HostResult>(stdout())[0] };
}

describe('TLS', () => {
  it('refuses a certificate it cannot verify, with code tls', async () => {
    const { code, record } = await pull(false);
    expect(code).toBe(1);
    expect(record).toMatchObject({ ok: false, code: 'tls', status: null });
    expect(record?.error).toMatch(/SELF_SIGNED|self-signed/i);
  });

  it('accepts it with --insecure', async () => {
    const { code, record } = await pull(true);
    expect(code).toBe(0);
    expect(record).toMatchObject({ ok: true, code: 'ok', status: 200, url: `https://${host}/` });
  });
});

describe('--ca', () => {
  it('trusts a self-signed server given its certificate as the CA, instead of the bundled roots', async () => {
    const { code, record } = await pull(false, { ca: readFileSync(join(dir, 'cert.pem'), 'utf8'), client: null });
    expect(code).toBe(0);
    expect(record).toMatchObject({ ok: true, code: 'ok', status: 200 });
  });

  it('trusts nothing else then: a server of another CA is refused with code tls', async () => {
    const { record } = await pull(false, { ca: caPem, client: null });
    expect(record).toMatchObject({ ok: false, code: 'tls' });
  });
});

describe('a server that requires a client certificate (TLS 1.3)', () => {
  it('is recorded tls, saying that the server requires a client certificate, without --cert/--key', async () => {
    mutualRequests = 0;
    const { code, record } = await pull(false, { ca: caPem, client: null }, mutualHost);
    expect(code).toBe(1);
    expect(record).toMatchObject({ ok: false, code: 'tls', status: null });
    expect(record?.error).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED: the server requires a client certificate (--cert and --key)');
    expect(mutualRequests).toBe(0);
  });

  it('answers with --cert/--key', async () => {
    mutualRequests = 0;
    const { code, record } = await pull(false, clientMaterial(), mutualHost);
    expect(code).toBe(0);
    expect(record).toMatchObject({ ok: true, code: 'ok', status: 200 });
    expect(mutualRequests).toBe(1);
  });

  it('says so for every host of a run, the connections of one agent each keeping its own alert', async () => {
    const hosts = Array.from({ length: 20 }, (_, i) => `https://${mutualHost}/${i}`);
    const { io, stdout } = captureIo();
    const config = runConfig(hosts, { spec: { ...DEFAULT_SPEC, url: 'https://{host}/' }, quiet: true, tls: { ca: caPem, client: null } });
    await runFanout(config, io);
    const records = parseNdjson<HostResult>(stdout());
    expect(records).toHaveLength(20);
    expect(records.every((r) => r.code === 'tls' && r.error?.includes('requires a client certificate') === true)).toBe(true);
  });
});
