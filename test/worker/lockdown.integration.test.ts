// Worker lockdown against a real gearmand, real fanout workers and a real loopback fleet: --allow rules deny
// hosts before anything is sent to them (names through an injected resolver), a worker with a secret refuses
// unsigned, tampered and expired jobs and sends nothing, and --encrypt keeps headers off the wire to gearmand.
import type { LookupAddress } from 'node:dns';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { exitCodeOfOutcome } from '../../src/cli/exit-codes.js';
import type { ServerAddress } from '../../src/gearman/server-address.js';
import { parseAllowRules } from '../../src/http/allow-rules.js';
import type { Resolver } from '../../src/http/resolver.js';
import { sealJob, type JobSecret } from '../../src/jobs/job-envelope.js';
import { DEFAULT_SPEC, type RequestSpec } from '../../src/jobs/request-spec.js';
import { controlFunctionName, encodeStopRequest } from '../../src/jobs/wire-control.js';
import { encodeJobPayload } from '../../src/jobs/wire-payload.js';
import type { HostResult } from '../../src/record/host-result.js';
import { runFanout } from '../../src/run/run-fanout.js';
import { FanoutWorker, type FanoutWorkerOptions } from '../../src/worker/fanout-worker.js';
import { gearmandPerTest, type Gearmand } from '../helpers/gearmand.js';
import { captureIo } from '../helpers/capture-io.js';
import { RawClient, recordsOf } from '../helpers/raw-gearman-client.js';
import { gearmanConfig, runConfig } from '../helpers/run-config.js';
import { parseNdjson } from '../helpers/run-cli.js';

const FN = 'fanout.http';
const SPEC: RequestSpec = { ...DEFAULT_SPEC, timeoutMs: 3_000, connectTimeoutMs: 2_000 };
const SECRET = 'lockdown-test-secret-0123456789abcdef';
const TOKEN = 'Bearer tok-7f3a9c51e2d84b06';
const FAST_BACKOFF = { minDelayMs: 20, maxDelayMs: 200 };

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const gearmand = gearmandPerTest(cleanups);
const addressOf = (server: Gearmand): ServerAddress => ({ host: server.host, port: server.port });

async function fleet(hosts: number): Promise<Fleet> {
  const started = await startFleet({ hosts, record: true });
  cleanups.push(() => started.close());
  return started;
}

function worker(options: Omit<FanoutWorkerOptions, 'id'>): { worker: FanoutWorker; logs: string[] } {
  const logs: string[] = [];
  const w = new FanoutWorker({ id: 'locked', backoff: FAST_BACKOFF, ...options, log: (line) => logs.push(line) });
  cleanups.push(() => w.kill());
  w.start();
  return { worker: w, logs };
}

async function rawClient(server: ServerAddress): Promise<RawClient> {
  const raw = await RawClient.connect(server);
  cleanups.push(() => raw.close());
  return raw;
}

/** Fixed names, as an `all` lookup answers them; never the system's DNS. Records every name asked. */
function namesResolver(names: Record<string, string>): { resolver: Resolver; asked: string[] } {
  const asked: string[] = [];
  const resolver: Resolver = (hostname, _options, callback) => {
    asked.push(hostname);
    const address = names[hostname];
    if (address === undefined) callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), '', 0);
    else callback(null, [{ address, family: 4 } satisfies LookupAddress]);
  };
  return { resolver, asked };
}

const targetsOf = (hosts: readonly string[]) => hosts.map((host, index) => ({ host, index }));

