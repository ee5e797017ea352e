// The loopback fleet over HTTPS (fixtures/fleet, `tls`): every host serves a certificate that a client trusting the
// bench's throwaway CA verifies against the host's own IP address, and that a client without the CA refuses.
// Through spawnFleet, so the CLI's --tls-key/--tls-cert are covered too.
import { randomInt } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostAddress } from '../fixtures/fleet/fleet.js';
import { spawnFleet, type SpawnedFleet } from '../fixtures/fleet/spawn-fleet.js';
import { makeFleetCertificates, type FleetCertificates } from '../fixtures/fleet/tls-certs.js';

const HOSTS = 3;
// The certificate must name the addresses before the fleet listens, so the test picks the fleet's base.
const BASE = randomInt(100, 251);

let dir: string;
let certs: FleetCertificates;
let fleet: SpawnedFleet;
const agents: Agent[] = [];

function agent(options: ConstructorParameters<typeof Agent>[0] = {}): Agent {
  const made = new Agent(options);
  agents.push(made);
  return made;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fanout-fleet-tls-'));
  certs = makeFleetCertificates(
    dir,
    Array.from({ length: HOSTS }, (_, index) => hostAddress(BASE, index)),
  );
  fleet = await spawnFleet({ hosts: HOSTS, base: BASE, tls: { keyFile: certs.keyFile, certFile: certs.certFile } });
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await fleet?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('fleet over TLS', () => {
  it('serves HTTPS that verifies with the CA, on every host', async () => {
    expect(fleet.scheme).toBe('https');
    const trusting = agent({ connect: { ca: readFileSync(certs.caFile) } });
    for (const host of fleet.hosts) {
      const res = await request(`https://${host}/`, { dispatcher: trusting });
      expect(res.statusCode).toBe(200);
      expect(await res.body.json()).toMatchObject({ host, n: 1 });
    }
    expect((await fleet.stats()).totalRequests).toBe(HOSTS);
  });

  it('fails verification without the CA', async () => {
    const [host] = fleet.hosts;
    await expect(request(`https://${host}/`, { dispatcher: agent() })).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });
});
