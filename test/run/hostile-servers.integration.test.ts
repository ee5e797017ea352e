// Hostile and broken servers through the real runner, in-process, against the fleet's faults (plain HTTP, HTTPS, and
// through a gearman worker): each is a record with a clear code and message, and the run ends. No wall-clock limit:
// the deadlines are short, and what is checked is the code that says which one ended the request.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomInt } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REDIRECT_PATH, hostAddress, startFleet, type FaultKind, type Fleet } from '../../fixtures/fleet/fleet.js';
import { makeFleetCertificates } from '../../fixtures/fleet/tls-certs.js';
import { exitCodeOfOutcome } from '../../src/cli/exit-codes.js';
import { DEFAULT_SPEC, type RequestSpec } from '../../src/jobs/request-spec.js';
import type { HostResult } from '../../src/record/host-result.js';
import type { RunConfig } from '../../src/run/run-config.js';
import { RESPONSE_HEADERS_MAX_BYTES } from '../../src/http/dispatcher.js';
import { runFanout } from '../../src/run/run-fanout.js';
import { gearmandAvailable, startGearmand } from '../helpers/gearmand.js';
import { captureIo } from '../helpers/capture-io.js';
import { parseNdjson } from '../helpers/run-cli.js';
import { gearmanConfig, runConfig } from '../helpers/run-config.js';

/** Host index → fault; `redirect-other` (7) sends its clients to the next host (8), which is ok. */
const FAULTS: readonly FaultKind[] = [
  'ok',
  'trickle',
  'endless-headers',
  'huge-headers',
  'bad-status',
  'huge',
  'redirect',
  'redirect-other',
  'ok',
  'redirect-loop',
];
const HUGE_BYTES = 4 * 1024 * 1024;
/** The deadline of the runs where a timeout is the expected record. */
const TIMEOUT_MS = 300;
/** Every other run's: an answer must never race a deadline on a busy machine. */
const GENEROUS_MS = 20_000;
/** Far below TIMEOUT_MS: a trickle never stalls long enough for a per-read timeout, only the whole-request deadline ends it. */
const TRICKLE_MS = 10;

interface Run {
  code: number;
  records: Map<string, HostResult>;
  count: number;
}

async function run(hosts: readonly string[], spec: Partial<RequestSpec>, overrides: Partial<RunConfig> = {}): Promise<Run> {
  const config = runConfig(hosts, { spec: { ...DEFAULT_SPEC, timeoutMs: GENEROUS_MS, ...spec }, ...overrides });
  const { io, stdout } = captureIo();
  const code = exitCodeOfOutcome(await runFanout(config, io));
  const records = parseNdjson<HostResult>(stdout());
  return { code, records: new Map(records.map((r) => [r.host, r])), count: records.length };
}

function recordOf(result: Run, host: string): HostResult {
  const record = result.records.get(host);
  if (record === undefined) throw new Error(`no record for ${host}`);
  return record;
}

