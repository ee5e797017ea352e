// --dry-run: what each host would get (method and URL), sent nowhere. NDJSON unless stdout is for people.
import type { Writable } from 'node:stream';
import type { TargetPlan } from '../hosts/host-source.js';
import type { Target } from '../hosts/target.js';
import { prepareSpec } from '../jobs/prepared-spec.js';
import { writeLines } from '../report/record-sink.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import type { RunConfig } from './run-config.js';

export async function dryRun(config: RunConfig, plan: TargetPlan, out: Writable, asText: boolean): Promise<ExitCode> {
  const prepared = prepareSpec(config.spec);
  const method = config.spec.method;
  const format = (target: Target): string => {
    let url: string;
    try {
      url = prepared.urlFor(target);
    } catch (err) {
      url = `(invalid: ${(err as Error).message})`;
    }
    return asText ? `${method} ${url}` : JSON.stringify({ host: target.host, method, url });
  };
  return (await writeLines(plan.targets(), out, format)) ? EXIT.ok : EXIT.interrupted;
}