describe('--allow', () => {
  it('denies hosts outside every rule, IP literals and names resolving into a denied range; they receive nothing', async () => {
    const server = await gearmand();
    const hosts = await fleet(4);
    const [a0, a1, a2, a3] = hosts.addresses;
    const port = hosts.port;
    const { resolver, asked } = namesResolver({ 'good.test': a0!, 'evil.test': a3! });
    worker({ servers: [addressOf(server)], resolver, allow: parseAllowRules([`${a0}/32,${a1}:${port}`, `${a2}:${port + 1}`]) });
    const raw = await rawClient(addressOf(server));

    const job = [`${a0}:${port}`, `${a1}:${port}`, `${a2}:${port}`, `good.test:${port}`, `evil.test:${port}`];
    const reply = await raw.submit(FN, encodeJobPayload(SPEC, targetsOf(job), 10)).done;

    expect(reply.end.type).toBe('complete');
    const records = new Map(recordsOf(reply).map((r) => [r.host, r]));
    expect(records.size).toBe(5);
    expect([job[0], job[1], job[3]].map((host) => records.get(host!)?.code)).toEqual(['ok', 'ok', 'ok']);
    expect(records.get(job[2]!)).toMatchObject({
      ok: false,
      code: 'denied',
      attempts: 0,
      error: `no --allow rule of this worker allows ${a2}:${port}`,
      worker: 'locked',
    });
    expect(records.get(job[4]!)).toMatchObject({
      ok: false,
      code: 'denied',
      error: `evil.test resolves to ${a3}: no --allow rule of this worker allows ${a3}:${port}`,
    });
    // Nothing reached the denied hosts; a0 served both its IP and good.test.
    expect(hosts.statsOf(a2!).requests).toBe(0);
    expect(hosts.statsOf(a3!).requests).toBe(0);
    expect(hosts.statsOf(a0!).requests).toBe(2);
    expect(hosts.totalRequests()).toBe(3);
    expect(asked.sort()).toEqual(['evil.test', 'good.test']);
  });

  it('a redirect to an address no rule allows is not followed there: the other host receives nothing', async () => {
    const server = await gearmand();
    const hosts = await startFleet({ hosts: 2, record: true, faultFor: (index) => (index === 0 ? 'redirect-other' : 'ok') });
    cleanups.push(() => hosts.close());
    const [a0, a1] = hosts.addresses;
    worker({ servers: [addressOf(server)], allow: parseAllowRules([`${a0}/32`]) });
    const raw = await rawClient(addressOf(server));

    const spec: RequestSpec = { ...SPEC, followRedirects: 2, followAnyHost: true };
    const [record] = recordsOf(await raw.submit(FN, encodeJobPayload(spec, targetsOf([`${a0}:${hosts.port}`]), 10)).done);

    expect(record).toMatchObject({ code: 'http_status', status: 302, ok: false });
    expect(record?.error).toBe(
      `redirect to http://${a1}:${hosts.port}/redirected failed: no --allow rule of this worker allows ${a1}:${hosts.port}`,
    );
    expect(hosts.statsOf(a0!).requests).toBe(1);
    expect(hosts.statsOf(a1!).requests).toBe(0);
  });

  it('name rules: a name no glob allows is denied without being resolved', async () => {
    const server = await gearmand();
    const hosts = await fleet(2);
    const [a0, a1] = hosts.addresses;
    const { resolver, asked } = namesResolver({ 'web01.dc1.test': a0!, 'web01.dc2.test': a1! });
    worker({ servers: [addressOf(server)], resolver, allow: parseAllowRules(['*.dc1.test']) });
    const raw = await rawClient(addressOf(server));

    const job = [`web01.dc1.test:${hosts.port}`, `web01.dc2.test:${hosts.port}`, `${a1}:${hosts.port}`];
    const records = recordsOf(await raw.submit(FN, encodeJobPayload(SPEC, targetsOf(job), 10)).done);

    expect(records.map((r) => [r.host, r.code]).sort()).toEqual(
      [
        [job[0], 'ok'],
        [job[1], 'denied'],
        [job[2], 'denied'],
      ].sort(),
    );
    expect(hosts.statsOf(a1!).requests).toBe(0);
    expect(asked).toEqual(['web01.dc1.test']);
  });
});

