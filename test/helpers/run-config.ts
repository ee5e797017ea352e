// A RunConfig for in-process runner tests: the defaults of `fanout pull`, changed only where a test says.
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
