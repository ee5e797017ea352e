// The threaded backend when an executor thread dies mid-run (a fixture thread that exits; the other is the real one,
// from the build): every host still gets exactly one record, the ones the dead thread held say why, and the rest of
// the run goes on in the thread that lives.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { planTargets } from '../../src/hosts/host-source.js';
import { NO_TLS_MATERIAL } from '../../src/http/tls-material.js';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';
import type { HostResult } from '../../src/record/host-result.js';
import { createThreadedBackend } from '../../src/run/threads/threaded-backend.js';

const HOSTS = 300;
let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ hosts: HOSTS, latencyMs: 5, record: true });
});
afterAll(() => fleet.close());

describe('an executor thread that dies', () => {
  it('leaves worker_error records for the hosts it held; every other host is run by the thread that lives', async () => {
    const backend = createThreadedBackend({
      threads: 2,
      tls: NO_TLS_MATERIAL,
      threadScript: new URL('../fixtures/dying-executor-thread.mjs', import.meta.url),
    });
    const plan = await planTargets([{ kind: 'args', entries: fleet.hosts }]);
    const records: HostResult[] = [];
    try {
      // -c 5 over 2 threads: shares 3 and 2; the fixture kills the thread with 3.
      for await (const event of backend.run(DEFAULT_SPEC, plan, { concurrency: 5, signal: new AbortController().signal })) {
        if (event.type === 'records') records.push(...event.records);
      }
    } finally {
      await backend.close();
      await plan.close();
    }

    expect(records).toHaveLength(HOSTS);
    expect(new Set(records.map((r) => r.host))).toEqual(new Set(fleet.hosts));
    const lost = records.filter((r) => r.code === 'worker_error');
    expect(lost.length).toBeGreaterThan(0);
    expect(lost.length).toBeLessThanOrEqual(6); // what its credit let it hold: twice its share
    for (const record of lost) expect(record.error).toBe("the executor thread failed before this host's record (it exited)");
    expect(records.filter((r) => r.code !== 'worker_error').every((r) => r.ok)).toBe(true);
    // Nothing is requested twice: a host the dead thread held is not handed to the other one.
    expect(Object.values(fleet.stats().hosts).every((host) => host.requests === 1)).toBe(true);
  });
});
