// TLS is verified unless --insecure: a self-signed host fails with code tls, and -k lets it through.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';
import type { HostResult } from '../../src/record/host-result.js';
import { exitCodeOfOutcome } from '../../src/cli/exit-codes.js';
import { runFanout } from '../../src/run/run-fanout.js';
import { parseNdjson } from '../helpers/run-cli.js';
import { runConfig } from '../helpers/run-config.js';

const ADDRESS = '127.97.0.1';
let server: https.Server;
let host: string;
let dir: string;

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
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

async function pull(insecure: boolean): Promise<{ code: number; record: HostResult | undefined }> {
  const out = new PassThrough();
  let stdout = '';
  out.on('data', (d: Buffer) => (stdout += d.toString()));
  const code = exitCodeOfOutcome(
    await runFanout(runConfig([host], { spec: { ...DEFAULT_SPEC, url: 'https://{host}/', insecure }, quiet: true }), {
      stdout: out,
      stderr: new PassThrough(),
      env: {},
      onInterrupt: () => () => undefined,
    }),
  );
  return { code, record: parseNdjson<HostResult>(stdout)[0] };
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
