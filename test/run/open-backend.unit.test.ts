// open-backend.ts is the one place that picks a backend, and gearman mode's client side is imported only when
// --gearman is given: a local pull never loads it. The mock's factory runs when the module is first imported,
// so it tells whether (and when) that happened.
import { describe, expect, it, vi } from 'vitest';
import type { Backend } from '../../src/run/backend.js';
import { openBackend } from '../../src/run/open-backend.js';
import { gearmanConfig, runConfig } from '../helpers/run-config.js';

const loads = vi.hoisted(() => ({ gearmanBackend: 0, options: [] as unknown[] }));

vi.mock('../../src/run/gearman/gearman-backend.js', () => {
  loads.gearmanBackend += 1;
  const stub: Backend = {
    run: () => {
      throw new Error('not run in this test');
    },
    close: () => Promise.resolve(),
  };
  return {
    createGearmanBackend: (options: unknown) => {
      loads.options.push(options);
      return stub;
    },
  };
});

const deps = { log: () => undefined };
const gearman = gearmanConfig('127.0.0.1:4730', { batchSize: 50, localWorkers: 2, stallTimeoutMs: 60_000 });

describe('openBackend', () => {
  it('runs a local pull without importing the gearman backend', async () => {
    const backend = await openBackend(runConfig(['127.0.0.1:1']), 1, deps);
    await backend.close();
    expect(loads.gearmanBackend).toBe(0);
  });

  it('imports it for --gearman, handing it the run id and the embedded workers their request limit', async () => {
    const backend = await openBackend(runConfig(['127.0.0.1:1'], { gearman, runId: 'r7', concurrency: 40 }), 1, deps);
    await backend.close();
    expect(loads.gearmanBackend).toBe(1);
    expect(loads.options).toEqual([expect.objectContaining({ ...gearman, runId: 'r7', embeddedWorkerConcurrency: 40 })]);
  });
});
