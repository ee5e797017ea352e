import { describe, expect, it } from 'vitest';
import { commandNotFoundLine } from '../../src/cli/command-not-found.js';

const commands = ['hosts', 'pull', 'push', 'status', 'worker', 'autocomplete'];

describe('commandNotFoundLine', () => {
  it('suggests the nearest command when it is near', () => {
    expect(commandNotFoundLine('pul', commands, 'fanout')).toBe(
      '"pul" is not a fanout command: did you mean "pull"? (fanout --help lists them)',
    );
    expect(commandNotFoundLine('wroker', commands, 'fanout')).toBe(
      '"wroker" is not a fanout command: did you mean "worker"? (fanout --help lists them)',
    );
  });

  it('suggests nothing for a word far from every command', () => {
    expect(commandNotFoundLine('127.0.0.1', commands, 'fanout')).toBe('"127.0.0.1" is not a fanout command (fanout --help lists them)');
  });
});
