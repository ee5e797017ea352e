// The repo's JSON Schemas, compiled once for tests that check every record a run produced.
// parseNdjson (run-cli.ts) checks the records it parses through checkRecords, so a suite that reads records
// through it gets the check without asking.
import { Ajv, type ValidateFunction } from 'ajv';
import hostResultSchema from '../../schema/host-result.schema.json' with { type: 'json' };
import summarySchema from '../../schema/summary.schema.json' with { type: 'json' };
import type { HostResult } from '../../src/record/host-result.js';

const ajv = new Ajv({ allErrors: true });
export const validateRecord = ajv.compile(hostResultSchema);
export const validateSummary = ajv.compile(summarySchema);

/** Why `value` fails the schema (ajv's reasons), or null when it matches. */
export function schemaViolation(value: unknown, validate: ValidateFunction = validateRecord): string | null {
  return validate(value) ? null : ajv.errorsText(validate.errors);
}

/** Records that fail the schema, with ajv's reasons, so an assertion shows what is wrong. */
export function schemaViolations(records: readonly unknown[], validate: ValidateFunction = validateRecord): string[] {
  const bad: string[] = [];
  for (const record of records) {
    const violation = schemaViolation(record, validate);
    if (violation !== null) bad.push(`${JSON.stringify(record)}: ${violation}`);
  }
  return bad;
}

/**
 * `values` as host records, once each has matched schema/host-result.schema.json; otherwise throws, naming each
 * record that does not (its position counted from 1, `where` saying in what) with ajv's reasons.
 */
export function checkRecords<T extends HostResult = HostResult>(values: readonly unknown[], where = 'record'): T[] {
  const bad: string[] = [];
  values.forEach((value, index) => {
    const violation = schemaViolation(value);
    if (violation !== null) bad.push(`${where} ${index + 1}: ${violation}: ${JSON.stringify(value)}`);
  });
  if (bad.length > 0) throw new Error(`not a host record (schema/host-result.schema.json):\n${bad.join('\n')}`);
  return values as T[];
}
