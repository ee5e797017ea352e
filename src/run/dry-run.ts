// --dry-run: what each host would get, sent nowhere. stdout carries the data, one line per host (method and URL;
// NDJSON unless stdout is for people); what every host gets alike (the count, method, body and headers) is said
// once, on stderr, where people look and pipelines do not.
import type { Writable } from 'node:stream';
import { groupedDigits } from '../hosts/host-input-error.js';
import type { TargetPlan } from '../hosts/host-source.js';
import type { Target } from '../hosts/target.js';
import type { PreparedSpec } from '../jobs/prepared-spec.js';
import type { RequestSpec } from '../jobs/request-spec.js';
import { secretHeaderNames, shownHeaderValue } from '../http/secret-headers.js';
import { writeLines } from '../report/record-sink.js';

/** Resolves true when every line was written, false when the reader of `out` went away first. */
export async function dryRun(prepared: PreparedSpec, plan: TargetPlan, out: Writable, asText: boolean): Promise<boolean> {
  const method = prepared.spec.method;
  const format = (target: Target): string => {
    const resolved = prepared.urlOrHost(target);
    const url = resolved.error === null ? resolved.url : `(invalid: ${resolved.error})`;
    return asText ? `${method} ${url}` : JSON.stringify({ host: target.host, method, url });
  };
  return writeLines(plan.targets(), out, format);
}

/**
 * The one stderr line of a dry run: `dry run: 2,000 hosts · POST · body 4,096 bytes (application/json) · headers:
 * content-type: application/json, user-agent: fanout/0.1.0, authorization: [redacted]`. Header names in lower case,
 * as HTTP compares them; the per-host Idempotency-Key is shown with `{host}` standing for each host.
 */
export function describeDryRun(spec: RequestSpec, hosts: number): string {
  // Secrets redacted (and --secret-header's): a dry run is often pasted into a ticket or a chat.
  const secret = secretHeaderNames(spec.secretHeaders);
  const headers: Array<readonly [string, string]> = spec.headers.map(([name, value]) => [
    name.toLowerCase(),
    shownHeaderValue(name, value, secret),
  ]);
  if (spec.idempotencyKeyPrefix !== null) headers.push(['idempotency-key', `${spec.idempotencyKeyPrefix}-{host}`]);
  const shown = headers.length === 0 ? 'none' : headers.map(([name, value]) => `${name}: ${value}`).join(', ');
  return [`dry run: ${count(hosts, 'host')}`, spec.method, bodyOf(spec), `headers: ${shown}`].join(' · ');
}

function bodyOf(spec: RequestSpec): string {
  if (spec.bodyBase64 === null) return 'no body';
  const type = spec.headers.find(([name]) => name.toLowerCase() === 'content-type')?.[1] ?? 'no content-type';
  return `body ${count(Buffer.byteLength(spec.bodyBase64, 'base64'), 'byte')} (${type})`;
}

function count(n: number, unit: string): string {
  return `${groupedDigits(n)} ${unit}${n === 1 ? '' : 's'}`;
}
