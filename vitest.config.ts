import { defineConfig } from 'vitest/config';

// Three rings, named by file suffix, each runnable alone (npm run test:unit, ...).
export default defineConfig({
  test: {
    reporters: ['default', './test/helpers/closing-line-reporter.ts'],
    projects: [
      { test: { name: 'unit', include: ['test/**/*.unit.test.ts'] } },
      {
        test: {
          name: 'integration',
          include: ['test/**/*.integration.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          globalSetup: ['test/helpers/build-once.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/**/*.e2e.test.ts'],
          testTimeout: 30_000,
          hookTimeout: 30_000,
          globalSetup: ['test/helpers/build-once.ts'],
        },
      },
      {
        // The local-mode e2e tests again with two executor threads (--threads through its environment variable):
        // one record per host, interrupts and exit codes must not depend on the thread count.
        test: {
          name: 'e2e-threads',
          include: [
            'test/e2e/pull.e2e.test.ts',
            'test/e2e/push.e2e.test.ts',
            'test/e2e/interrupt.e2e.test.ts',
            'test/e2e/max-failures.e2e.test.ts',
          ],
          env: { FANOUT_THREADS: '2' },
          testTimeout: 30_000,
          hookTimeout: 30_000,
          globalSetup: ['test/helpers/build-once.ts'],
        },
      },
    ],
  },
});
