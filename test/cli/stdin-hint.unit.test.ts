import { describe, expect, it } from 'vitest';
import { STDIN_HINT, stdinHint } from '../../src/cli/stdin-hint.js';
import type { HostSource } from '../../src/hosts/host-source.js';

const file: HostSource = { kind: 'file', path: 'hosts.txt' };
const stdin: HostSource = { kind: 'stdin' };

describe('stdinHint', () => {
  it('says the hosts are read from stdin when -f - reads a terminal', () => {
    expect(stdinHint([file, stdin], true)).toBe(STDIN_HINT);
    expect(STDIN_HINT).toBe('reading hosts from stdin (Ctrl-D ends)');
  });

  it('says nothing when stdin is a pipe or a file, or is not read', () => {
    expect(stdinHint([file, stdin], false)).toBeNull();
    expect(stdinHint([file, { kind: 'args', entries: ['web01'] }], true)).toBeNull();
  });
});
