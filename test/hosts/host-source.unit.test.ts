import { execFileSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostEntryError, HostInputError } from '../../src/hosts/host-input-error.js';
import { planTargets, readTargets, type HostSource, type TargetStats } from '../../src/hosts/host-source.js';
import type { ParsedEntry } from '../../src/hosts/parse-entry.js';
import type { Target } from '../../src/hosts/target.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'fanout-hosts-test-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function hostsFile(name: string, text: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, text);
  return path;
}

async function collect(targets: AsyncIterable<Target>): Promise<Target[]> {
  const all: Target[] = [];
  for await (const target of targets) all.push(target);
  return all;
}

async function hostsOf(sources: HostSource[]): Promise<string[]> {
  return (await collect(readTargets(sources))).map((t) => t.host);
}

async function inputError(promise: Promise<unknown>): Promise<HostInputError> {
  const error: unknown = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof HostInputError)) throw new Error(`expected a HostInputError, got ${String(error)}`);
  return error;
}

const stdin = (...chunks: string[]): HostSource => ({ kind: 'stdin', stream: Readable.from(chunks) });

describe('readTargets', () => {
  it('ignores blank lines and comments, trims, and handles CRLF and a BOM', async () => {
    const path = await hostsFile(
      'hosts.txt',
      '\uFEFFweb01\r\n\r\n# the db tier\r\n  db01 # primary\r\n\tweb02:8080\t\r\nhttp://web03/#frag\r\nlast',
    );
    expect(await hostsOf([{ kind: 'file', path }])).toEqual(['web01', 'db01', 'web02:8080', 'http://web03/#frag', 'last']);
  });

  it('expands ranges and numbers targets in output order across sources', async () => {
    const path = await hostsFile('hosts.txt', 'web[01-02]\n');
    const targets = await collect(readTargets([{ kind: 'args', entries: ['db1'] }, { kind: 'file', path }, stdin('[::1]:[80-81]\n')]));
    expect(targets).toEqual([
      { host: 'db1', index: 0 },
      { host: 'web01', index: 1 },
      { host: 'web02', index: 2 },
      { host: '[::1]:80', index: 3 },
      { host: '[::1]:81', index: 4 },
    ]);
  });

  it('reads stdin lines split across chunks', async () => {
    expect(await hostsOf([stdin('web0', '1\r', '\nweb02\n', '\n', 'web', '03')])).toEqual(['web01', 'web02', 'web03']);
  });

  it('drops duplicates, keeping the first, and counts them', async () => {
    const stats: TargetStats = { total: 0, duplicates: 0 };
    const targets = await collect(readTargets([{ kind: 'args', entries: ['web[1-3]', 'web2', 'web3'] }, stdin('web1\nweb4\n')], { stats }));
    expect(targets.map((t) => t.host)).toEqual(['web1', 'web2', 'web3', 'web4']);
    expect(targets.map((t) => t.index)).toEqual([0, 1, 2, 3]);
    expect(stats).toEqual({ total: 4, duplicates: 3 });
  });

  it('names the file and line of a malformed entry', async () => {
    const path = await hostsFile('hosts.txt', 'web01\n# c\n\nweb02\nweb03\nweb04\nweb[01-\nweb05\n');
    const error = await inputError(collect(readTargets([{ kind: 'file', path }])));
    expect(error.message).toBe(`${path}:7: unclosed range "web[01-"`);
    expect(error.location).toBe(`${path}:7`);
    expect(error.reason).toBe('unclosed range "web[01-"');
  });

  it('names <stdin> and its line, and the argument position', async () => {
    expect((await inputError(hostsOf([stdin('web01\nweb01:0\n')]))).message).toBe('<stdin>:2: invalid port "0" in "web01:0" (1-65535)');
    expect((await inputError(hostsOf([{ kind: 'args', entries: ['web01', '', 'ftp://x/'] }]))).message).toBe(
      'argument 3: unsupported scheme "ftp:" in "ftp://x/" (http or https only)',
    );
  });

  it('reports an entry that expands to an invalid host with its line', async () => {
    const error = await inputError(hostsOf([stdin('web[1-2]:[65535-65536]\n')]));
    expect(error.message).toBe('<stdin>:1: invalid port "65536" in "web1:65536" (1-65535)');
  });

  it('reports an unreadable file by its path', async () => {
    const path = join(dir, 'missing.txt');
    const error = await inputError(hostsOf([{ kind: 'file', path }]));
    expect(error.location).toBe(path);
    expect(error.message).toMatch(/: cannot read \(ENOENT/);
  });

  it('says "no hosts given", naming the sources, when they hold none', async () => {
    const path = await hostsFile('empty.txt', '# nothing here\n\n   \n');
    const error = await inputError(hostsOf([{ kind: 'file', path }, stdin(''), { kind: 'args', entries: [] }]));
    expect(error.message).toBe(`no hosts given (only blank lines and comments in ${path}, <stdin>, the arguments)`);
    expect(error.location).toBeNull();
    expect((await inputError(hostsOf([]))).message).toBe('no hosts given (pass hosts as arguments or with -f/--hosts-file)');
  });

  it('refuses stdin twice', async () => {
    expect((await inputError(hostsOf([stdin('a\n'), stdin('b\n')]))).message).toBe('stdin ("-") given more than once');
  });

  it('streams: the first targets of a huge range come before the rest is expanded', async () => {
    const targets = readTargets([{ kind: 'args', entries: ['node[1-1000000]', 'bad host'] }]);
    expect((await targets.next()).value).toEqual({ host: 'node1', index: 0 });
    expect((await targets.next()).value).toEqual({ host: 'node2', index: 1 });
    await targets.return(undefined);
  });

  it('streams: the targets before a malformed line come out before its error', async () => {
    const targets = readTargets([{ kind: 'args', entries: ['a', 'b', 'bad host', 'c'] }]);
    expect((await targets.next()).value).toEqual({ host: 'a', index: 0 });
    expect((await targets.next()).value).toEqual({ host: 'b', index: 1 });
    await expect(targets.next()).rejects.toThrow('argument 3: whitespace inside "bad host"');
  });
});

describe('planTargets', () => {
  it('validates everything before the first target is handed out', async () => {
    const path = await hostsFile('hosts.txt', 'web[01-50]\nweb 51\n');
    const error = await inputError(planTargets([{ kind: 'file', path }]));
    expect(error.message).toBe(`${path}:2: whitespace inside "web 51"`);
  });

  it('refuses an entry checkEntry refuses, with its file and line, and checks no entry again on the second pass', async () => {
    const path = await hostsFile('hosts.txt', 'web01\n# c\nweb[02-03]:8080\n');
    const checkEntry = (entry: ParsedEntry): void => {
      if (entry.port !== null) throw new HostEntryError(`"${entry.host}" has a port`);
    };
    expect((await inputError(planTargets([{ kind: 'file', path }], { checkEntry }))).message).toBe(`${path}:3: "web02:8080" has a port`);

    const seen: string[] = [];
    const plan = await planTargets([{ kind: 'file', path }], { checkEntry: (entry) => void seen.push(entry.host) });
    try {
      expect(seen).toEqual(['web01', 'web02:8080', 'web03:8080']);
      expect((await collect(plan.targets())).length).toBe(3);
      expect(seen).toHaveLength(3);
    } finally {
      await plan.close();
    }
  });

  it('counts targets and duplicates, then streams them (more than once if asked)', async () => {
    const path = await hostsFile('hosts.txt', 'web[1-3]\nweb2\n');
    const plan = await planTargets([
      { kind: 'file', path },
      { kind: 'args', entries: ['web3', 'web4'] },
    ]);
    try {
      expect({ total: plan.total, duplicates: plan.duplicates }).toEqual({ total: 4, duplicates: 2 });
      const expected = ['web1', 'web2', 'web3', 'web4'].map((host, index) => ({ host, index }));
      expect(await collect(plan.targets())).toEqual(expected);
      expect(await collect(plan.targets())).toEqual(expected);
    } finally {
      await plan.close();
    }
  });

  it('spools stdin so it can be read twice, keeps <stdin> in errors, and removes the spool on close', async () => {
    const spools = async (): Promise<string[]> => (await readdir(tmpdir())).filter((name) => name.startsWith('fanout-stdin-'));
    const before = await spools();
    const plan = await planTargets([stdin('web01\r\n', 'web02\r\n')]);
    expect(plan.total).toBe(2);
    expect((await collect(plan.targets())).map((t) => t.host)).toEqual(['web01', 'web02']);
    await plan.close();
    await plan.close();
    expect(await spools()).toEqual(before);

    expect((await inputError(planTargets([stdin('web01\n#\nweb[5-1]\n')]))).message).toBe('<stdin>:3: reversed range "5-1" in "web[5-1]"');
    expect(await spools()).toEqual(before);
  });

  /** A named pipe that is fed `text` once, as `-f <(grep web inventory)` is. */
  function pipeOf(name: string, text: string): string {
    const path = join(dir, name);
    execFileSync('mkfifo', [path]);
    createWriteStream(path).end(text);
    return path;
  }

  it('spools a -f that is a pipe, so the second pass gets what the first read, and names the pipe in errors', async () => {
    const plan = await planTargets([
      { kind: 'file', path: pipeOf('hosts.fifo', 'web01\nweb02\n') },
      { kind: 'args', entries: ['db1'] },
    ]);
    try {
      expect(plan.total).toBe(3);
      expect((await collect(plan.targets())).map((t) => t.host)).toEqual(['web01', 'web02', 'db1']);
    } finally {
      await plan.close();
    }
    const bad = pipeOf('bad.fifo', 'web01\nweb01:0\n');
    expect((await inputError(planTargets([{ kind: 'file', path: bad }]))).message).toBe(
      `${bad}:2: invalid port "0" in "web01:0" (1-65535)`,
    );
  });

  it('plans a 100,000-line CRLF file and a 100,000-host range', async () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => `host${i}.dc1:8080`);
    const path = await hostsFile('big.txt', `${lines.join('\r\n')}\r\n`);
    const plan = await planTargets([
      { kind: 'file', path },
      { kind: 'args', entries: ['node[000001-100000]', 'host5.dc1:8080'] },
    ]);
    expect({ total: plan.total, duplicates: plan.duplicates }).toEqual({ total: 200_000, duplicates: 1 });
    let count = 0;
    let last: Target | undefined;
    for await (const target of plan.targets()) {
      count++;
      last = target;
    }
    expect(count).toBe(200_000);
    expect(last).toEqual({ host: 'node100000', index: 199_999 });
    await plan.close();
  });
});
