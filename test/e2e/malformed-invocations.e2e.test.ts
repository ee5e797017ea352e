// Bad input everywhere (issue #8, item 10): every malformed invocation below goes through the real binary and must
// end as one clear line on stderr naming the problem, exit 2, nothing on stdout, and not one request sent. Each
// row lists its own live fleet host first, so a request that slipped out is pinned to the row that sent it.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { runCli } from '../helpers/run-cli.js';

/** Stands for the row's live host in `args`. */
const LIVE = '<live>';
/** Stands for the directory of the row's files in `args` and in `says`. */
const DIR = '<dir>';
/** An address where nothing listens: for flags that need a job server named but must fail before using it. */
const GEARMAN = '127.0.0.1:9';

interface Row {
  args: string[];
  /** A fragment the one line must contain: the flag, file:line or entry it names, and what is wrong. */
  says: string;
}

const pull = (...args: string[]): Row['args'] => ['pull', LIVE, ...args];
const push = (...args: string[]): Row['args'] => ['push', LIVE, ...args];

const FILES: Record<string, string> = {
  'range.hosts': 'web01\nweb[1-\n',
  'space.hosts': 'we b\n',
  'port.hosts': 'h:99999\n',
  'scheme.hosts': 'ftp://x\n',
  'long.hosts': `${'a'.repeat(10_000_000)}\n`,
  'comments.hosts': '# nothing but a comment\n\n',
  'hosts.txt': 'web01\n',
  'broken.json': '{"mode": on}',
  'not.pem': 'garbage\n',
  'not-records.ndjson': 'not json\n',
};

