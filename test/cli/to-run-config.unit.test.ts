import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NO_BODY_MESSAGE } from '../../src/cli/push-body.js';
import { runFlags } from '../../src/cli/run-flags.js';
import { hostSources, toRunConfig, type ConfigInput, type PushFlags, type RunFlags } from '../../src/cli/to-run-config.js';
import { UsageError } from '../../src/cli/usage-error.js';
import { NO_TLS_MATERIAL } from '../../src/http/tls-material.js';
import { DEFAULT_SPEC } from '../../src/jobs/request-spec.js';

/** Read here independently of src/cli/version.ts: the header must carry package.json's version. */
const USER_AGENT: [string, string] = [
  'user-agent',
  `fanout/${(JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string }).version}`,
];
const JSON_TYPE: [string, string] = ['content-type', 'application/json'];

/** oclif leaves a boolean flag without a default undefined when it is not given, whatever RunFlags says. */
const UNSET = undefined as unknown as boolean;

/** The flags oclif hands over when only `overrides` were given: the defaults of src/cli/run-flags.ts. */
function makeFlags(overrides: Partial<RunFlags> = {}): RunFlags {
  return {
    'hosts-file': undefined,
    url: 'http://{host}/',
    method: undefined,
    header: undefined,
    'secret-header': undefined,
    timeout: '10s',
    'connect-timeout': '5s',
    expect: '2xx',
    concurrency: 100,
    threads: undefined,
    retries: 0,
    'retry-delay': '200ms',
    'retry-max-delay': '10s',
    'retry-unsafe': UNSET,
    deadline: undefined,
    body: UNSET,
    'max-body': '1MiB',
    follow: undefined,
    'follow-any-host': UNSET,
    'include-headers': UNSET,
    insecure: UNSET,
    ca: undefined,
    cert: undefined,
    key: undefined,
    output: undefined,
    format: 'auto',
    summary: undefined,
    quiet: UNSET,
    progress: UNSET,
    'dry-run': UNSET,
    'run-id': undefined,
    resume: undefined,
    'max-failures': undefined,
    'min-sample': undefined,
    gearman: undefined,
    function: 'fanout.http',
    'batch-size': 250,
    'local-workers': 0,
    'server-timeout': '10s',
    'stall-timeout': '1m',
    secret: undefined,
    'secret-file': undefined,
    encrypt: UNSET,
    json: undefined, // oclif's global --json, which these commands do not enable
    ...overrides,
  };
}

const noStdin = (): Promise<Buffer> => Promise.reject(new Error('stdin must not be read'));

function input(overrides: Partial<ConfigInput> = {}): ConfigInput {
  return { verb: 'pull', flags: makeFlags(), args: ['web01'], readStdin: noStdin, ...overrides };
}

/** The body of a push, as the hosts get it. */
function bodyOf(config: { spec: { bodyBase64: string | null } }): string {
  return Buffer.from(config.spec.bodyBase64!, 'base64').toString();
}

function push(data: string | undefined, idempotencyKey = true): PushFlags {
  return { data, 'idempotency-key': idempotencyKey };
}

describe('makeFlags (test factory)', () => {
  it('uses the defaults declared in run-flags.ts', () => {
    const flags = makeFlags();
    for (const [name, flag] of Object.entries(runFlags)) {
      if ('default' in flag && flag.default !== undefined) expect(flags[name as keyof RunFlags], name).toEqual(flag.default);
    }
  });
});