describe('--secret', () => {
  it('refuses unsigned, tampered and expired jobs with WORK_EXCEPTION, sending nothing; runs a signed one', async () => {
    const server = await gearmand();
    const hosts = await fleet(3);
    const { worker: w, logs } = worker({ servers: [addressOf(server)], secret: SECRET });
    const raw = await rawClient(addressOf(server));
    const payload = encodeJobPayload(SPEC, targetsOf(hosts.hosts), 10);
    const signed = (now = Date.now()): Buffer => sealJob(payload, { secret: SECRET, encrypt: false }, now) as Buffer;
    const tampered = Buffer.from(signed());
    tampered[tampered.length - 3] = tampered[tampered.length - 3]! ^ 0x01;

    const refused = await Promise.all(
      [payload, tampered, signed(Date.now() - 6 * 60_000), sealJob(payload, { secret: 'another secret', encrypt: true }, Date.now())].map(
        (job) => raw.submit(FN, job).done,
      ),
    );

    expect(refused.map((reply) => reply.end.type)).toEqual(['exception', 'exception', 'exception', 'exception']);
    expect(refused.map((reply) => reply.end.text)).toEqual([
      expect.stringMatching(/^job refused: unsigned job: this worker runs only jobs signed with its --secret/),
      expect.stringMatching(/^job refused: job signature does not match/),
      expect.stringMatching(/^job refused: job too old: sealed 36\d s ago, more than the worker's --max-job-age 300 s/),
      expect.stringMatching(/^job refused: encrypted job does not open/),
    ]);
    expect(refused.every((reply) => reply.data.length === 0)).toBe(true);
    expect(hosts.totalRequests()).toBe(0);
    expect(logs.filter((line) => line.includes('refused: job refused:'))).toHaveLength(4);

    const good = await raw.submit(FN, signed()).done;
    expect(good.end.type).toBe('complete');
    expect(recordsOf(good).map((r) => r.code)).toEqual(['ok', 'ok', 'ok']);
    expect(hosts.totalRequests()).toBe(3);
    expect(w.stats).toMatchObject({ rejected: 4, completed: 1 });
  });

  it('takes a stop request only when it is signed with its secret: no one else can stop its runs', async () => {
    const server = await gearmand();
    worker({ servers: [addressOf(server)], secret: SECRET });
    const raw = await rawClient(addressOf(server));
    const stop = encodeStopRequest({ run: 'r1', mode: 'abort', jobs: [{ unique: 'r1.00000000:1', handle: null }] });

    const unsigned = await raw.submit(controlFunctionName('locked'), stop).done;
    expect(unsigned.end.type).toBe('exception');
    expect(unsigned.end.text).toMatch(/^invalid stop request: unsigned job: this worker runs only jobs signed with its --secret/);
    const signed = await raw.submit(controlFunctionName('locked'), sealJob(stop, { secret: SECRET, encrypt: false }, Date.now())).done;
    expect(signed.end.type).toBe('complete');
  });

  it('a worker without a secret runs a signed job, saying it cannot check it, and refuses an encrypted one', async () => {
    const server = await gearmand();
    const hosts = await fleet(2);
    const { logs } = worker({ servers: [addressOf(server)] });
    const raw = await rawClient(addressOf(server));
    const payload = encodeJobPayload(SPEC, targetsOf(hosts.hosts), 10);

    const encrypted = await raw.submit(FN, sealJob(payload, { secret: SECRET, encrypt: true }, Date.now())).done;
    expect(encrypted.end.type).toBe('exception');
    expect(encrypted.end.text).toMatch(/^job refused: encrypted job: this worker has no --secret/);
    expect(hosts.totalRequests()).toBe(0);

    const signed = await raw.submit(FN, sealJob(payload, { secret: SECRET, encrypt: false }, Date.now())).done;
    expect(recordsOf(signed).map((r) => r.code)).toEqual(['ok', 'ok']);
    expect(logs.filter((line) => /is signed, but this worker has no --secret to check it/.test(line))).toHaveLength(1);
  });
});

interface Run {
  code: number;
  records: HostResult[];
  stderr: string;
}

/** A gearman-mode run in this process, as `fanout pull --gearman` makes it. */
async function run(
  hosts: readonly string[],
  server: ServerAddress,
  jobSecret: JobSecret | null,
  spec: RequestSpec = SPEC,
  localWorkers = 0,
): Promise<Run> {
  const captured = captureIo({ gearmanBackoff: FAST_BACKOFF });
  const config = runConfig(hosts, {
    spec,
    runId: 'lock',
    gearman: gearmanConfig([server], { functionName: FN, batchSize: 5, localWorkers, jobSecret }),
  });
  const outcome = await runFanout(config, captured.io);
  return { code: exitCodeOfOutcome(outcome), records: parseNdjson<HostResult>(captured.stdout()), stderr: captured.stderr() };
}

const RELAY_ADDRESS = '127.92.0.1';

/** A TCP relay on its own loopback address (127.92.0.1) in front of `target`, keeping every byte a client sent through it. */
async function relay(target: ServerAddress): Promise<{ address: ServerAddress; sent: () => Buffer }> {
  const chunks: Buffer[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(target.port, target.host);
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('data', (chunk: Buffer) => chunks.push(chunk));
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, RELAY_ADDRESS, resolve));
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => server.close(resolve));
  });
  return { address: { host: RELAY_ADDRESS, port: (server.address() as net.AddressInfo).port }, sent: () => Buffer.concat(chunks) };
}

