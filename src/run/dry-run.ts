// --dry-run: what each host would get (method and URL), sent nowhere. NDJSON unless stdout is for people.
import type { Writable } from 'node:stream';
import { once } from 'node:events';
import type { TargetPlan } from '../hosts/host-source.js';
import { prepareSpec } from '../jobs/prepared-spec.js';
import { EXIT, type ExitCode } from './exit-codes.js';
import type { RunConfig } from './run-config.js';

export async function dryRun(config: RunConfig, plan: TargetPlan, out: Writable, asText: boolean): Promise<ExitCode> {
  const prepared = prepareSpec(config.spec);
  const method = config.spec.method;
  for await (const target of plan.targets()) {
    let url: string;
    try {
      url = prepared.urlFor(target);
    } catch (err) {
      url = `(invalid: ${(err as Error).message})`;
    }
    const line = asText ? `${method} ${url}\n` : `${JSON.stringify({ host: target.host, method, url })}\n`;
    if (!out.write(line)) await once(out, 'drain');
  }
  return EXIT.ok;
}
