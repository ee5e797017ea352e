// The loopback fleet over HTTPS (fixtures/fleet, `tls`): every host serves a certificate that a client trusting the
// bench's throwaway CA verifies against the host's own IP address, and that a client without the CA refuses; with
// grouped certificates (tls-certs.ts groupSize) each host serves its group's, which names no address outside it.
// Through spawnFleet, so the CLI's --tls-key/--tls-cert (once, or per group with --tls-group-size) are covered too.
import { randomInt } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import tls, { type PeerCertificate } from 'node:tls';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostAddress } from '../fixtures/fleet/fleet.js';
import { spawnFleet, type SpawnedFleet, type SpawnFleetTls } from '../fixtures/fleet/spawn-fleet.js';
import { makeFleetCertificates, type FleetCertificates } from '../fixtures/fleet/tls-certs.js';

const HOSTS = 3;
// The certificates must name the addresses before the fleet listens, so the test picks the fleet's base.
const BASE = randomInt(100, 251);
const ADDRESSES = Array.from({ length: HOSTS }, (_, index) => hostAddress(BASE, index));

let dir: string;
const agents: Agent[] = [];
const fleets: SpawnedFleet[] = [];

function agent(options: ConstructorParameters<typeof Agent>[0] = {}): Agent {
  const made = new Agent(options);
  agents.push(made);
  return made;
}

async function certificates(name: string, groupSize: number): Promise<FleetCertificates> {
  const own = join(dir, name);
  mkdirSync(own);
  return makeFleetCertificates(own, ADDRESSES, { groupSize });
}

async function fleetWith(served: SpawnFleetTls): Promise<SpawnedFleet> {
  const fleet = await spawnFleet({ hosts: HOSTS, base: BASE, tls: served });
  fleets.push(fleet);
  return fleet;
}

/** GET / on every host through a client that trusts only `caFile`: each must answer as itself. */
async function expectEveryHostVerifies(fleet: SpawnedFleet, caFile: string): Promise<void> {
  const trusting = agent({ connect: { ca: readFileSync(caFile) } });
  for (const host of fleet.hosts) {
    const res = await request(`https://${host}/`, { dispatcher: trusting });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toMatchObject({ host, n: 1 });
  }
  expect((await fleet.stats()).totalRequests).toBe(HOSTS);
}

/** The certificate `address` serves, after a handshake that trusts `caFile` and checks the name `verifyAs`. */
function servedCertificate(address: string, port: number, caFile: string, verifyAs = address): Promise<PeerCertificate> {
  return new Promise((resolve, reject) => {
    const checkServerIdentity = (_host: string, cert: PeerCertificate): Error | undefined => tls.checkServerIdentity(verifyAs, cert);
    const socket = tls.connect({ host: address, port, ca: readFileSync(caFile), checkServerIdentity }, () => {
      resolve(socket.getPeerCertificate());
      socket.end();
    });
    socket.once('error', reject);
  });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'fanout-fleet-tls-'));
});

afterAll(async () => {
  await Promise.all(agents.map((a) => a.close()));
  await Promise.all(fleets.map((fleet) => fleet.stop()));
  rmSync(dir, { recursive: true, force: true });
});

describe('fleet over TLS, one certificate for every host', () => {
  let certs: FleetCertificates;
  let fleet: SpawnedFleet;

  beforeAll(async () => {
    certs = await certificates('one', HOSTS);
    expect(certs.certFiles).toHaveLength(1);
    fleet = await fleetWith({ keyFile: certs.keyFile, certFile: certs.certFiles[0] ?? '' });
  });

  it('serves HTTPS that verifies with the CA, on every host', async () => {
    expect(fleet.scheme).toBe('https');
    await expectEveryHostVerifies(fleet, certs.caFile);
  });

  it('fails verification without the CA', async () => {
    const [host] = fleet.hosts;
    await expect(request(`https://${host}/`, { dispatcher: agent() })).rejects.toMatchObject({
      code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
    });
  });
});

describe('fleet over TLS, a certificate per group of 2 hosts', () => {
  const GROUP = 2;
  let certs: FleetCertificates;
  let fleet: SpawnedFleet;

  beforeAll(async () => {
    certs = await certificates('groups', GROUP);
    expect(certs.certFiles).toHaveLength(2); // hosts 0 and 1, then host 2 alone
    fleet = await fleetWith({ keyFile: certs.keyFile, certFiles: certs.certFiles, groupSize: GROUP });
  });

  it('serves HTTPS that verifies with the CA, on every host', async () => {
    await expectEveryHostVerifies(fleet, certs.caFile);
  });

  it("serves each host its group's certificate, naming exactly the group's addresses", async () => {
    const names = (addresses: readonly string[]): string => addresses.map((address) => `IP Address:${address}`).join(', ');
    const served = await Promise.all(ADDRESSES.map((address) => servedCertificate(address, fleet.port, certs.caFile)));
    expect(served.map((cert) => cert.subjectaltname)).toEqual([
      names(ADDRESSES.slice(0, 2)),
      names(ADDRESSES.slice(0, 2)),
      names(ADDRESSES.slice(2)),
    ]);
    expect(served[0]?.fingerprint256).not.toBe(served[2]?.fingerprint256);
  });

  it('fails verification of a host as an address outside its group', async () => {
    const [first = '', second = '', third = ''] = ADDRESSES;
    const altnameInvalid = { code: 'ERR_TLS_CERT_ALTNAME_INVALID' };
    await expect(servedCertificate(third, fleet.port, certs.caFile, first)).rejects.toMatchObject(altnameInvalid);
    await expect(servedCertificate(first, fleet.port, certs.caFile, third)).rejects.toMatchObject(altnameInvalid);
    // Within a group the certificate is shared, so that name verifies.
    await expect(servedCertificate(first, fleet.port, certs.caFile, second)).resolves.toBeDefined();
  });

  it('refuses to start with fewer certificates than groups', async () => {
    const tooFew = { keyFile: certs.keyFile, certFiles: certs.certFiles.slice(0, 1), groupSize: GROUP };
    await expect(spawnFleet({ hosts: HOSTS, tls: tooFew })).rejects.toThrow(
      /a certificate for each of the 2 groups of 2 hosts, received 1/,
    );
  });
});