describe('the client side of signed and encrypted jobs', () => {
  it('a worker with another secret refuses every job: each host is worker_error with its reason, the fleet gets nothing', async () => {
    const server = await gearmand();
    const hosts = await fleet(12);
    worker({ servers: [addressOf(server)], secret: 'the workers secret' });

    const result = await run(hosts.hosts, addressOf(server), { secret: 'a stale secret', encrypt: false });

    expect(result.records).toHaveLength(12);
    expect(new Set(result.records.map((r) => `${r.code}: ${r.error}`))).toEqual(
      new Set([
        'worker_error: worker exception: job refused: job signature does not match: the job was changed on the way, or signed with another secret',
      ]),
    );
    expect(result.code).toBe(1);
    expect(hosts.totalRequests()).toBe(0);
  });

  it('--encrypt: the relay between client and gearmand never sees the Authorization value; the run ends ok', async () => {
    const server = await gearmand();
    const hosts = await fleet(10);
    worker({ servers: [addressOf(server)], secret: SECRET });
    const spec: RequestSpec = { ...SPEC, headers: [['authorization', TOKEN]] };

    const sealed = await relay(addressOf(server));
    const encrypted = await run(hosts.hosts, sealed.address, { secret: SECRET, encrypt: true }, spec);
    expect(encrypted.records.map((r) => r.code)).toEqual(Array(10).fill('ok'));
    expect(encrypted.code).toBe(0);
    expect(hosts.stats().hosts[hosts.hosts[0]!]?.headers?.['authorization']).toBe(1);
    const bytes = sealed.sent();
    expect(bytes.includes('fanout-sealed/1')).toBe(true);
    expect(bytes.includes(TOKEN)).toBe(false);
    expect(bytes.includes('tok-7f3a9c51e2d84b06')).toBe(false);
    expect(bytes.includes(hosts.hosts[0]!)).toBe(false);

    // The same run only signed: the relay does read the token, so the check above can fail.
    const signed = await relay(addressOf(server));
    expect((await run(hosts.hosts, signed.address, { secret: SECRET, encrypt: false }, spec)).code).toBe(0);
    expect(signed.sent().includes(TOKEN)).toBe(true);
  });

  it("--encrypt with --local-workers: the embedded workers hold the run's secret and open its jobs", async () => {
    const server = await gearmand();
    const hosts = await fleet(6);
    const result = await run(hosts.hosts, addressOf(server), { secret: SECRET, encrypt: true }, SPEC, 1);
    expect(result.records.map((r) => r.code)).toEqual(Array(6).fill('ok'));
    expect(result.code).toBe(0);
  });
});
