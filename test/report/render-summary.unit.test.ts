import { describe, expect, it } from 'vitest';
import { formatDuration, renderFailureGroup, renderFailureLine, renderSummary } from '../../src/report/render-summary.js';
import type { Summary } from '../../src/report/summary.js';
import { createSummaryBuilder } from '../../src/report/summary.js';
import { makeFailure, makeResult } from './make-result.js';

function summaryOf(overrides: Partial<Summary>): Summary {
  return {
    ...createSummaryBuilder({ startedAt: 0 }).finish(2800),
    ...overrides,
  };
}

/** The bundled fleet's addressing: host i is 127.177.x.y:40123, 254 to an x. */
function fleetHost(i: number): string {
  return `127.177.${Math.floor(i / 254)}.${(i % 254) + 1}:40123`;
}

const LOST = 'no job server reachable for 30 s (127.0.0.1:4730: connect ECONNREFUSED 127.0.0.1:4730)';

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

  it('ends the run line with the run id, so a retry can pass it again as --run-id', () => {
    const builder = createSummaryBuilder({ startedAt: 0, runId: 'cfg-42' });
    const summary = builder.finish(1000);
    expect(summary.runId).toBe('cfg-42');
    expect(renderSummary(summary).split('\n')[0]).toMatch(/ · run cfg-42$/);
    expect(renderSummary(createSummaryBuilder({ startedAt: 0 }).finish(1000))).not.toContain('run ');
  });

  it('cuts a long failed list, says how many hosts it left out and where they all are', () => {
    expect(renderSummary(FLEET, { failedBudget: 30 })).toContain(
      'failed: 127.77.0.[3,17-19]:8080 (+100 more; --summary FILE has them all)\n',
    );
    expect(renderSummary(FLEET, { failedBudget: 30, summaryFile: 'run1-summary.json' })).toContain(
      'failed: 127.77.0.[3,17-19]:8080\n        (+100 more; the full list is in run1-summary.json)\n',
    );
    // The caller passes its config as is: no summary file is null.
    expect(renderSummary(FLEET, { failedBudget: 30, summaryFile: null })).toContain('(+100 more; --summary FILE has them all)\n');
  });

  it('always names at least one entry, however long', () => {
    expect(renderSummary(FLEET, { failedBudget: 5 })).toContain(
      'failed: 127.77.0.[3,17-19]:8080 (+100 more; --summary FILE has them all)\n',
    );
  });

  it('counts hosts beyond the summary cap as more, and does not send the reader to a file that lacks them', () => {
    const capped = summaryOf({ failed: 10, failedHosts: ['web[1-4]'], failedHostsOmitted: 6, byCode: { timeout: 10 } });
    expect(renderSummary(capped, { summaryFile: 's.json' })).toContain('failed: web[1-4] (+6 more; their records name them all)\n');
  });

  it('tells the truth about an interrupted run: the hosts never tried are not failed, the rate is over those that ran', () => {
    // Ctrl-C 7.5 s into 2,000 hosts: 25 answered, 20 were in flight, 1,955 never started.
    const builder = createSummaryBuilder({ startedAt: 0 });
    for (let i = 0; i < 25; i++) builder.add(makeResult({ host: fleetHost(i), durationMs: 50 + i }));
    for (let i = 25; i < 45; i++)
      builder.add(makeFailure(fleetHost(i), 'aborted', { durationMs: 7400, error: 'interrupted while in flight' }));
    for (let i = 45; i < 2000; i++) {
      builder.add(
        makeFailure(fleetHost(i), 'not_attempted', { attempts: 0, durationMs: 0, error: 'interrupted before the request started' }),
      );
    }
    expect(renderSummary(builder.finish(7500, { interrupted: true }))).toBe(
      'interrupted · 2000 hosts · 25 ok · 0 failed · 20 aborted · 1955 not attempted · p50 72ms p90 7.4s p99 7.4s max 7.4s · wall 7.5s · 6.0 hosts/s\n',
    );
  });

  it('shows a lost gearman run as its failures, without a rate: no request was sent', () => {
    const builder = createSummaryBuilder({ startedAt: 0 });
    for (let i = 0; i < 2000; i++) builder.add(makeFailure(fleetHost(i), 'job_lost', { attempts: 0, durationMs: 0, error: LOST }));
    expect(renderSummary(builder.finish(65_000), { summaryFile: 'run1.json' })).toBe(
      [
        '2000 hosts · 0 ok · 2000 failed (job_lost 2000) · wall 1m05s',
        'failed: 127.177.0.[1-254]:40123 127.177.1.[1-254]:40123 127.177.2.[1-254]:40123',
        '        127.177.3.[1-254]:40123 127.177.4.[1-254]:40123 127.177.5.[1-254]:40123',
        '        127.177.6.[1-254]:40123 127.177.7.[1-222]:40123',
        '',
      ].join('\n'),
    );
  });

  it('lists only real failures after a mixed stop: aborted and not attempted hosts are counted, not named', () => {
    const builder = createSummaryBuilder({ startedAt: 0 });
    for (let i = 1; i <= 997; i++) builder.add(makeResult({ host: `web${String(i).padStart(4, '0')}.dc1`, durationMs: 40 }));
    builder.add(makeFailure('web0998.dc1', 'refused', { durationMs: 1 }));
    builder.add(makeFailure('web0999.dc1', 'aborted', { durationMs: 900 }));
    builder.add(makeFailure('web1000.dc1', 'not_attempted', { attempts: 0, durationMs: 0 }));
    expect(renderSummary(builder.finish(1000, { interrupted: true }))).toBe(
      [
        'interrupted · 1000 hosts · 997 ok · 1 failed (refused 1) · 1 aborted · 1 not attempted · p50 40ms p90 40ms p99 40ms max 900ms · wall 1.0s · 999 hosts/s',
        'failed: web0998.dc1',
        '',
      ].join('\n'),
    );
  });

  it('wraps the failed list to the width between entries, never inside a host name', () => {
    const hosts = Array.from({ length: 12 }, (_, i) => `rack${i + 1}-node[1-40].example.internal`);
    const summary = summaryOf({ hosts: 480, failed: 480, byCode: { timeout: 480 }, failedHosts: hosts });
    const lines = renderSummary(summary, { width: 60, failedBudget: 10_000 }).trimEnd().split('\n').slice(1);
    expect(lines).toEqual([
      'failed: rack1-node[1-40].example.internal',
      '        rack2-node[1-40].example.internal',
      '        rack3-node[1-40].example.internal',
      '        rack4-node[1-40].example.internal',
      '        rack5-node[1-40].example.internal',
      '        rack6-node[1-40].example.internal',
      '        rack7-node[1-40].example.internal',
      '        rack8-node[1-40].example.internal',
      '        rack9-node[1-40].example.internal',
      '        rack10-node[1-40].example.internal',
      '        rack11-node[1-40].example.internal',
      '        rack12-node[1-40].example.internal',
    ]);
    // At 80 columns two fit on a line; the default budget cuts the list, and the note about the rest, kept
    // whole, goes to a line of its own when it does not fit.
    const wide = renderSummary(summary).trimEnd().split('\n').slice(1);
    expect(wide).toEqual([
      'failed: rack1-node[1-40].example.internal rack2-node[1-40].example.internal',
      '        rack3-node[1-40].example.internal rack4-node[1-40].example.internal',
      '        rack5-node[1-40].example.internal rack6-node[1-40].example.internal',
      '        rack7-node[1-40].example.internal',
      '        (+200 more; --summary FILE has them all)',
    ]);
    for (const line of wide) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('keeps an entry longer than the width whole, on a line of its own', () => {
    const long = `${'x'.repeat(70)}[1-9].example.com`;
    const summary = summaryOf({ hosts: 10, failed: 10, byCode: { dns: 10 }, failedHosts: ['a1', long] });
    expect(renderSummary(summary, { width: 40 }).split('\n').slice(1, 3)).toEqual(['failed: a1', `        ${long}`]);
  });

  it('says host, not hosts, for one', () => {
    const builder = createSummaryBuilder({ startedAt: 0 });
    builder.add(makeFailure('web1', 'refused', { durationMs: 2 }));
    expect(renderSummary(builder.finish(20))).toBe(
      ['1 host · 0 ok · 1 failed (refused 1) · p50 2.0ms p90 2.0ms p99 2.0ms max 2.0ms · wall 20ms', 'failed: web1', ''].join('\n'),
    );
  });

  it.each([
    ['2 hosts in 99 ms', 2, 99, null],
    ['2 hosts in 100 ms', 2, 100, '20 hosts/s'],
    ['1 host in 10 s', 1, 10_000, null],
    ['3 hosts in 2 s', 3, 2000, '1.5 hosts/s'],
  ])('shows a rate only over at least 2 hosts that ran and 100 ms: %s', (_name, ran, wallMs, rate) => {
    const builder = createSummaryBuilder({ startedAt: 0 });
    for (let i = 0; i < ran; i++) builder.add(makeResult({ host: `web${i}`, durationMs: 1 }));
    for (let i = 0; i < 500; i++) builder.add(makeFailure(`n${i}`, 'not_attempted', { attempts: 0, durationMs: 0 }));
    const headline = renderSummary(builder.finish(wallMs)).split('\n')[0]!;
    if (rate === null) expect(headline).not.toContain('hosts/s');
    else expect(headline.endsWith(` · ${rate}`)).toBe(true);
  });

  it('mentions retries, duplicates and interruption only when they happened', () => {
    const latencyMs = { count: 3, p50: 40, p90: 40, p99: 40, max: 40 };
    const quiet = renderSummary(summaryOf({ hosts: 3, ok: 3, byCode: { ok: 3 }, latencyMs, hostsPerSecond: 1.07 }));
    expect(quiet).toBe('3 hosts · 3 ok · 0 failed · p50 40ms p90 40ms p99 40ms max 40ms · wall 2.8s · 1.1 hosts/s\n');
    const busy = renderSummary(summaryOf({ hosts: 3, ok: 3, retries: 1, duplicates: 2, interrupted: true }));
    expect(busy).toMatch(/^interrupted · 3 hosts · .* · 1 retry · 2 duplicates removed\n$/);
  });

  it('says why --max-failures stopped the run, on its own line after the run line', () => {
    const builder = createSummaryBuilder({ startedAt: 0 });
    for (let i = 1; i <= 9; i++) builder.add(makeResult({ host: `web0${i}`, durationMs: 40 }));
    for (let i = 10; i <= 40; i++) builder.add(makeFailure(`web${i}`, 'refused', { durationMs: 1 }));
    for (let i = 41; i <= 99; i++) {
      builder.add(
        makeFailure(`web${i}`, 'not_attempted', { attempts: 0, durationMs: 0, error: 'the run stopped starting hosts before this one' }),
      );
    }
    const stopped = { by: 'max-failures', limit: '30', failed: 31, finished: 40 } as const;
    const lines = renderSummary(builder.finish(1000, { stopped })).split('\n');
    expect(lines[0]).toMatch(/^99 hosts · 9 ok · 31 failed \(refused 31\) · 59 not attempted · /);
    expect(lines[1]).toBe('stopped: 31 failed > --max-failures 30');
    expect(lines[2]).toBe('failed: web[10-40]');
  });

  it('names the share of finished hosts when a percentage stopped the run', () => {
    const stopped = { by: 'max-failures', limit: '10%', failed: 7, finished: 21 } as const;
    expect(renderSummary(summaryOf({ stopped })).split('\n')[1]).toBe('stopped: 7 failed of 21 finished (33.3%) > --max-failures 10%');
  });

  it('counts the hosts --resume skipped apart from the hosts run, and only when it skipped some', () => {
    expect(renderSummary(summaryOf({ hosts: 3, ok: 3, skipped: 17 }))).toMatch(
      /^3 hosts · 3 ok · 0 failed · 17 skipped \(ok in the resumed file\) · /,
    );
    expect(renderSummary(summaryOf({ hosts: 0, ok: 0, skipped: 20 }))).toMatch(
      /^0 hosts · 0 ok · 0 failed · 20 skipped \(ok in the resumed file\) · /,
    );
    expect(renderSummary(summaryOf({ hosts: 3, ok: 3 }))).not.toContain('skipped');
    expect(renderSummary(summaryOf({ hosts: 3, ok: 3, skipped: 0 }))).not.toContain('skipped');
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

describe('renderFailureGroup', () => {
  it("shows 2,000 lost hosts as one entry: the count, a pointer to the run's reason, the hosts folded", () => {
    const lost = Array.from({ length: 2000 }, (_, i) => makeFailure(fleetHost(i), 'job_lost', { attempts: 0, durationMs: 0, error: LOST }));
    expect(renderFailureGroup(lost, 80)).toBe(
      [
        'job_lost 2000: the reason follows the summary — 127.177.0.[1-254]:40123',
        '    127.177.1.[1-254]:40123 127.177.2.[1-254]:40123 127.177.3.[1-254]:40123',
        '    127.177.4.[1-254]:40123 127.177.5.[1-254]:40123 127.177.6.[1-254]:40123',
        '    127.177.7.[1-222]:40123',
      ].join('\n'),
    );
  });

  it('puts the hosts on the first line when they fit, and shows one host as its usual line', () => {
    const aborted = [3, 1, 2].map((n) => makeFailure(`web${n}`, 'aborted', { error: 'interrupted while in flight' }));
    expect(renderFailureGroup(aborted)).toBe('aborted 3: interrupted while in flight — web[1-3]');
    expect(renderFailureGroup(aborted.slice(0, 1))).toBe(renderFailureLine(aborted[0]!));
    const statuses = [
      makeFailure('a1', 'http_status', { error: null, attempts: 2 }),
      makeFailure('a2', 'http_status', { error: null, attempts: 2 }),
    ];
    expect(renderFailureGroup(statuses)).toBe('http_status 2: HTTP 503 (after 2 attempts) — a[1-2]');
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
