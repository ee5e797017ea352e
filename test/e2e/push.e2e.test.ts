// fanout push end to end: the payload reaches every live host exactly once, with its Idempotency-Key.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { parseNdjson, runCli } from '../helpers/run-cli.js';

let dir: string;
let fleet: Fleet;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-push-'));
  fleet = await startFleet({ hosts: 320, latencyMs: 2, record: true, faults: { refused: 0.02 } });
});
afterAll(async () => {
  await fleet.close();
  await rm(dir, { recursive: true, force: true });
});

function payloadOf(bytes: number): string {
  const base = { config: 'x'.repeat(bytes) };
  const overhead = JSON.stringify(base).length - bytes;
  return JSON.stringify({ config: 'x'.repeat(bytes - overhead) });
}

describe('push of a 4 KiB JSON payload to 300 hosts', () => {
  it('delivers it exactly once to every live host, with Idempotency-Key <run id>-<host>, and to no other host', async () => {
    const payload = payloadOf(4096);
    expect(payload.length).toBe(4096);
    const payloadFile = join(dir, 'payload.json');
    await writeFile(payloadFile, payload);
    const targets = fleet.hosts.slice(0, 300);
    const hostsFile = join(dir, 'hosts.txt');
    await writeFile(hostsFile, `${targets.join('\n')}\n`);

    const run = await runCli(['push', '-f', hostsFile, '-d', `@${payloadFile}`, '-c', '50', '--retries', '2', '--run-id', 'r42']);

    const records = parseNdjson(run.stdout); // each checked against the schema
    expect(records).toHaveLength(300);
    const refused = new Set(fleet.faultyHosts('refused'));
    expect(run.exitCode).toBe(targets.some((h) => refused.has(h)) ? 1 : 0);
    const digest = createHash('sha256').update(payload).digest('hex');
    const stats = fleet.stats().hosts;
    for (const host of targets) {
      const record = records.find((r) => r.host === host);
      if (refused.has(host)) {
        expect(record).toMatchObject({ code: 'refused', attempts: 3, method: 'POST' });
        continue;
      }
      expect(record).toMatchObject({ ok: true, method: 'POST', attempts: 1 });
      expect(stats[host]?.requests).toBe(1);
      expect(stats[host]?.keys).toEqual([`r42-${host}`]);
      expect(stats[host]?.bodies?.[0]?.sha256).toBe(digest);
      expect(stats[host]?.headers?.['content-type']).toBe(1);
    }
    for (const host of fleet.hosts.slice(300)) expect(stats[host]).toBeUndefined();
  });

  it('sends no Idempotency-Key with --no-idempotency-key, and the method of -X', async () => {
    fleet.reset();
    const host = fleet.hosts.find((h) => fleet.faultOf(h) === 'ok')!;
    const run = await runCli(['push', host, '-X', 'put', '-d', 'plain text', '--no-idempotency-key', '-q']);
    expect(run.exitCode).toBe(0);
    expect(parseNdjson(run.stdout)[0]).toMatchObject({ method: 'PUT', ok: true });
    const stats = fleet.statsOf(host);
    expect(stats.keys).toEqual([null]);
    expect(stats.methods).toEqual({ PUT: 1 });
    expect(stats.headers?.['content-type']).toBeUndefined();
  });

  it('never shows an Authorization header value: not in records, errors, summary or dry-run', async () => {
    const live = fleet.hosts.find((h) => fleet.faultOf(h) === 'ok')!;
    const refused = fleet.faultyHosts('refused')[0]!;
    const secret = 'Bearer s3cret-token-XYZ';
    for (const extra of [[], ['--dry-run'], ['--include-headers', '--body']]) {
      const run = await runCli(['push', live, refused, '-H', `Authorization: ${secret}`, '-d', '{}', ...extra]);
      expect(`${run.stdout}${run.stderr}`).not.toContain('s3cret');
    }
    const malformed = await runCli(['push', live, '-H', `Authorization ${secret}`, '-d', '{}']);
    expect(malformed.exitCode).toBe(2);
    expect(malformed.stderr).not.toContain('s3cret');
  });
});
