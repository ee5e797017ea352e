// The runner in-process against a real fleet: what cannot be set up from outside the process
// (an injected resolver, an interrupt at a chosen moment) is tested here.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LookupFunction } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';
import type { HostResult } from '../../src/record/host-result.js';
import type { RunConfig } from '../../src/run/run-config.js';
import { exitCodeOfOutcome } from '../../src/cli/exit-codes.js';
import { runFanout } from '../../src/run/run-fanout.js';
import { captureIo, type CapturedIo } from '../helpers/capture-io.js';
import { parseNdjson } from '../helpers/run-cli.js';
import { runConfig } from '../helpers/run-config.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ hosts: 60, latencyMs: 20, faultFor: (i) => (i >= 50 ? 'hang' : 'ok') });
});
afterAll(() => fleet.close());

function config(entries: string[], overrides: Partial<RunConfig> = {}): RunConfig {
  return runConfig(entries, { spec: { ...DEFAULT_SPEC, timeoutMs: 5000 }, concurrency: 20, ...overrides });
}

interface Captured extends CapturedIo {
  /** Resolves when the first bytes reach stdout. */
  firstOutput: Promise<void>;
}

function capture(resolver?: LookupFunction): Captured {
  const captured = captureIo({ resolver });
  const firstOutput = new Promise<void>((resolve) => captured.io.stdout.once('data', () => resolve()));
  return { ...captured, firstOutput };
}

/** Resolves `*.fleet.test` to the fleet's addresses by index and fails every other name like a DNS miss. */
function fleetResolver(calls: string[]): LookupFunction {
  // net asks with `all: true` (happy eyeballs) and then wants a list of addresses.
  return ((
    hostname: string,
    options: { all?: boolean },
    callback: (err: NodeJS.ErrnoException | null, address?: unknown, family?: number) => void,
  ) => {
    calls.push(hostname);
    const match = /^h(\d+)\.fleet\.test$/.exec(hostname);
    const address = match ? fleet.addresses[Number(match[1])] : undefined;
    if (address === undefined) {
      const err: NodeJS.ErrnoException = new Error(`getaddrinfo ENOTFOUND ${hostname}`);
      err.code = 'ENOTFOUND';
      process.nextTick(callback, err);
    } else {
      if (options.all === true) process.nextTick(callback, null, [{ address, family: 4 }]);
      else process.nextTick(callback, null, address, 4);
    }
  }) as LookupFunction;
}

describe('runFanout', () => {
  it('resolves names through the injected resolver only, and a failed lookup is a dns record, retried', async () => {
    const calls: string[] = [];
    const c = capture(fleetResolver(calls));
    const entries = [`h0.fleet.test:${fleet.port}`, `h1.fleet.test:${fleet.port}`, 'missing.fleet.test'];
    const code = exitCodeOfOutcome(await runFanout(config(entries, { spec: { ...DEFAULT_SPEC, retries: 1 } }), c.io));
    const records = parseNdjson<HostResult>(c.stdout());
    expect(code).toBe(1);
    const byHost = Object.fromEntries(records.map((r) => [r.host, r]));
    expect(byHost[entries[0]!]).toMatchObject({ ok: true, status: 200 });
    expect(byHost[entries[1]!]).toMatchObject({ ok: true, status: 200 });
    expect(byHost['missing.fleet.test']).toMatchObject({ ok: false, code: 'dns', attempts: 2, status: null });
    expect(byHost['missing.fleet.test']?.error).toContain('ENOTFOUND');
    expect(calls.filter((h) => h === 'missing.fleet.test')).toHaveLength(2);
  });

  it('on interrupt, ends at once with a record for every host: in flight aborted, the rest not attempted; exit 130', async () => {
    const c = capture();
    const hosts = [...fleet.hosts.slice(50), ...fleet.hosts.slice(0, 50)]; // the 10 hung hosts first fill 10 of 20 slots
    // The hung hosts would hold the run for 10 minutes, far past the test's timeout: only the interrupt can end it.
    const running = runFanout(config(hosts, { concurrency: 20, spec: { ...DEFAULT_SPEC, timeoutMs: 600_000 } }), c.io);
    await c.firstOutput; // the first records are out, so the hung hosts are in flight
    c.interrupt();
    const code = exitCodeOfOutcome(await running);
    expect(code).toBe(130);
    const records = parseNdjson<HostResult>(c.stdout());
    expect(records).toHaveLength(60);
    expect(new Set(records.map((r) => r.host)).size).toBe(60);
    const codes = new Set(records.map((r) => r.code));
    expect(records.filter((r) => fleet.faultOf(r.host) === 'hang').every((r) => r.code === 'aborted')).toBe(true);
    expect(codes.has('ok')).toBe(true);
    expect(c.stderr()).toContain('interrupted');
  });

  it('times out the whole request with code timeout after --timeout', async () => {
    const c = capture();
    // The host never answers: the record can only come from fanout's own 300 ms deadline, which its message names.
    const code = exitCodeOfOutcome(await runFanout(config([fleet.hosts[55]!], { spec: { ...DEFAULT_SPEC, timeoutMs: 300 } }), c.io));
    expect(code).toBe(1);
    const record = parseNdjson<HostResult>(c.stdout())[0];
    expect(record).toMatchObject({ code: 'timeout', status: null, error: 'no complete response within 300 ms' });
  });

  it('prints one human line per failed host and nothing for ok hosts in text format', async () => {
    const c = capture();
    const code = exitCodeOfOutcome(
      await runFanout(config([fleet.hosts[0]!, fleet.hosts[56]!], { format: 'text', spec: { ...DEFAULT_SPEC, timeoutMs: 200 } }), c.io),
    );
    expect(code).toBe(1);
    const lines = c.stdout().trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${fleet.hosts[56]!.replaceAll('.', '\\.')}\\s+timeout`));
  });

  it('reaches a host given as an IPv6 literal with a port, and renders {hostname}/{port} with the brackets kept', async () => {
    const server = http.createServer((_req, res) => res.end('v6'));
    await new Promise<void>((resolve) => server.listen(0, '::1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const c = capture();
      const spec = { ...DEFAULT_SPEC, url: 'http://{hostname}:{port}/v6', captureBody: true };
      const code = exitCodeOfOutcome(await runFanout(config([`[::1]:${port}`], { spec }), c.io));
      expect(code).toBe(0);
      expect(parseNdjson<HostResult>(c.stdout())[0]).toMatchObject({ host: `[::1]:${port}`, url: `http://[::1]:${port}/v6`, body: 'v6' });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