describe('hostile servers, plain HTTP', () => {
  let fleet: Fleet;
  const host = (kind: FaultKind): string => fleet.faultyHosts(kind)[0] ?? '';

  beforeAll(async () => {
    fleet = await startFleet({
      hosts: FAULTS.length,
      faultFor: (i) => FAULTS[i],
      hugeBytes: HUGE_BYTES,
      trickleMs: TRICKLE_MS,
      record: true,
    });
  });
  afterAll(() => fleet.close());

  it('ends a trickling body and a header block that never ends at the whole-request deadline: timeout', async () => {
    const result = await run([host('trickle'), host('endless-headers')], { timeoutMs: TIMEOUT_MS });
    expect(result.code).toBe(1);
    expect(recordOf(result, host('trickle'))).toMatchObject({
      code: 'timeout',
      status: 200,
      error: `no complete response within ${TIMEOUT_MS} ms`,
    });
    expect(recordOf(result, host('trickle')).bytes).toBeGreaterThan(0);
    expect(recordOf(result, host('endless-headers'))).toMatchObject({
      code: 'timeout',
      status: null,
      error: `no complete response within ${TIMEOUT_MS} ms`,
    });
  });

  it('records headers past the cap and a status line that is not HTTP as reset, in words', async () => {
    const result = await run([host('huge-headers'), host('bad-status'), host('ok')], {});
    expect(result.code).toBe(1);
    expect(recordOf(result, host('huge-headers'))).toMatchObject({ code: 'reset', status: null, error: 'response headers too large' });
    expect(recordOf(result, host('bad-status'))).toMatchObject({
      code: 'reset',
      status: null,
      error: 'response is not valid HTTP/1.1 (Invalid status code)',
    });
    expect(recordOf(result, host('ok'))).toMatchObject({ ok: true });
  });

  it('reads a body far larger than --max-body without --body, counting it: ok', async () => {
    const result = await run([host('huge')], { maxBodyBytes: 64 * 1024 });
    expect(recordOf(result, host('huge'))).toMatchObject({ ok: true, code: 'ok', bytes: HUGE_BYTES });
    expect(recordOf(result, host('huge'))).not.toHaveProperty('body');
  });

  it('keeps a body larger than --max-body out of the record with --body: body_too_large', async () => {
    const result = await run([host('huge'), host('ok')], { captureBody: true, maxBodyBytes: 64 * 1024 });
    const record = recordOf(result, host('huge'));
    expect(record).toMatchObject({ ok: false, code: 'body_too_large', status: 200, error: 'body larger than --max-body 65536 bytes' });
    expect(record).not.toHaveProperty('body');
    expect(recordOf(result, host('ok'))).toMatchObject({ ok: true, body: { host: host('ok') } });
  });

  it('does not follow a redirect without --follow: the 3xx is the answer, judged by --expect', async () => {
    fleet.reset();
    const result = await run([host('redirect')], {});
    expect(recordOf(result, host('redirect'))).toMatchObject({ code: 'http_status', status: 302, error: 'unexpected status 302' });
    expect(recordOf(result, host('redirect'))).not.toHaveProperty('redirects');
    expect(fleet.statsOf(host('redirect')).requests).toBe(1);
    const expected = await run([host('redirect')], { expect: '3xx' });
    expect(recordOf(expected, host('redirect'))).toMatchObject({ ok: true, status: 302 });
  });

  it('follows with --follow N on the same host; the url stays the one requested and redirects counts', async () => {
    fleet.reset();
    const hosts = [host('redirect'), host('redirect-other'), host('redirect-loop'), host('ok')];
    const result = await run(hosts, { followRedirects: 3, headers: [['authorization', 'Bearer s3cret']] });
    expect(recordOf(result, host('redirect'))).toMatchObject({
      ok: true,
      status: 200,
      url: `http://${host('redirect')}/`,
      redirects: 1,
    });
    expect(recordOf(result, host('redirect-other'))).toMatchObject({
      ok: false,
      code: 'http_status',
      status: 302,
      error: `redirect not followed: http://${fleet.hosts[8] ?? ''}${REDIRECT_PATH} is on another host (--follow-any-host follows it)`,
      redirects: 0,
    });
    expect(recordOf(result, host('redirect-loop'))).toMatchObject({
      code: 'http_status',
      status: 302,
      error: `redirect not followed: a loop, back to http://${host('redirect-loop')}/`,
    });
    expect(recordOf(result, host('ok'))).toMatchObject({ ok: true, redirects: 0 });
    expect(fleet.statsOf(8).requests).toBe(0); // the other host was never asked
    expect(fleet.statsOf(host('redirect'))).toMatchObject({ requests: 2, headers: { authorization: 2 } });
  });

  it('follows to another host with --follow-any-host, without the credentials', async () => {
    fleet.reset();
    const result = await run([host('redirect-other')], {
      followRedirects: 1,
      followAnyHost: true,
      headers: [['authorization', 'Bearer s3cret']],
    });
    expect(recordOf(result, host('redirect-other'))).toMatchObject({ ok: true, status: 200, redirects: 1 });
    expect(fleet.statsOf(host('redirect-other')).headers).toHaveProperty('authorization', 1);
    expect(fleet.statsOf(8)).toMatchObject({ requests: 1, methods: { GET: 1 } });
    expect(fleet.statsOf(8).headers).not.toHaveProperty('authorization');
  });
});

