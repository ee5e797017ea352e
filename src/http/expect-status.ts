// Which HTTP statuses count as success (`--expect 200,204,3xx`). Pure: parsed once per run, tested per host.

export type StatusPredicate = (status: number) => boolean;

export class ExpectParseError extends Error {
  override readonly name = 'ExpectParseError';
}

const CLASS_PATTERN = /^([1-5])xx$/i;
const STATUS_PATTERN = /^[1-5]\d\d$/;
const RANGE_PATTERN = /^([1-5]\d\d)-([1-5]\d\d)$/;

/** Parses a comma-separated list of statuses (`200`), classes (`2xx`) and ranges (`200-299`) into a lookup table. */
export function parseExpect(spec: string): StatusPredicate {
  const allowed = new Uint8Array(600);
  const items = spec.split(',').map((s) => s.trim());
  for (const item of items) {
    const cls = CLASS_PATTERN.exec(item);
    const range = RANGE_PATTERN.exec(item);
    if (cls) allowed.fill(1, Number(cls[1]) * 100, Number(cls[1]) * 100 + 100);
    else if (range && Number(range[1]) <= Number(range[2])) allowed.fill(1, Number(range[1]), Number(range[2]) + 1);
    else if (STATUS_PATTERN.test(item)) allowed[Number(item)] = 1;
    else {
      throw new ExpectParseError(
        `invalid status "${item}" in "${spec}": expected a status (200), a class (2xx) or a range (200-299), comma-separated`,
      );
    }
  }
  return (status) => allowed[status] === 1;
}
