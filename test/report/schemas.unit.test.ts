import { describe, expect, it } from 'vitest';
import hostResultSchema from '../../schema/host-result.schema.json' with { type: 'json' };
import summarySchema from '../../schema/summary.schema.json' with { type: 'json' };
import { RESULT_CODES } from '../../src/record/host-result.js';
import { createSummaryBuilder } from '../../src/report/summary.js';
import { validateRecord, validateSummary } from '../helpers/schemas.js';
import { makeFailure, makeResult } from './make-result.js';

describe('schema/host-result.schema.json', () => {
  it('lists exactly the RESULT_CODES, in order', () => {
    expect(hostResultSchema.properties.code.enum).toEqual([...RESULT_CODES]);
  });

  it('accepts the record of the README and the optional fields', () => {
    expect(validateRecord(makeResult())).toBe(true);
    expect(validateRecord(makeResult({ body: { version: '1.2' }, headers: { 'content-type': 'application/json' }, worker: 'w1' }))).toBe(
      true,
    );
    expect(validateRecord(makeFailure('web02', 'timeout', { attempts: 3, durationMs: 5000 }))).toBe(true);
    expect(validateRecord(makeFailure('web03', 'not_attempted', { attempts: 0, durationMs: 0 }))).toBe(true);
    expect(validateRecord(makeFailure('web04', 'http_status', { status: 999 }))).toBe(true);
  });

  it.each([
    ['an extra field', { ...makeResult(), extra: 1 }],
    ['an unknown code', makeResult({ ok: false, code: 'boom' as never })],
    ['a missing status', (({ status: _status, ...rest }) => rest)(makeResult())],
    ['a fractional status', makeResult({ status: 200.5 })],
    ['a status that is not HTTP', makeResult({ status: 42 })],
    ['negative attempts', makeResult({ attempts: -1 })],
    ['fractional bytes', makeResult({ bytes: 1.5 })],
    ['a negative duration', makeResult({ durationMs: -0.1 })],
    ['a non-string header value', makeResult({ headers: { 'x-n': 1 as never } })],
    ['ok with a failure code', makeResult({ code: 'timeout' })],
    ['a failure with code ok', makeResult({ ok: false, error: 'x' })],
    ['ok with an error message', makeResult({ error: 'boom' })],
  ])('rejects %s', (_name, record) => {
    expect(validateRecord(record)).toBe(false);
  });
});

describe('schema/summary.schema.json', () => {
  const builder = createSummaryBuilder({ startedAt: Date.UTC(2025, 0, 2, 3, 4, 5) });
  builder.add(makeResult());
  builder.add(makeFailure('web02', 'http_status', { attempts: 2 }));
  builder.add(makeFailure('web03', 'not_attempted', { attempts: 0 }));

  it('describes what summary.ts produces, with and without latency', () => {
    expect(validateSummary(builder.finish(Date.UTC(2025, 0, 2, 3, 4, 7), { duplicates: 2 })), JSON.stringify(validateSummary.errors)).toBe(
      true,
    );
    const empty = createSummaryBuilder({ startedAt: 0 }).finish(0);
    expect(empty.latencyMs).toBeNull();
    expect(validateSummary(empty)).toBe(true);
  });

  it('describes a stopped run: aborted and notAttempted are their own counts, required', () => {
    const stopped = createSummaryBuilder({ startedAt: 0 });
    stopped.add(makeResult());
    stopped.add(makeFailure('web02', 'aborted'));
    stopped.add(makeFailure('web03', 'not_attempted', { attempts: 0 }));
    const summary = stopped.finish(1000, { interrupted: true });
    expect(validateSummary(summary), JSON.stringify(validateSummary.errors)).toBe(true);
    expect(summary).toMatchObject({ hosts: 3, ok: 1, failed: 0, aborted: 1, notAttempted: 1 });
    expect(summarySchema.required).toEqual(expect.arrayContaining(['failed', 'aborted', 'notAttempted']));
  });

  it('describes a resumed run stopped by --max-failures: skipped and stopped', () => {
    const resumed = createSummaryBuilder({ startedAt: 0, skipped: 40 });
    resumed.add(makeFailure('web02', 'refused'));
    const summary = resumed.finish(1000, { stopped: { by: 'max-failures', limit: '2.5%', failed: 1, finished: 1 } });
    expect(validateSummary(summary), JSON.stringify(validateSummary.errors)).toBe(true);
    expect(validateSummary({ ...summary, stopped: { ...summary.stopped, limit: 'lots' } })).toBe(false);
    expect(validateSummary({ ...summary, skipped: -1 })).toBe(false);
  });

  it('rejects an unknown code in byCode and an unknown field', () => {
    const summary = builder.finish(Date.UTC(2025, 0, 2, 3, 4, 7));
    expect(validateSummary({ ...summary, byCode: { boom: 1 } })).toBe(false);
    expect(validateSummary({ ...summary, extra: true })).toBe(false);
  });

  it('lists exactly the RESULT_CODES as byCode keys', () => {
    expect(summarySchema.properties.byCode.propertyNames.enum).toEqual([...RESULT_CODES]);
  });
});
