// Builds HostResult records for the report tests: a plausible ok record, changed only where a test says.
import type { HostResult } from '../../src/record/host-result.js';

export function makeResult(overrides: Partial<HostResult> = {}): HostResult {
  return {
    host: 'web01.dc1:8443',
    url: 'https://web01.dc1:8443/api/config',
    method: 'POST',
    ok: true,
    code: 'ok',
    status: 200,
    error: null,
    attempts: 1,
    durationMs: 52.3,
    bytes: 412,
    ...overrides,
  };
}

/** A failed record for `host`: `code` with its usual status and message. */
export function makeFailure(host: string, code: HostResult['code'], overrides: Partial<HostResult> = {}): HostResult {
  const status = code === 'http_status' ? 503 : null;
  return makeResult({
    host,
    url: `http://${host}/`,
    ok: false,
    code,
    status,
    error: status === null ? `${code} error` : `unexpected status ${status}`,
    bytes: 0,
    ...overrides,
  });
}
