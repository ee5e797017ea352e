// A RunConfig for in-process runner tests: the defaults of `fanout pull`, changed only where a test says.
import { parseServerList, type ServerAddress } from '../../src/gearman/server-address.js';
import { NO_TLS_MATERIAL } from '../../src/http/tls-material.js';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';
import type { RunConfig } from '../../src/run/run-config.js';

export function runConfig(hosts: readonly string[], overrides: Partial<RunConfig> = {}): RunConfig {
  return {
    sources: [{ kind: 'args', entries: hosts }],
    spec: DEFAULT_SPEC,
    concurrency: 100,
    // In-process tests run from the TypeScript sources, which an executor thread cannot load.
    threads: 1,
    runId: 'test',
    outputFile: null,
    format: 'ndjson',
    summaryFile: null,
    quiet: false,
    progress: false,
    dryRun: false,
    gearman: null,
    resumeFile: null,
    maxFailures: null,
    tls: NO_TLS_MATERIAL,
    ...overrides,
  };
}

export type GearmanRunConfig = NonNullable<RunConfig['gearman']>;

/** The gearman part of a RunConfig for in-process runs (`servers` as --gearman takes them, or parsed), changed only where a test says. */
export function gearmanConfig(servers: string | ServerAddress[], overrides: Partial<GearmanRunConfig> = {}): GearmanRunConfig {
  return {
    servers: typeof servers === 'string' ? parseServerList(servers) : servers,
    functionName: 'fanout.http',
    batchSize: 100,
    localWorkers: 0,
    serverTimeoutMs: 3000,
    stallTimeoutMs: 10_000,
    ...overrides,
  };
}
