import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkForgottenFileFlag, readsLikeFileName } from '../../src/cli/forgotten-file-flag.js';
import { UsageError } from '../../src/cli/usage-error.js';

describe('readsLikeFileName', () => {
  it.each(['hosts.txt', 'HOSTS.TXT', 'fleet.csv', 'dc1.list', 'dc1.lst', 'prod.hosts', 'inventory.tsv', './hosts', 'lists/web'])(
    'is true for %j',
    (arg) => expect(readsLikeFileName(arg)).toBe(true),
  );

  it.each(['web01', 'web01.dc1', 'web01.dc1:8080', '127.0.0.1', '[::1]:80', 'web[01-20].txtfarm', 'http://web01/hosts.txt'])(
    'is false for the host %j',
    (arg) => expect(readsLikeFileName(arg)).toBe(false),
  );
});

describe('checkForgottenFileFlag', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fanout-forgotten-f-'));
    await writeFile(join(dir, 'hosts.txt'), 'web01\n');
    await writeFile(join(dir, 'web01'), 'notes about web01\n');
    await mkdir(join(dir, 'racks.list'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an existing host-list file given as a host, suggesting -f', () => {
    const file = join(dir, 'hosts.txt');
    expect(() => checkForgottenFileFlag(['web01', file])).toThrow(new UsageError(`${file} is a file: did you mean -f ${file}?`));
  });

  it('decides on a relative name like hosts.txt by whether the file exists', () => {
    const exists = (path: string): boolean => path === 'hosts.txt';
    expect(() => checkForgottenFileFlag(['hosts.txt'], exists)).toThrow('hosts.txt is a file: did you mean -f hosts.txt?');
    expect(() => checkForgottenFileFlag(['web01.txt'], exists)).not.toThrow();
  });

  it('leaves a name that only looks like a file (no such file), a directory, and a file named like a host alone', () => {
    expect(() => checkForgottenFileFlag(['web01.txt', join(dir, 'missing.txt'), join(dir, 'racks.list')])).not.toThrow();
    expect(() => checkForgottenFileFlag(['web01'], (path) => path === 'web01')).not.toThrow();
  });

  it('quotes a path the shell would split in the suggestion', () => {
    const exists = (): boolean => true;
    expect(() => checkForgottenFileFlag(["my host's.txt"], exists)).toThrow(
      `my host's.txt is a file: did you mean -f 'my host'\\''s.txt'?`,
    );
  });
});
