// The Gearman job payload: versioned JSON holding one batch (request spec + hosts + the job's concurrency).
// Workers validate it completely before sending anything and answer what they do not understand with a
// message that says what is wrong (the worker turns it into WORK_EXCEPTION). Hand-written jobs (the stock
// `gearman` client, PHP) may leave out everything but `hosts`: the defaults are those of `fanout pull`.
import { parseEntry } from '../hosts/parse-entry.js';
import type { Target } from '../hosts/target.js';
import { parseExpect } from '../http/expect-status.js';
import { compileUrlTemplate } from '../hosts/url-template.js';
import { REQUEST_DEFAULTS } from '../defaults.js';
import { DEFAULT_SPEC, type RequestSpec } from './request-spec.js';

export const JOB_PAYLOAD_VERSION = 1;

export interface JobPayload {
  v: typeof JOB_PAYLOAD_VERSION;
  /** Requests in flight for this job at most (the worker's own --concurrency caps it further). */
  concurrency: number;
  spec: RequestSpec;
  /** [host, index] pairs: index feeds the {index} placeholder and stays that of the whole run. */
  targets: Array<[string, number]>;
}

export class JobPayloadError extends Error {
  override readonly name = 'JobPayloadError';
}

const MAX_TARGETS = 100_000;

export function encodeJobPayload(spec: RequestSpec, targets: readonly Target[], concurrency: number): string {
  const payload: JobPayload = { v: JOB_PAYLOAD_VERSION, concurrency, spec, targets: targets.map((t) => [t.host, t.index]) };
  return JSON.stringify(payload);
}

type Json = Record<string, unknown>;

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function field<T>(obj: Json, name: string, fallback: T, check: (v: unknown) => v is T, expected: string): T {
  const value = obj[name];
  if (value === undefined) return fallback;
  // The value itself is never echoed: spec.headers may hold an Authorization token.
  if (!check(value)) throw new JobPayloadError(`spec.${name}: expected ${expected}, got ${describeType(value)}`);
  return value;
}

function describeType(value: unknown): string {
  if (value === null) return 'null';
  return Array.isArray(value) ? 'an array that is not that' : `a ${typeof value}`;
}

const isString = (v: unknown): v is string => typeof v === 'string';
const isBool = (v: unknown): v is boolean => typeof v === 'boolean';
const isNullableString = (v: unknown): v is string | null => v === null || typeof v === 'string';
const isCount = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isPositive = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) > 0;
const isNullablePositive = (v: unknown): v is number | null => v === null || isPositive(v);
const isStrings = (v: unknown): v is string[] => Array.isArray(v) && v.every((name) => typeof name === 'string');
const isHeaders = (v: unknown): v is Array<[string, string]> =>
  Array.isArray(v) && v.every((h) => Array.isArray(h) && h.length === 2 && typeof h[0] === 'string' && typeof h[1] === 'string');

function decodeSpec(raw: unknown): RequestSpec {
  if (raw === undefined) return DEFAULT_SPEC;
  if (!isObject(raw)) throw new JobPayloadError('spec: expected an object');
  const d = DEFAULT_SPEC;
  const spec: RequestSpec = {
    method: field(raw, 'method', d.method, isString, 'a string').toUpperCase(),
    url: field(raw, 'url', d.url, isString, 'a URL template string'),
    headers: field(raw, 'headers', d.headers, isHeaders, 'an array of [name, value] pairs'),
    bodyBase64: field(raw, 'bodyBase64', d.bodyBase64, isNullableString, 'a base64 string or null'),
    timeoutMs: field(raw, 'timeoutMs', d.timeoutMs, isPositive, 'a positive integer'),
    connectTimeoutMs: field(raw, 'connectTimeoutMs', d.connectTimeoutMs, isPositive, 'a positive integer'),
    expect: field(raw, 'expect', d.expect, isString, 'a status list such as "2xx"'),
    retries: field(raw, 'retries', d.retries, isCount, 'a non-negative integer'),
    retryDelayMs: field(raw, 'retryDelayMs', d.retryDelayMs, isCount, 'a non-negative integer'),
    retryMaxDelayMs: field(raw, 'retryMaxDelayMs', d.retryMaxDelayMs, isCount, 'a non-negative integer'),
    retryUnsafe: field(raw, 'retryUnsafe', d.retryUnsafe, isBool, 'a boolean'),
    deadlineMs: field(raw, 'deadlineMs', d.deadlineMs, isNullablePositive, 'a positive integer or null'),
    followRedirects: field(raw, 'followRedirects', d.followRedirects, isCount, 'a non-negative integer'),
    followAnyHost: field(raw, 'followAnyHost', d.followAnyHost, isBool, 'a boolean'),
    secretHeaders: field(raw, 'secretHeaders', d.secretHeaders, isStrings, 'an array of header names'),
    idempotencyKeyPrefix: field(raw, 'idempotencyKeyPrefix', d.idempotencyKeyPrefix, isNullableString, 'a string or null'),
    captureBody: field(raw, 'captureBody', d.captureBody, isBool, 'a boolean'),
    maxBodyBytes: field(raw, 'maxBodyBytes', d.maxBodyBytes, isCount, 'a non-negative integer'),
    includeHeaders: field(raw, 'includeHeaders', d.includeHeaders, isBool, 'a boolean'),
    insecure: field(raw, 'insecure', d.insecure, isBool, 'a boolean'),
  };
  try {
    compileUrlTemplate(spec.url);
    parseExpect(spec.expect);
  } catch (err) {
    throw new JobPayloadError(`spec: ${(err as Error).message}`);
  }
  return spec;
}

/** `targets: [[host, index]…]` (what fanout sends) or `hosts: ["web01", …]` (what a person writes). */
function decodeTargets(raw: Json): Target[] {
  const list: unknown = raw.targets ?? raw.hosts;
  if (!Array.isArray(list) || list.length === 0) throw new JobPayloadError('expected a non-empty "hosts" (or "targets") array');
  if (list.length > MAX_TARGETS) throw new JobPayloadError(`too many hosts in one job: ${list.length} > ${MAX_TARGETS}`);
  return list.map((item: unknown, position) => {
    const [host, index]: unknown[] = Array.isArray(item) ? (item as unknown[]) : [item, position];
    if (typeof host !== 'string' || !isCount(index)) {
      throw new JobPayloadError(`hosts[${position}]: expected a host string or a [host, index] pair`);
    }
    try {
      parseEntry(host);
    } catch (err) {
      throw new JobPayloadError(`hosts[${position}]: ${(err as Error).message}`);
    }
    return { host, index };
  });
}

/** Parses and validates a job payload; throws JobPayloadError naming the first problem. */
export function decodeJobPayload(bytes: Buffer | string): { spec: RequestSpec; targets: Target[]; concurrency: number } {
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (err) {
    throw new JobPayloadError(`payload is not JSON: ${(err as Error).message}`);
  }
  if (!isObject(raw)) throw new JobPayloadError('payload must be a JSON object');
  if (raw.v !== JOB_PAYLOAD_VERSION) {
    throw new JobPayloadError(`unsupported payload version ${JSON.stringify(raw.v)} (this worker understands v: ${JOB_PAYLOAD_VERSION})`);
  }
  const concurrency = raw.concurrency === undefined ? REQUEST_DEFAULTS.concurrency : raw.concurrency;
  if (!isPositive(concurrency)) throw new JobPayloadError('concurrency: expected a positive integer');
  return { spec: decodeSpec(raw.spec), targets: decodeTargets(raw), concurrency };
}