const ROWS: Row[] = [
  // flags oclif parses
  { args: pull('--bogus'), says: 'unknown flag --bogus: did you mean --body? (see fanout pull --help)' },
  { args: pull('--concurancy', '5'), says: 'unknown flag --concurancy: did you mean --concurrency?' },
  { args: pull('-z'), says: 'unknown flag -z (see fanout pull --help)' },
  { args: pull('-d', 'x'), says: 'unknown flag -d' },
  { args: pull('-c', '0'), says: '--concurrency: Expected an integer greater than or equal to 1 but received: 0' },
  { args: pull('-c', 'abc'), says: '--concurrency: Expected an integer but received: abc' },
  { args: pull('-c', '-5'), says: '--concurrency: Expected an integer greater than or equal to 1 but received: -5' },
  { args: pull('-c', '1.5'), says: '--concurrency: Expected an integer but received: 1.5' },
  { args: pull('--threads', '0'), says: '--threads: Expected an integer greater than or equal to 1' },
  { args: pull('--retries', '-1'), says: '--retries: Expected an integer greater than or equal to 0' },
  { args: pull('--format', 'xml'), says: 'Expected --format=xml to be one of: auto, ndjson, text' },
  { args: pull('--format'), says: 'Flag --format expects one of these values: auto, ndjson, text' },
  { args: pull('--summary'), says: 'Flag --summary expects a value (see fanout pull --help)' },
  { args: pull('--quiet=yes'), says: '--quiet=yes: --quiet takes no value; write --quiet alone' },
  { args: pull('--progress=false'), says: '--progress=false: --progress takes no value; write --progress or --no-progress' },
  { args: pull('--gearman', GEARMAN, '--batch-size', '0'), says: '--batch-size: Expected an integer greater than or equal to 1' },
  { args: pull('--gearman', GEARMAN, '--local-workers', '-1'), says: '--local-workers: Expected an integer greater than or equal to 0' },
  { args: push('-d', 'x', '--idempotency-kee'), says: 'unknown flag --idempotency-kee: did you mean --idempotency-key?' },
  // durations and sizes
  { args: pull('--timeout', '0'), says: '--timeout: invalid duration "0" (expected e.g. 500ms, 10s, 2m; 1ms to 596h)' },
  { args: pull('--timeout', 'abc'), says: '--timeout: invalid duration "abc"' },
  { args: pull('--timeout', '10x'), says: '--timeout: invalid duration "10x"' },
  { args: pull('--timeout=-5s'), says: '--timeout: invalid duration "-5s"' },
  { args: pull('--connect-timeout', '-1'), says: '--connect-timeout: invalid duration "-1"' },
  { args: pull('--gearman', GEARMAN, '--server-timeout', 'abc'), says: '--server-timeout: invalid duration "abc"' },
  { args: pull('--gearman', GEARMAN, '--stall-timeout', '0'), says: '--stall-timeout: invalid duration "0"' },
  { args: pull('--max-body', '12QB'), says: '--max-body: invalid size "12QB" (expected e.g. 65536, 512k, 1MiB)' },
  { args: pull('--body', '--max-body', 'abc'), says: '--max-body: invalid size "abc"' },
  // request
  { args: pull('--expect', '999x'), says: '--expect: invalid status "999x"' },
  { args: pull('--expect='), says: '--expect: invalid status ""' },
  { args: pull('-X', 'GE_T'), says: '-X/--method: invalid method "GE_T"' },
  { args: pull('-X='), says: '-X/--method: invalid method ""' },
  { args: pull('-u', 'http://{hots}/'), says: '-u/--url: unknown placeholder {hots} in URL template "http://{hots}/"' },
  { args: pull('-u', 'http://{host'), says: '-u/--url: unclosed "{" in URL template "http://{host"' },
  { args: pull('-u', 'ftp://{host}/'), says: '-u/--url: URL template "ftp://{host}/" must start with http:// or https://' },
  { args: pull('-u='), says: '-u/--url: URL template "" must start with http:// or https://' },
  { args: pull('-H', 'NoColon'), says: '-H/--header #1: expected "Name: value"' },
  { args: pull('-H', ':value'), says: '-H/--header #1: expected "Name: value"' },
  { args: pull('-H', 'Accept: */*', '-H', 'Bad Name: x'), says: '-H/--header #2: expected "Name: value"' },
  { args: pull('--run-id', 'has space'), says: '--run-id: "has space" must be 1-40 letters, digits, dot, dash or underscore' },
  { args: pull('--run-id', 'r'.repeat(41)), says: 'must be 1-40 letters' },
  // gearman mode
  { args: pull('--gearman='), says: '--gearman: invalid job server "": no server given' },
  {
    args: pull('--gearman', '127.0.0.1:99999'),
    says: '--gearman: invalid job server "127.0.0.1:99999": port must be a number from 1 to 65535',
  },
  { args: pull('--gearman', `${GEARMAN},,127.0.0.2:4730`), says: 'empty entry in the list' },
  { args: pull('--gearman', GEARMAN, '--threads', '2'), says: '--threads is for local mode' },
  // hosts
  {
    args: pull('-f', '/nonexistent/hosts.txt'),
    says: "/nonexistent/hosts.txt: cannot read (ENOENT: no such file or directory, open '/nonexistent/hosts.txt')",
  },
  { args: pull('-f', DIR), says: `${DIR}: cannot read (EISDIR` },
  { args: pull('-f', `${DIR}/range.hosts`), says: `${DIR}/range.hosts:2: unclosed range "web[1-"` },
  { args: pull('-f', `${DIR}/space.hosts`), says: `${DIR}/space.hosts:1: whitespace inside "we b"` },
  { args: pull('-f', `${DIR}/port.hosts`), says: `${DIR}/port.hosts:1: invalid port "99999" in "h:99999" (1-65535)` },
  { args: pull('-f', `${DIR}/scheme.hosts`), says: `${DIR}/scheme.hosts:1: unsupported scheme "ftp:" in "ftp://x"` },
  {
    args: pull('-f', `${DIR}/long.hosts`),
    says: `long.hosts:1: hostname longer than 253 characters in "${'a'.repeat(60)}…" (10,000,000 characters)`,
  },
  { args: ['pull', '-f', `${DIR}/comments.hosts`], says: `no hosts given (only blank lines and comments in ${DIR}/comments.hosts)` },
  { args: ['pull'], says: 'no hosts given: pass them as arguments or with -f FILE (- for stdin)' },
  { args: pull('web[1-'), says: 'argument 2: unclosed range "web[1-"' },
  { args: pull('web[5-1]'), says: 'argument 2: reversed range "5-1" in "web[5-1]"' },
  { args: pull('web[]'), says: 'argument 2: empty range "[]" in "web[]"' },
  { args: pull('web[1-100000000]'), says: '"web[1-100000000]" expands to 100,000,000 hosts; at most 1,000,000 per entry' },
  { args: pull('h:0'), says: 'argument 2: invalid port "0" in "h:0" (1-65535)' },
  { args: pull('[::1'), says: 'argument 2: unclosed "[" of IPv6 address in "[::1" (write [::1]:8080)' },
  { args: pull('http://[::1'), says: 'argument 2: unclosed "[" of IPv6 address' },
  { args: pull('b'.repeat(5000)), says: `argument 2: hostname longer than 253 characters in "${'b'.repeat(60)}…" (5,000 characters)` },
  { args: pull('-f', '-', '-f', '-'), says: 'stdin ("-") given more than once' },
  { args: pull(`${DIR}/hosts.txt`), says: `${DIR}/hosts.txt is a file: did you mean -f ${DIR}/hosts.txt?` },
  {
    args: pull('-u', 'http://{host}:81/'),
    says: 'already has a port and -u puts another after {host}: use {hostname} (http://{hostname}:81/)',
  },
  // push bodies
  { args: push(), says: "push needs a body: -d STRING, -d @FILE or -d @-; -d '' sends an empty one" },
  { args: push('-d', '{"mode": on}'), says: "-d: not valid JSON at line 1, column 10: Unexpected token 'o'" },
  { args: push('-d', '@/nonexistent/body.json'), says: '-d/--data: cannot read /nonexistent/body.json: ENOENT' },
  { args: push('-d', `@${DIR}/broken.json`), says: `-d @${DIR}/broken.json: not valid JSON at line 1, column 10` },
  { args: push('-d', '@-', '-f', '-'), says: '-d @- and -f - both want stdin: give one of them a file' },
  // retries, deadline, resume, thresholds, redirects
  { args: pull('--deadline', 'abc'), says: '--deadline: invalid duration "abc"' },
  { args: pull('--retry-delay', '0'), says: '--retry-delay: invalid duration "0"' },
  {
    args: pull('--resume', `${DIR}/not-records.ndjson`),
    says: `--resume ${DIR}/not-records.ndjson:1: not JSON, so not a file of fanout records`,
  },
  {
    args: pull('--resume', `${DIR}/run.ndjson`, '-o', `${DIR}/other.ndjson`),
    says: '--resume appends the records to its FILE: leave out -o/--output',
  },
  { args: pull('--max-failures', '150%'), says: '--max-failures: "150%" is over 100%' },
  { args: pull('--max-failures', 'abc'), says: '--max-failures: "abc" is neither a count nor a percentage' },
  { args: pull('--min-sample', '5'), says: '--min-sample: goes with --max-failures P%' },
  { args: pull('--follow-any-host'), says: '--follow-any-host needs --follow N' },
  { args: pull('--follow', '-1'), says: '--follow: Expected an integer greater than or equal to 0' },
  // TLS and secrets
  { args: pull('--ca', '/nonexistent/ca.pem'), says: '--ca: cannot read /nonexistent/ca.pem: ENOENT' },
  { args: pull('--ca', `${DIR}/not.pem`), says: `--ca ${DIR}/not.pem: holds no PEM certificate` },
  { args: pull('--cert', `${DIR}/not.pem`), says: `--cert ${DIR}/not.pem needs --key FILE, its private key` },
  {
    args: pull('--gearman', GEARMAN, '--cert', `${DIR}/not.pem`, '--key', `${DIR}/not.pem`),
    says: '--cert/--key with --gearman: the workers make the connections',
  },
  { args: pull('-H', '@/nonexistent/headers'), says: '-H @/nonexistent/headers: cannot read /nonexistent/headers: ENOENT' },
  { args: pull('-H', `@${DIR}/not.pem`), says: `-H @${DIR}/not.pem:1: expected "Name: value"` },
  { args: pull('--secret-header', 'Bad:Name'), says: '--secret-header: expected a header name (letters, digits and -), not "Name: value"' },
  { args: pull('-u', 'http://ops:pw@{host}/'), says: '-u/--url: a user:password in the URL would be written into every record' },
  { args: pull('http://ops:pw@web01/'), says: 'argument 2: user:password in "http://web01": every record would carry it' },
  { args: pull('--secret', 'abc'), says: '--secret, --secret-file and --encrypt protect the jobs sent to workers: they need --gearman' },
  { args: pull('--gearman', GEARMAN, '--encrypt'), says: '--encrypt needs --secret, --secret-file or FANOUT_SECRET' },
  {
    args: pull('--gearman', GEARMAN, '--secret-file', '/nonexistent/secret'),
    says: '--secret-file /nonexistent/secret: cannot read it (ENOENT)',
  },
  {
    args: ['worker', '--gearman', GEARMAN, '--allow', '10.0.0.0/33'],
    says: 'invalid --allow rule "10.0.0.0/33": the prefix length must be 0 to 32',
  },
  { args: ['worker', '--gearman', GEARMAN, '--allow', 'fd00::/8:443'], says: 'an IPv6 range with a port needs brackets: [fd00::]/8:443' },
  { args: ['worker', '--gearman', GEARMAN, '--max-job-age', 'soon'], says: '--max-job-age: invalid duration "soon"' },
  { args: ['worker', '--gearman', GEARMAN, '--ca', '/nonexistent/ca.pem'], says: '--ca: cannot read /nonexistent/ca.pem: ENOENT' },
  // other commands
  { args: ['pul', LIVE], says: '"pul" is not a fanout command: did you mean "pull"? (fanout --help lists them)' },
  { args: ['worker', '--gearman', GEARMAN, '-c', '0'], says: '--concurrency: Expected an integer greater than or equal to 1' },
  { args: ['worker', '--gearman='], says: '--gearman: invalid job server "": no server given' },
  { args: ['worker', '--gearman', GEARMAN, '--function', 'a b'], says: 'function name must be non-empty without spaces, got "a b"' },
  { args: ['worker', '--gearman', GEARMAN, '--id', 'a b'], says: 'worker id must be non-empty without spaces, got "a b"' },
  { args: ['worker', '--gearman', GEARMAN, '--processes', '0'], says: '--processes: Expected an integer greater than or equal to 1' },
  { args: ['worker', '--gearman', GEARMAN, '--quiet=1'], says: '--quiet=1: --quiet takes no value' },
  { args: ['status', '--gearman', 'nope:'], says: '--gearman: invalid job server "nope:": port must be a number from 1 to 65535' },
];