describe('the response header cap', () => {
  it("takes headers past Node's 16 KiB default up to RESPONSE_HEADERS_MAX_BYTES, and no more", async () => {
    // Real servers with big cookies or CSPs pass 16 KiB now and then; the cap is fanout's, whatever node's flags say.
    const server = http.createServer((req, res) => {
      const bytes = req.url === '/big' ? RESPONSE_HEADERS_MAX_BYTES - 1024 : RESPONSE_HEADERS_MAX_BYTES + 1024;
      res.setHeader('x-big', 'x'.repeat(bytes));
      res.end('ok');
    });
    // A simulated host of its own, on its own loopback address.
    await new Promise<void>((resolve) => server.listen(0, '127.91.0.1', resolve));
    try {
      const host = `127.91.0.1:${(server.address() as AddressInfo).port}`;
      const big = await run([host], { url: 'http://{host}/big' });
      expect(recordOf(big, host)).toMatchObject({ ok: true, status: 200 });
      const past = await run([host], { url: 'http://{host}/past' });
      expect(recordOf(past, host)).toMatchObject({ code: 'reset', error: 'response headers too large' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

describe('a chain of redirects across hosts', () => {
  it('stops past --follow N with a message naming it, and at a loop', async () => {
    // 0 → 1 → 2 → 0 → 1 …: each host redirects to REDIRECT_PATH on the next one.
    const ring = await startFleet({ hosts: 3, faultFor: () => 'redirect-other' });
    try {
      const capped = await run([ring.hosts[0]!], { followRedirects: 1, followAnyHost: true });
      expect(recordOf(capped, ring.hosts[0]!)).toMatchObject({
        code: 'http_status',
        status: 302,
        error: 'redirect not followed: more than --follow 1 redirects',
        redirects: 1,
      });
      const looped = await run([ring.hosts[0]!], { followRedirects: 10, followAnyHost: true });
      expect(recordOf(looped, ring.hosts[0]!)).toMatchObject({
        code: 'http_status',
        error: `redirect not followed: a loop, back to http://${ring.hosts[1]!}${REDIRECT_PATH}`,
        redirects: 3,
      });
    } finally {
      await ring.close();
    }
  });
});

describe('a push that is redirected', () => {
  it('is sent again with its body and Idempotency-Key on 307, and is not turned into a GET on 302', async () => {
    const [kept, moved] = await Promise.all([
      startFleet({ hosts: 1, faultFor: () => 'redirect', redirectStatus: 307, record: true }),
      startFleet({ hosts: 1, faultFor: () => 'redirect', redirectStatus: 302, record: true }),
    ]);
    try {
      const push: Partial<RequestSpec> = {
        method: 'POST',
        bodyBase64: Buffer.from('{"v":2}').toString('base64'),
        idempotencyKeyPrefix: 'run1',
        followRedirects: 2,
      };
      const sent = await run(kept.hosts, push);
      expect(recordOf(sent, kept.hosts[0]!)).toMatchObject({ ok: true, method: 'POST', status: 200, redirects: 1 });
      const stats = kept.statsOf(0);
      expect(stats.methods).toEqual({ POST: 2 });
      expect(stats.bodies?.map((b) => b?.text)).toEqual(['{"v":2}', '{"v":2}']);
      expect(stats.keys).toEqual([`run1-${kept.hosts[0]!}`, `run1-${kept.hosts[0]!}`]);

      const refused = await run(moved.hosts, push);
      expect(recordOf(refused, moved.hosts[0]!)).toMatchObject({
        ok: false,
        code: 'http_status',
        status: 302,
        error: 'redirect not followed: a 302 would turn the POST into a GET without its body (307 or 308 keep them)',
        redirects: 0,
      });
      expect(moved.statsOf(0).methods).toEqual({ POST: 1 });
    } finally {
      await Promise.all([kept.close(), moved.close()]);
    }
  });
});

describe('a push redirected to a host that refuses', () => {
  it('is not retried: the requested host answered, so the push may have been processed there', async () => {
    // Host 0 answers 307 to host 1, which refuses: a record saying `refused` would be retried for any method.
    const fleet = await startFleet({ hosts: 2, faultFor: (i) => (i === 0 ? 'redirect-other' : 'refused'), redirectStatus: 307 });
    try {
      const spec: Partial<RequestSpec> = {
        method: 'POST',
        bodyBase64: Buffer.from('{"v":3}').toString('base64'),
        followRedirects: 1,
        followAnyHost: true,
        retries: 2,
      };
      const result = await run([fleet.hosts[0]!], spec);
      const record = recordOf(result, fleet.hosts[0]!);
      expect(record).toMatchObject({ ok: false, code: 'http_status', status: 307, attempts: 1, redirects: 1 });
      expect(record.error).toMatch(
        new RegExp(`^redirect to http://${fleet.hosts[1]!.replaceAll('.', '\\.')}/redirected failed: .*ECONNREFUSED`),
      );
      expect(fleet.statsOf(0).methods).toEqual({ POST: 1 });
    } finally {
      await fleet.close();
    }
  });
});

describe('hostile servers over HTTPS', () => {
  const base = randomInt(100, 251);
  const kinds: readonly FaultKind[] = ['huge-headers', 'bad-status', 'endless-headers', 'redirect'];
  let dir: string;
  let fleet: Fleet;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-hostile-tls-'));
    const certs = await makeFleetCertificates(
      dir,
      kinds.map((_, i) => hostAddress(base, i)),
      { groupSize: kinds.length },
    );
    const [certFile] = certs.certFiles;
    fleet = await startFleet({
      hosts: kinds.length,
      base,
      faultFor: (i) => kinds[i],
      trickleMs: TRICKLE_MS,
      tls: { key: await readFile(certs.keyFile), cert: await readFile(certFile ?? '') },
    });
  });
  afterAll(async () => {
    await fleet.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('gives the same records inside TLS', async () => {
    const tls = { url: 'https://{host}/', insecure: true, followRedirects: 1 };
    const result = await run([fleet.hosts[0]!, fleet.hosts[1]!, fleet.hosts[3]!], tls);
    expect(result.count).toBe(3);
    expect(recordOf(result, fleet.hosts[0]!)).toMatchObject({ code: 'reset', error: 'response headers too large' });
    expect(recordOf(result, fleet.hosts[1]!)).toMatchObject({
      code: 'reset',
      error: 'response is not valid HTTP/1.1 (Invalid status code)',
    });
    expect(recordOf(result, fleet.hosts[3]!)).toMatchObject({ ok: true, url: `https://${fleet.hosts[3]!}/`, redirects: 1 });
    const endless = await run([fleet.hosts[2]!], { ...tls, timeoutMs: TIMEOUT_MS });
    expect(recordOf(endless, fleet.hosts[2]!)).toMatchObject({ code: 'timeout', error: `no complete response within ${TIMEOUT_MS} ms` });
  });
});

describe.runIf(gearmandAvailable)('redirects through a gearman worker', () => {
  it('follows on the worker as in local mode: the spec carries --follow', async () => {
    const fleet = await startFleet({ hosts: 2, faultFor: (i) => (i === 0 ? 'redirect' : 'redirect-other') });
    const gearmand = await startGearmand();
    try {
      const gearman = gearmanConfig(gearmand.address, { batchSize: 10, localWorkers: 1 });
      const result = await run(fleet.hosts, { followRedirects: 2 }, { gearman });
      expect(recordOf(result, fleet.hosts[0]!)).toMatchObject({ ok: true, redirects: 1 });
      expect(recordOf(result, fleet.hosts[1]!)).toMatchObject({ code: 'http_status', status: 302, redirects: 0 });
      expect(recordOf(result, fleet.hosts[1]!).error).toContain('is on another host');
    } finally {
      await gearmand.stop();
      await fleet.close();
    }
  });
});
