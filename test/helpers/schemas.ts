// The repo's JSON Schemas, compiled once for tests that check every record a run produced.
import { Ajv } from 'ajv';
import hostResultSchema from '../../schema/host-result.schema.json' with { type: 'json' };
import summarySchema from '../../schema/summary.schema.json' with { type: 'json' };

const ajv = new Ajv({ allErrors: true });
export const validateRecord = ajv.compile(hostResultSchema);
export const validateSummary = ajv.compile(summarySchema);

/** Records that fail the schema, with ajv's reasons, so an assertion shows what is wrong. */
export function schemaViolations(records: readonly unknown[], validate = validateRecord): string[] {
  const bad: string[] = [];
  for (const record of records) {
    if (!validate(record)) bad.push(`${JSON.stringify(record)}: ${ajv.errorsText(validate.errors)}`);
  }
  return bad;
}