let dir: string;
let fleet: Fleet;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-malformed-'));
  await Promise.all(Object.entries(FILES).map(([name, text]) => writeFile(join(dir, name), text)));
  fleet = await startFleet({ hosts: ROWS.length });
});
afterAll(async () => {
  await fleet?.close();
  await rm(dir, { recursive: true, force: true });
});

describe.concurrent('a malformed invocation: one line naming the problem, exit 2, nothing sent', () => {
  it('has at least 60 rows', () => {
    expect(ROWS.length).toBeGreaterThanOrEqual(60);
  });

  it.each(ROWS.map((row, i) => [row.args.join(' '), i] as const))('%s', async (_name, i) => {
    const row = ROWS[i]!;
    const live = fleet.hosts[i]!;
    const args = row.args.map((arg) => arg.replaceAll(LIVE, live).replaceAll(DIR, dir));
    const run = await runCli(args);
    const lines = run.stderr.split('\n').filter((line) => line !== '');
    expect({ exitCode: run.exitCode, stdout: run.stdout, lines: lines.length }).toEqual({ exitCode: 2, stdout: '', lines: 1 });
    expect(lines[0]).toMatch(/^fanout: /);
    expect(lines[0]).toContain(row.says.replaceAll(DIR, dir));
    expect(lines[0]!.length).toBeLessThan(400);
    expect(fleet.statsOf(live).requests).toBe(0);
  });
});