describe('toRunConfig', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fanout-to-run-config-'));
  });

  afterEach(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('builds a pull run from the defaults', async () => {
    const config = await toRunConfig(input({ flags: makeFlags({ 'run-id': 'r1' }) }));
    expect(config).toEqual({
      sources: [{ kind: 'args', entries: ['web01'] }],
      // a pull's defaults are those a hand-written job payload gets, and a User-Agent
      spec: { ...DEFAULT_SPEC, headers: [USER_AGENT] },
      concurrency: 100,
      runId: 'r1',
      outputFile: null,
      format: 'auto',
      summaryFile: null,
      quiet: false,
      progress: undefined,
      dryRun: false,
      gearman: null,
      resumeFile: null,
      maxFailures: null,
      tls: NO_TLS_MATERIAL,
    });
  });

  it.each([
    ['pull', undefined, 'GET'],
    ['push', undefined, 'POST'],
    ['push', 'put', 'PUT'],
    ['pull', 'HEAD', 'HEAD'],
    ['pull', 'PROPFIND', 'PROPFIND'],
  ] as const)('%s with -X %s sends %s', async (verb, method, expected) => {
    const config = await toRunConfig(input({ verb, flags: makeFlags(method === undefined ? {} : { method }), push: push('') }));
    expect(config.spec.method).toBe(expected);
  });

  it.each(['GE T', 'GET/1', '', '1GET'])('rejects -X %j naming the flag', async (method) => {
    await expect(toRunConfig(input({ flags: makeFlags({ method }) }))).rejects.toThrow(
      new UsageError(`-X/--method: invalid method "${method}"`),
    );
  });

  it('collects hosts from arguments, files and stdin in that order', async () => {
    const config = await toRunConfig(input({ args: ['a', 'b'], flags: makeFlags({ 'hosts-file': ['hosts.txt', '-'] }) }));
    expect(config.sources).toEqual([{ kind: 'args', entries: ['a', 'b'] }, { kind: 'file', path: 'hosts.txt' }, { kind: 'stdin' }]);
  });

  it('refuses a run without hosts', async () => {
    await expect(toRunConfig(input({ args: [] }))).rejects.toThrow(UsageError);
  });

  describe('a host list given as a host (forgotten -f)', () => {
    it('is refused when the argument names a host-list file that exists', async () => {
      const file = path.join(dir, 'hosts.txt');
      await fs.writeFile(file, 'web01\n');
      await expect(toRunConfig(input({ args: ['web01', file] }))).rejects.toThrow(
        new UsageError(`${file} is a file: did you mean -f ${file}?`),
      );
      expect(() => hostSources([file], undefined)).toThrow(UsageError); // `fanout hosts` too
    });

    it('is a host like any other when no such file exists', async () => {
      const config = await toRunConfig(input({ args: ['web01.txt', path.join(dir, 'nope.txt')] }));
      expect(config.sources).toEqual([{ kind: 'args', entries: ['web01.txt', path.join(dir, 'nope.txt')] }]);
    });
  });

  describe('User-Agent', () => {
    it('is fanout/<version of package.json>, after the Content-Type and before the -H headers', async () => {
      const flags = makeFlags({ header: ['Accept: */*'] });
      const config = await toRunConfig(input({ verb: 'push', flags, push: push('{}') }));
      expect(config.spec.headers).toEqual([JSON_TYPE, USER_AGENT, ['Accept', '*/*']]);
    });

    it.each(['User-Agent', 'USER-AGENT', 'user-agent'])('is the one -H %s gives, and no other', async (name) => {
      const config = await toRunConfig(input({ flags: makeFlags({ header: [`${name}: probe/2`] }) }));
      expect(config.spec.headers).toEqual([[name, 'probe/2']]);
    });
  });

  describe('-d/--data', () => {
    it('sends a JSON string as application/json', async () => {
      const config = await toRunConfig(input({ verb: 'push', push: push('{"purge":true}') }));
      expect(config.spec.headers).toEqual([JSON_TYPE, USER_AGENT]);
      expect(bodyOf(config)).toBe('{"purge":true}');
    });

    it('keeps a Content-Type the user gave, in any case, and adds none', async () => {
      const flags = makeFlags({ header: ['CONTENT-TYPE: application/vnd.x+json'] });
      const config = await toRunConfig(input({ verb: 'push', flags, push: push('{"a":1}') }));
      expect(config.spec.headers).toEqual([USER_AGENT, ['CONTENT-TYPE', 'application/vnd.x+json']]);
    });

    it.each(['purge=all', 'x{"a":1}', ''])('adds no Content-Type to the non-JSON body %j', async (data) => {
      const config = await toRunConfig(input({ verb: 'push', push: push(data) }));
      expect(config.spec.headers).toEqual([USER_AGENT]);
      expect(bodyOf(config)).toBe(data);
    });

    it("sends an empty body with -d ''", async () => {
      const config = await toRunConfig(input({ verb: 'push', push: push('') }));
      expect(config.spec.bodyBase64).toBe('');
    });

    it('is required for a push: without it the push is refused', async () => {
      await expect(toRunConfig(input({ verb: 'push', push: push(undefined) }))).rejects.toThrow(new UsageError(NO_BODY_MESSAGE));
      await expect(toRunConfig(input({ verb: 'push' }))).rejects.toThrow(new UsageError(NO_BODY_MESSAGE));
      expect(NO_BODY_MESSAGE).toBe("push needs a body: -d STRING, -d @FILE or -d @-; -d '' sends an empty one");
    });

    describe('that starts like JSON but is not JSON', () => {
      it.each([
        ['{not json', "-d: not valid JSON at line 1, column 2: Expected property name or '}'"],
        [' \n [1, 2,]', "-d: not valid JSON at line 2, column 8: Unexpected token ']'"],
      ])('is refused naming the line and column: %j', async (data, message) => {
        await expect(toRunConfig(input({ verb: 'push', push: push(data) }))).rejects.toThrow(new UsageError(message));
      });

      it('names the file of -d @FILE, and the line and column in it', async () => {
        const file = path.join(dir, 'config.json');
        await fs.writeFile(file, '{\n  "ttl": 30,\n  "mode": on\n}\n');
        await expect(toRunConfig(input({ verb: 'push', push: push(`@${file}`) }))).rejects.toThrow(
          new UsageError(`-d @${file}: not valid JSON at line 3, column 11: Unexpected token 'o'`),
        );
      });

      it('names -d @- for stdin', async () => {
        const readStdin = (): Promise<Buffer> => Promise.resolve(Buffer.from('[1,\n2'));
        await expect(toRunConfig(input({ verb: 'push', push: push('@-'), readStdin }))).rejects.toThrow(
          new UsageError("-d @-: not valid JSON at line 2, column 2: Expected ',' or ']' after array element"),
        );
      });

      it('is sent as is when -H gave a Content-Type: the user said what it is', async () => {
        const flags = makeFlags({ header: ['content-type: text/x-template'] });
        const config = await toRunConfig(input({ verb: 'push', flags, push: push('{{ name }}') }));
        expect(config.spec.headers).toEqual([USER_AGENT, ['content-type', 'text/x-template']]);
        expect(bodyOf(config)).toBe('{{ name }}');
      });
    });

    it('reads @FILE as bytes', async () => {
      const file = path.join(dir, 'payload.bin');
      const bytes = Buffer.from([0x00, 0xff, 0x80, 0x0a]);
      await fs.writeFile(file, bytes);
      const config = await toRunConfig(input({ verb: 'push', push: push(`@${file}`) }));
      expect(Buffer.from(config.spec.bodyBase64!, 'base64')).toEqual(bytes);
      expect(config.spec.headers).toEqual([USER_AGENT]);
    });

    it('treats a JSON @FILE like a JSON string', async () => {
      const file = path.join(dir, 'config.json');
      await fs.writeFile(file, '{\n  "ttl": 30\n}\n');
      const config = await toRunConfig(input({ verb: 'push', push: push(`@${file}`) }));
      expect(config.spec.headers).toEqual([JSON_TYPE, USER_AGENT]);
    });

    it('reports a missing @FILE as a usage error naming the path', async () => {
      const missing = path.join(dir, 'nope.json');
      const result = toRunConfig(input({ verb: 'push', push: push(`@${missing}`) }));
      await expect(result).rejects.toThrow(UsageError);
      await expect(result).rejects.toThrow(`-d/--data: cannot read ${missing}: ENOENT`);
    });

    it('reads @- from stdin', async () => {
      const readStdin = vi.fn(() => Promise.resolve(Buffer.from('[1,2]')));
      const config = await toRunConfig(input({ verb: 'push', push: push('@-'), readStdin }));
      expect(readStdin).toHaveBeenCalledOnce();
      expect(bodyOf(config)).toBe('[1,2]');
      expect(config.spec.headers).toEqual([JSON_TYPE, USER_AGENT]);
    });

    it('refuses @- when -f - also wants stdin, without reading it', async () => {
      const readStdin = vi.fn(noStdin);
      const flags = makeFlags({ 'hosts-file': ['-'] });
      const result = toRunConfig(input({ verb: 'push', flags, push: push('@-'), readStdin, args: [] }));
      await expect(result).rejects.toThrow(new UsageError('-d @- and -f - both want stdin: give one of them a file'));
      expect(readStdin).not.toHaveBeenCalled();
    });
  });

  describe('Idempotency-Key', () => {
    it('is prefixed with the run id for a push', async () => {
      const config = await toRunConfig(input({ verb: 'push', flags: makeFlags({ 'run-id': 'nightly.42' }), push: push('x') }));
      expect(config.spec.idempotencyKeyPrefix).toBe('nightly.42');
    });

    it('is prefixed with the generated run id for a push without --run-id', async () => {
      const config = await toRunConfig(input({ verb: 'push', push: push('x') }));
      expect(config.runId).toMatch(/^[A-Za-z0-9_-]{8}$/);
      expect(config.spec.idempotencyKeyPrefix).toBe(config.runId);
    });

    it('is off for a push with --no-idempotency-key', async () => {
      const config = await toRunConfig(input({ verb: 'push', push: push('x', false) }));
      expect(config.spec.idempotencyKeyPrefix).toBeNull();
    });

    it('is off for a pull', async () => {
      const config = await toRunConfig(input({ verb: 'pull', flags: makeFlags({ 'run-id': 'r1' }) }));
      expect(config.spec.idempotencyKeyPrefix).toBeNull();
    });

    it('is the one given with -H, sent once: fanout adds none of its own', async () => {
      const flags = makeFlags({ header: ['Idempotency-Key: change-4711'] });
      const config = await toRunConfig(input({ verb: 'push', flags, push: push('x') }));
      expect(config.spec.idempotencyKeyPrefix).toBeNull();
      expect(config.spec.headers.filter(([name]) => name.toLowerCase() === 'idempotency-key')).toEqual([
        ['Idempotency-Key', 'change-4711'],
      ]);
    });
  });

  it('gives each run a fresh id', async () => {
    const a = await toRunConfig(input());
    const b = await toRunConfig(input());
    expect(a.runId).not.toBe(b.runId);
  });

  it.each(['', 'has space', 'a/b', 'x'.repeat(41), 'ünicode'])('rejects --run-id %j naming the flag', async (runId) => {
    await expect(toRunConfig(input({ flags: makeFlags({ 'run-id': runId }) }))).rejects.toThrow(`--run-id: "${runId}" must be`);
  });

  it('accepts a 40-character --run-id', async () => {
    const runId = 'A-z_0.9'.padEnd(40, 'x');
    expect((await toRunConfig(input({ flags: makeFlags({ 'run-id': runId }) }))).runId).toBe(runId);
  });

  it('caps the connect timeout at the whole timeout', async () => {
    const capped = await toRunConfig(input({ flags: makeFlags({ timeout: '2s', 'connect-timeout': '5s' }) }));
    expect([capped.spec.timeoutMs, capped.spec.connectTimeoutMs]).toEqual([2000, 2000]);
    const below = await toRunConfig(input({ flags: makeFlags({ timeout: '2s', 'connect-timeout': '300ms' }) }));
    expect([below.spec.timeoutMs, below.spec.connectTimeoutMs]).toEqual([2000, 300]);
  });

  it.each([
    [{ timeout: 'soon' }, '--timeout: invalid duration "soon"'],
    [{ 'connect-timeout': '0' }, '--connect-timeout: invalid duration "0"'],
    [{ 'max-body': 'lots' }, '--max-body: invalid size "lots"'],
    [{ header: ['Accept: */*', 'broken'] }, '-H/--header #2'],
    [{ 'secret-header': ['X-Key: v'] }, '--secret-header: expected a header name'],
    [{ url: 'https://deploy:s3cret@{host}/' }, '-u/--url: a user:password in the URL would be written into every record'],
    // Refused before any file is read: these files do not exist.
    [{ gearman: '127.0.0.1:4730', cert: 'c.pem', key: 'k.pem' }, '--cert/--key with --gearman'],
    [{ gearman: '127.0.0.1:4730', ca: 'ca.pem' }, '--ca with --gearman'],
    [{ ca: 'ca.pem', insecure: true }, '--ca with -k/--insecure'],
  ] satisfies Array<[Partial<RunFlags>, string]>)('rejects bad flag values naming the flag: %j', async (flags, message) => {
    const result = toRunConfig(input({ flags: makeFlags(flags) }));
    await expect(result).rejects.toThrow(UsageError);
    await expect(result).rejects.toThrow(message);
  });

  it('puts --secret-header names in the spec, in lower case, each once', async () => {
    const config = await toRunConfig(input({ flags: makeFlags({ 'secret-header': ['X-Api-Key', 'x-api-key', 'X-Token'] }) }));
    expect(config.spec.secretHeaders).toEqual(['x-api-key', 'x-token']);
  });

  it('passes request and output flags through', async () => {
    const config = await toRunConfig(
      input({
        flags: makeFlags({
          url: 'https://{host}:8443/status',
          header: ['Accept: application/json'],
          expect: '200,3xx',
          retries: 2,
          body: true,
          'max-body': '64k',
          'include-headers': true,
          insecure: true,
          concurrency: 7,
          output: 'out.ndjson',
          format: 'text',
          summary: 'summary.json',
          quiet: true,
          progress: false,
          'dry-run': true,
        }),
      }),
    );
    expect(config.spec).toMatchObject({
      url: 'https://{host}:8443/status',
      headers: [USER_AGENT, ['Accept', 'application/json']],
      expect: '200,3xx',
      retries: 2,
      captureBody: true,
      maxBodyBytes: 65_536,
      includeHeaders: true,
      insecure: true,
    });
    expect(config).toMatchObject({
      concurrency: 7,
      outputFile: 'out.ndjson',
      format: 'text',
      summaryFile: 'summary.json',
      quiet: true,
      progress: false,
      dryRun: true,
    });
  });

  describe('retries and the deadline', () => {
    it('take their defaults: 200ms, 10s, safe retries only, the deadline derived', async () => {
      const { spec } = await toRunConfig(input());
      expect(spec).toMatchObject({ retryDelayMs: 200, retryMaxDelayMs: 10_000, retryUnsafe: false, deadlineMs: null });
    });

    it('pass --retry-delay, --retry-max-delay, --retry-unsafe and --deadline into the spec', async () => {
      const flags = makeFlags({ retries: 3, 'retry-delay': '50ms', 'retry-max-delay': '2s', 'retry-unsafe': true, deadline: '1m' });
      const { spec } = await toRunConfig(input({ flags }));
      expect(spec).toMatchObject({ retries: 3, retryDelayMs: 50, retryMaxDelayMs: 2000, retryUnsafe: true, deadlineMs: 60_000 });
    });

    it('keep a --deadline shorter than --timeout, and a --retry-delay above --retry-max-delay (the cap wins)', async () => {
      const flags = makeFlags({ timeout: '10s', deadline: '2s', 'retry-delay': '5s', 'retry-max-delay': '1s' });
      const { spec } = await toRunConfig(input({ flags }));
      expect(spec).toMatchObject({ timeoutMs: 10_000, deadlineMs: 2000, retryDelayMs: 5000, retryMaxDelayMs: 1000 });
    });

    it.each([
      [{ 'retry-delay': 'soon' }, '--retry-delay: invalid duration "soon"'],
      [{ 'retry-delay': '0' }, '--retry-delay: invalid duration "0"'],
      [{ 'retry-max-delay': '-1s' }, '--retry-max-delay: invalid duration "-1s"'],
      [{ deadline: '' }, '--deadline: invalid duration ""'],
      [{ deadline: '1y' }, '--deadline: invalid duration "1y"'],
    ] satisfies Array<[Partial<RunFlags>, string]>)('reject %j with one line naming the flag', async (flags, message) => {
      const result = toRunConfig(input({ flags: makeFlags(flags) }));
      await expect(result).rejects.toThrow(UsageError);
      await expect(result).rejects.toThrow(message);
    });
  });

  describe('--resume', () => {
    it('names the file the records go to, in local and gearman mode', async () => {
      expect((await toRunConfig(input({ flags: makeFlags({ resume: 'run.ndjson' }) }))).resumeFile).toBe('run.ndjson');
      const gearman = await toRunConfig(input({ flags: makeFlags({ resume: 'run.ndjson', gearman: '127.0.0.1:4730' }) }));
      expect(gearman.resumeFile).toBe('run.ndjson');
    });

    it.each([
      [{ output: 'other.ndjson' }, '--resume appends the records to its FILE: leave out -o/--output'],
      [{ format: 'text' }, '--resume FILE holds NDJSON records: leave out --format text'],
      [{ summary: './run.ndjson' }, '--summary: names the --resume file, which it would overwrite'],
    ] satisfies Array<[Partial<RunFlags>, string]>)('is a usage error with %j', async (flags, message) => {
      await expect(toRunConfig(input({ flags: makeFlags({ resume: 'run.ndjson', ...flags }) }))).rejects.toThrow(new UsageError(message));
    });

    it('is a usage error without a file name', async () => {
      await expect(toRunConfig(input({ flags: makeFlags({ resume: '' }) }))).rejects.toThrow(UsageError);
    });
  });

  describe('--max-failures and --min-sample', () => {
    it('take a count, judged from the first host, or a percentage with its sample (default 20)', async () => {
      const count = await toRunConfig(input({ flags: makeFlags({ 'max-failures': '30' }) }));
      expect(count.maxFailures).toEqual({ kind: 'count', max: 30 });
      const percent = await toRunConfig(input({ flags: makeFlags({ 'max-failures': '10%' }) }));
      expect(percent.maxFailures).toEqual({ kind: 'percent', percent: 10, minSample: 20 });
      const sampled = await toRunConfig(input({ flags: makeFlags({ 'max-failures': '2.5%', 'min-sample': 100 }) }));
      expect(sampled.maxFailures).toEqual({ kind: 'percent', percent: 2.5, minSample: 100 });
    });

    it.each([
      [{ 'max-failures': '150%' }, '--max-failures: "150%" is over 100%'],
      [{ 'max-failures': '-3' }, '--max-failures: "-3" is neither a count nor a percentage (expected e.g. 30 or 10%)'],
      [{ 'max-failures': 'abc' }, '--max-failures: "abc" is neither a count nor a percentage (expected e.g. 30 or 10%)'],
      [{ 'max-failures': '0%' }, '--max-failures: 0% would still wait for --min-sample hosts; to stop at the first failure, give 0'],
      [{ 'min-sample': 50 }, '--min-sample: goes with --max-failures P%'],
      [{ 'max-failures': '30', 'min-sample': 50 }, '--min-sample: goes with --max-failures P%; a count (30) counts from the first host'],
    ] satisfies Array<[Partial<RunFlags>, string]>)('are a usage error naming the flag: %j', async (flags, message) => {
      await expect(toRunConfig(input({ flags: makeFlags(flags) }))).rejects.toThrow(new UsageError(message));
    });
  });

  describe('redirects', () => {
    it('are followed with --follow N, to any host with --follow-any-host', async () => {
      const config = await toRunConfig(input({ flags: makeFlags({ follow: 3, 'follow-any-host': true }) }));
      expect(config.spec).toMatchObject({ followRedirects: 3, followAnyHost: true });
    });

    it('refuse --follow-any-host without --follow, which would do nothing', async () => {
      await expect(toRunConfig(input({ flags: makeFlags({ 'follow-any-host': true }) }))).rejects.toThrow(
        new UsageError('--follow-any-host needs --follow N'),
      );
    });
  });

  describe('gearman options', () => {
    it('are null without --gearman, even with gearman-only flags set', async () => {
      const config = await toRunConfig(input({ flags: makeFlags({ 'batch-size': 10, 'server-timeout': 'never' }) }));
      expect(config.gearman).toBeNull();
    });

    it('are built with --gearman', async () => {
      const flags = makeFlags({
        gearman: '127.0.0.1:4730,127.0.0.2:4730',
        function: 'fleet.http',
        'batch-size': 50,
        'local-workers': 2,
        'server-timeout': '3s',
        'stall-timeout': '2m',
      });
      expect((await toRunConfig(input({ flags }))).gearman).toEqual({
        servers: [
          { host: '127.0.0.1', port: 4730 },
          { host: '127.0.0.2', port: 4730 },
        ],
        functionName: 'fleet.http',
        batchSize: 50,
        localWorkers: 2,
        serverTimeoutMs: 3000,
        stallTimeoutMs: 120_000,
      });
    });

    it('refuse --threads, which is for local mode', async () => {
      const flags = makeFlags({ gearman: '127.0.0.1:4730', threads: 2 });
      await expect(toRunConfig(input({ flags }))).rejects.toThrow(
        new UsageError('--threads is for local mode; with --gearman the workers spread the requests'),
      );
    });

    it('reject a bad --stall-timeout naming the flag', async () => {
      const flags = makeFlags({ gearman: '127.0.0.1:4730', 'stall-timeout': '-1' });
      await expect(toRunConfig(input({ flags }))).rejects.toThrow('--stall-timeout: invalid duration "-1"');
    });
  });

  describe('job secret (--secret, --secret-file, FANOUT_SECRET, --encrypt)', () => {
    const GEARMAN = '127.0.0.1:4730';
    let dir: string;
    beforeEach(async () => {
      dir = await fs.mkdtemp(path.join(os.tmpdir(), 'fanout-secret-'));
    });
    afterEach(async () => {
      await fs.rm(dir, { recursive: true, force: true });
    });
    const jobSecretOf = async (flags: Partial<RunFlags>, env: NodeJS.ProcessEnv = {}): Promise<unknown> =>
      (await toRunConfig(input({ flags: makeFlags({ gearman: GEARMAN, ...flags }), env }))).gearman?.jobSecret;

    it('signs with --secret, encrypts with --encrypt, and takes FANOUT_SECRET only when no flag names one', async () => {
      expect(await jobSecretOf({})).toBeUndefined();
      expect(await jobSecretOf({ secret: 's1' })).toEqual({ secret: 's1', encrypt: false });
      expect(await jobSecretOf({ secret: 's1', encrypt: true })).toEqual({ secret: 's1', encrypt: true });
      expect(await jobSecretOf({}, { FANOUT_SECRET: 'from-env' })).toEqual({ secret: 'from-env', encrypt: false });
      expect(await jobSecretOf({ secret: 's1' }, { FANOUT_SECRET: 'from-env' })).toEqual({ secret: 's1', encrypt: false });
    });

    it('reads the first line of --secret-file, without its line end', async () => {
      const file = path.join(dir, 'secret');
      await fs.writeFile(file, 'file-secret\r\nsecond line\n');
      expect(await jobSecretOf({ 'secret-file': file }, { FANOUT_SECRET: 'from-env' })).toEqual({ secret: 'file-secret', encrypt: false });
    });

    it.each([
      [{ secret: '' }, {}, '--secret: the secret is empty'],
      [{}, { FANOUT_SECRET: '' }, 'FANOUT_SECRET is set but empty (unset it, or give the secret)'],
      [{ secret: 'a', 'secret-file': '/x' }, {}, '--secret and --secret-file: give one of them'],
      [{ 'secret-file': '/nonexistent/fanout-secret' }, {}, '--secret-file /nonexistent/fanout-secret: cannot read it (ENOENT)'],
      [{ encrypt: true }, {}, '--encrypt needs --secret, --secret-file or FANOUT_SECRET: the key comes from the secret'],
    ] as const)('refuses %j (env %j): %s', async (flags, env, message) => {
      await expect(jobSecretOf(flags, env)).rejects.toThrow(new UsageError(message));
    });

    it('refuses an empty first line of --secret-file', async () => {
      const file = path.join(dir, 'empty');
      await fs.writeFile(file, '\nsecret on line 2\n');
      await expect(jobSecretOf({ 'secret-file': file })).rejects.toThrow(new UsageError(`--secret-file ${file}: the first line is empty`));
    });

    it('without --gearman: a secret or --encrypt on the command line is a usage error; FANOUT_SECRET is ignored', async () => {
      const local = (flags: Partial<RunFlags>, env: NodeJS.ProcessEnv = {}) => toRunConfig(input({ flags: makeFlags(flags), env }));
      const message = '--secret, --secret-file and --encrypt protect the jobs sent to workers: they need --gearman';
      await expect(local({ secret: 's1' })).rejects.toThrow(new UsageError(message));
      await expect(local({ 'secret-file': '/x' })).rejects.toThrow(new UsageError(message));
      await expect(local({ encrypt: true })).rejects.toThrow(new UsageError(message));
      expect((await local({}, { FANOUT_SECRET: 'exported' })).gearman).toBeNull();
    });
  });
});
