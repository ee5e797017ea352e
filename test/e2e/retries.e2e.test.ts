// Retries end to end, through the real binary, in local mode and through gearmand with an embedded worker (the
// workers run the same executor, and the retry settings travel in the job payload): what is retried, under
// which Idempotency-Key, after how long, and that a host never outlives its --deadline.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { startGearmand, type Gearmand } from '../helpers/gearmand.js';
import { parseNdjson, runCli } from '../helpers/run-cli.js';

/** What a test host does with the requests it gets. */
type Behaviour =
  /** The first request gets 503 with Retry-After: 1, every later one 200. */
  | 'busy-once'
  /** The first request is read whole, then its connection is reset; every later one gets 200. */
  | 'reset-once'
  /** Never answers. */
  | 'hang';

interface Arrival {
  /** performance.now() when the request's headers arrived. */
  at: number;
  key: string | null;
}

interface TestHost {
  /** `127.71.x.y:PORT`, as a host entry. */
  host: string;
  arrivals: Arrival[];
  close(): Promise<void>;
}

const open: TestHost[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((h) => h.close()));
});

/** Each test host on its own loopback address, as real hosts are (the port is the kernel's pick). */
let hostsStarted = 0;
const nextAddress = (): string => `127.71.${Math.floor(hostsStarted / 250)}.${(hostsStarted++ % 250) + 1}`;

async function startHost(behaviour: Behaviour): Promise<TestHost> {
  const arrivals: Arrival[] = [];
  const server = http.createServer((req, res) => {
    const key = req.headers['idempotency-key'];
    arrivals.push({ at: performance.now(), key: typeof key === 'string' ? key : null });
    const first = arrivals.length === 1;
    req.resume();
    req.on('end', () => {
      if (behaviour === 'hang') return;
      if (first && behaviour === 'reset-once') req.socket.resetAndDestroy();
      else if (first && behaviour === 'busy-once') res.writeHead(503, { 'retry-after': '1' }).end('busy');
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    });
  });
  const address = nextAddress();
  await new Promise<void>((resolve) => server.listen(0, address, resolve));
  const testHost: TestHost = {
    host: `${address}:${(server.address() as AddressInfo).port}`,
    arrivals,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  open.push(testHost);
  return testHost;
}

const startHosts = (n: number, behaviour: Behaviour): Promise<TestHost[]> =>
  Promise.all(Array.from({ length: n }, () => startHost(behaviour)));

let gearmand: Gearmand;
let refusing: Fleet;
beforeAll(async () => {
  [gearmand, refusing] = await Promise.all([startGearmand(), startFleet({ hosts: 3, faultFor: () => 'refused' })]);
});
afterAll(async () => {
  await Promise.all([gearmand.stop(), refusing.close()]);
});

describe.each([
  ['local mode', (): string[] => []],
  ['gearman mode', (): string[] => ['--gearman', gearmand.address, '--local-workers', '1']],
])('retries in %s', (_mode, modeArgs) => {
  it('a GET answered 503 with Retry-After: 1 once is retried after that second and ends ok with attempts 2', async () => {
    const hosts = await startHosts(3, 'busy-once');
    const run = await runCli(['pull', ...hosts.map((h) => h.host), '--retries', '2', '-q', ...modeArgs()]);
    expect(run.exitCode).toBe(0);
    const records = parseNdjson(run.stdout);
    expect(records).toHaveLength(3);
    for (const record of records) expect(record).toMatchObject({ ok: true, code: 'ok', status: 200, attempts: 2 });
    for (const host of hosts) {
      expect(host.arrivals).toHaveLength(2);
      // Measured at the server: 1 s as Node's millisecond timers count it.
      expect(host.arrivals[1]!.at - host.arrivals[0]!.at).toBeGreaterThanOrEqual(999);
    }
  });

  /** Pushes to 3 hosts that reset the connection once each after reading the request, with --retries 2. */
  async function pushToHostsResettingOnce(...args: string[]) {
    const hosts = await startHosts(3, 'reset-once');
    const run = await runCli(['push', ...hosts.map((h) => h.host), '-d', '{"v":1}', '--retries', '2', ...args, '-q', ...modeArgs()]);
    const records = parseNdjson(run.stdout);
    expect(records).toHaveLength(3);
    return { hosts, run, records };
  }

  it('a POST whose connection is reset after the request was read is retried under the same Idempotency-Key', async () => {
    const { hosts, run, records } = await pushToHostsResettingOnce('--run-id', 'r9');
    expect(run.exitCode).toBe(0);
    for (const record of records) expect(record).toMatchObject({ ok: true, method: 'POST', attempts: 2 });
    for (const host of hosts) expect(host.arrivals.map((a) => a.key)).toEqual([`r9-${host.host}`, `r9-${host.host}`]);
  });

  it('the same POST with --no-idempotency-key is sent once: it may have been processed', async () => {
    const { hosts, run, records } = await pushToHostsResettingOnce('--no-idempotency-key');
    expect(run.exitCode).toBe(1);
    for (const record of records) expect(record).toMatchObject({ ok: false, code: 'reset', attempts: 1 });
    for (const host of hosts) expect(host.arrivals).toEqual([expect.objectContaining({ key: null })]);
  });

  it('refused hosts with --retries 2 are tried 3 times', async () => {
    const run = await runCli(['pull', ...refusing.hosts, '--retries', '2', '--retry-delay', '10ms', '-q', ...modeArgs()]);
    expect(run.exitCode).toBe(1);
    const records = parseNdjson(run.stdout);
    expect(records).toHaveLength(3);
    for (const record of records) expect(record).toMatchObject({ code: 'refused', attempts: 3 });
  });

  it('a host that hangs ends at its --deadline, the last attempt cut short', async () => {
    const [host] = await startHosts(1, 'hang');
    // Attempts at 0 and ~0.5 s time out whole; the third, from ~1 s, gets what is left of the 1.3 s.
    const args = ['pull', host!.host, '--retries', '2', '--timeout', '500ms', '--retry-delay', '10ms', '--deadline', '1300ms'];
    const run = await runCli([...args, '-q', ...modeArgs()]);
    expect(run.exitCode).toBe(1);
    const [record] = parseNdjson(run.stdout);
    expect(record).toMatchObject({ code: 'timeout', attempts: 3 });
    expect(record!.error).toBe("no complete response before the host's deadline (1300 ms, attempt 3)");
    expect(host!.arrivals).toHaveLength(3);
  });
});
