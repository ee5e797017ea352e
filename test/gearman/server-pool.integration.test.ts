import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionErrorReason } from '../../src/gearman/errors.js';
import { ServerPool } from '../../src/gearman/server-pool.js';
import type { PoolEvent } from '../../src/gearman/server-pool.js';
import { gearmandPerTest, startGearmand } from '../helpers/gearmand.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

const gearmandFor = gearmandPerTest(cleanups);

/**
 * Starts the pool, recording its events. waitFor() returns the first matching event after the one
 * it returned last, whether it already happened or is still to come.
 */
function startPool(pool: ServerPool): {
  events: PoolEvent[];
  waitFor: <T extends PoolEvent['type']>(
    type: T,
    accept?: (event: Extract<PoolEvent, { type: T }>) => boolean,
  ) => Promise<Extract<PoolEvent, { type: T }>>;
} {
  const events: PoolEvent[] = [];
  let cursor = 0;
  let wake = (): void => {};
  pool.on('status', (event) => {
    events.push(event);
    wake();
  });
  cleanups.push(() => pool.close());
  pool.start();
  return {
    events,
    waitFor(type, accept = () => true) {
      type Wanted = Extract<PoolEvent, { type: typeof type }>;
      const matches = (event: PoolEvent): event is Wanted => event.type === type && accept(event as Wanted);
      const take = (): Wanted | undefined => {
        const index = events.findIndex((event, i) => i >= cursor && matches(event));
        if (index < 0) return undefined;
        cursor = index + 1;
        return events[index] as Wanted;
      };
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no matching ${type} event within 10 s`)), 10_000);
        wake = () => {
          const event = take();
          if (event === undefined) return;
          clearTimeout(timer);
          wake = () => {};
          resolve(event);
        };
        wake();
      });
    },
  };
}

describe('ServerPool against gearmand', () => {
  it('reconnects with growing back-off after gearmand stops, once it is back on the same port', async () => {
    const first = await gearmandFor();
    const { port } = first;
    const pool = new ServerPool([{ host: first.host, port }], {
      backoff: { minDelayMs: 10, maxDelayMs: 40 },
      random: () => 0,
    });
    const { events, waitFor } = startPool(pool);

    const up = await waitFor('connected');
    expect(up).toMatchObject({ server: first.address, attempt: 1 });
    await expect(up.connection.optionRequest('exceptions')).resolves.toBe('exceptions');

    await first.stop();
    const down = await waitFor('disconnected');
    expect(down.error.reason).toBe(ConnectionErrorReason.CLOSED_BY_SERVER);
    expect(up.connection.isClosed).toBe(true);
    await waitFor('connect-failed', (event) => event.attempt >= 4);

    await gearmandFor(port);
    const back = await waitFor('connected');
    expect(back.attempt).toBeGreaterThanOrEqual(5);
    await expect(back.connection.optionRequest('exceptions')).resolves.toBe('exceptions');
    const betweenConnections = events.slice(events.indexOf(down) + 1, events.indexOf(back));
    expect(betweenConnections.some((event) => event.type === 'connected')).toBe(false);

    // After the disconnect: a minimum wait (the failures of the first connection were reset to 0), then
    // one per failure, doubling up to the maximum.
    const afterDown = events.slice(events.indexOf(down));
    const delays = afterDown.flatMap((event) => (event.type === 'backoff' ? [event.delayMs] : []));
    expect(delays.slice(0, 5)).toEqual([10, 10, 20, 40, 40]);
    // Every failed attempt is followed by a back-off, then a new attempt.
    const steps = afterDown.slice(0, 7).map((event) => event.type);
    expect(steps).toEqual(['disconnected', 'backoff', 'connecting', 'connect-failed', 'backoff', 'connecting', 'connect-failed']);
  });

  it('serves the servers that are up while retrying the ones that are down, and stops promptly', async () => {
    const up = await gearmandFor();
    const gone = await startGearmand();
    await gone.stop();
    const pool = new ServerPool(
      [
        { host: gone.host, port: gone.port },
        { host: up.host, port: up.port },
      ],
      { backoff: { minDelayMs: 20, maxDelayMs: 60_000 } },
    );
    const { events, waitFor } = startPool(pool);
    const connected = await waitFor('connected');
    expect(connected.server).toBe(up.address);
    await waitFor('connect-failed', (event) => event.server === gone.address && event.attempt >= 3);
    const serversOf = (type: PoolEvent['type']): Set<string> => new Set(events.filter((e) => e.type === type).map((e) => e.server));
    expect(serversOf('connected')).toEqual(new Set([up.address]));
    expect(serversOf('connect-failed')).toEqual(new Set([gone.address]));
    expect(connected.connection.isClosed).toBe(false);

    const before = events.length;
    await pool.close();
    // Both loops have ended: the only event since close() is the up server's disconnect, and no new attempt.
    expect(events.slice(before).map((event) => [event.type, event.server])).toEqual([['disconnected', up.address]]);
    expect(events.at(-1)).toMatchObject({ error: { reason: ConnectionErrorReason.CLOSED_LOCALLY } });
    expect(connected.connection.isClosed).toBe(true);
  });

  it('cuts a back-off wait short on close(): a pool waiting 10 minutes to retry closes at once', async () => {
    const gone = await startGearmand();
    await gone.stop();
    const pool = new ServerPool([{ host: gone.host, port: gone.port }], {
      backoff: { minDelayMs: 600_000, maxDelayMs: 600_000, jitter: 0 },
    });
    const { events, waitFor } = startPool(pool);
    await waitFor('backoff', (event) => event.delayMs === 600_000);
    const before = events.length;
    await pool.close(); // were the wait not cut short, this would outlast the test's timeout
    expect(events.slice(before)).toEqual([]);
  });
});
