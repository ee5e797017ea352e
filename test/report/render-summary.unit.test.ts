import { describe, expect, it } from 'vitest';
import { formatDuration, renderFailureLine, renderSummary } from '../../src/report/render-summary.js';
import type { Summary } from '../../src/report/summary.js';
import { createSummaryBuilder } from '../../src/report/summary.js';
import { makeFailure, makeResult } from './make-result.js';

function summaryOf(overrides: Partial<Summary>): Summary {
  return {
    ...createSummaryBuilder({ startedAt: 0 }).finish(2800),
    ...overrides,
  };
}

const FLEET = summaryOf({
  hosts: 2000,
  ok: 1896,
  failed: 104,
  byCode: { ok: 1896, http_status: 40, timeout: 20, refused: 44 },
  byStatus: { '404': 10, '503': 30 },
  latencyMs: { count: 2000, p50: 52.4, p90: 60, p99: 75.2, max: 2012 },
  wallMs: 2800,
  hostsPerSecond: 714.28,
  failedHosts: ['127.77.0.[3,17-19]:8080', 'web[01-100].dc1'],
});

describe('renderSummary', () => {
  it('puts the run on one line, the statuses and the failed hosts on the next', () => {
    expect(renderSummary(FLEET)).toBe(
      [
        '2000 hosts · 1896 ok · 104 failed (refused 44, http_status 40, timeout 20) · p50 52ms p90 60ms p99 75ms max 2.0s · wall 2.8s · 714 hosts/s',
        'status: 503 30, 404 10',
        'failed: 127.77.0.[3,17-19]:8080 web[01-100].dc1',
        '',
      ].join('\n'),
    );
  });

  it('cuts a long failed list and says how many hosts it left out', () => {
    const text = renderSummary(FLEET, { failedBudget: 30 });
    expect(text).toContain('failed: 127.77.0.[3,17-19]:8080 (+100 more)\n');
  });

  it('always names at least one entry, however long', () => {
    expect(renderSummary(FLEET, { failedBudget: 5 })).toContain('failed: 127.77.0.[3,17-19]:8080 (+100 more)\n');
  });

  it('counts hosts beyond the summary cap as more', () => {
    const text = renderSummary(summaryOf({ failed: 10, failedHosts: ['web[1-4]'], failedHostsOmitted: 6, byCode: { timeout: 10 } }));
    expect(text).toContain('failed: web[1-4] (+6 more)\n');
  });

  it('mentions retries, duplicates and interruption only when they happened', () => {
    const quiet = renderSummary(summaryOf({ hosts: 3, ok: 3, byCode: { ok: 3 }, hostsPerSecond: 1.07 }));
    expect(quiet).toBe('3 hosts · 3 ok · 0 failed · wall 2.8s · 1.1 hosts/s\n');
    const busy = renderSummary(summaryOf({ hosts: 3, ok: 3, retries: 1, duplicates: 2, interrupted: true }));
    expect(busy).toMatch(/^interrupted · 3 hosts · .* · 1 retry · 2 duplicates removed\n$/);
  });

  it('renders a real summary from the builder', () => {
    const builder = createSummaryBuilder({ startedAt: 1000 });
    builder.add(makeResult({ host: 'web01', durationMs: 40 }));
    builder.add(makeFailure('web02', 'refused', { durationMs: 1 }));
    builder.add(makeFailure('web03', 'refused', { durationMs: 1 }));
    expect(renderSummary(builder.finish(1500))).toBe(
      [
        '3 hosts · 1 ok · 2 failed (refused 2) · p50 1.0ms p90 40ms p99 40ms max 40ms · wall 500ms · 6.0 hosts/s',
        'failed: web[02-03]',
        '',
      ].join('\n'),
    );
  });
});

describe('renderFailureLine', () => {
  it('aligns host, code and message in columns', () => {
    expect(renderFailureLine(makeFailure('web03.dc1', 'refused', { error: 'connect ECONNREFUSED 10.0.0.3:443' }))).toBe(
      'web03.dc1              refused          connect ECONNREFUSED 10.0.0.3:443',
    );
    expect(renderFailureLine(makeFailure('10.0.0.4:8080', 'http_status', { status: 503, error: null, attempts: 3 }))).toBe(
      '10.0.0.4:8080          http_status      HTTP 503 (after 3 attempts)',
    );
  });

  it('never passes control characters from a server to the terminal', () => {
    const line = renderFailureLine(makeFailure('web1', 'http_status', { error: 'bad\u001b]0;pwned\u0007\nnext' }));
    expect(line).toBe('web1                   http_status      bad\\x1b]0;pwned\\x07\\x0anext');
  });
});

describe('formatDuration', () => {
  it.each([
    [0.84, '0.8ms'],
    [52.4, '52ms'],
    [999.4, '999ms'],
    [999.6, '1.0s'],
    [2012, '2.0s'],
    [59_949, '59.9s'],
    [59_950, '1m00s'],
    [65_000, '1m05s'],
    [7_380_000, '2h03m'],
  ])('%d ms → %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });
});
