// --dry-run: what each host would get (method and URL), sent nowhere. NDJSON unless stdout is for people.
import type { Writable } from 'node:stream';
import type { TargetPlan } from '../hosts/host-source.js';
import type { Target } from '../hosts/target.js';
import { prepareSpec } from '../jobs/prepared-spec.js';
import { writeLines } from '../report/record-sink.js';
import type { RunConfig } from './run-config.js';

/** Resolves true when every line was written, false when the reader of `out` went away first. */
export async function dryRun(config: RunConfig, plan: TargetPlan, out: Writable, asText: boolean): Promise<boolean> {
  const prepared = prepareSpec(config.spec);
  const method = config.spec.method;
  const format = (target: Target): string => {
    const resolved = prepared.urlOrHost(target);
    const url = resolved.error === null ? resolved.url : `(invalid: ${resolved.error})`;
    return asText ? `${method} ${url}` : JSON.stringify({ host: target.host, method, url });
  };
  return writeLines(plan.targets(), out, format);
}
