import { describe, expect, it } from 'vitest';
import { parseErrorLine, switchValueLine, switchWithValue } from '../../src/cli/parse-error-line.js';

const flags = { concurrency: {}, 'connect-timeout': {}, format: {}, gearman: { helpValue: 'SERVERS', env: 'FANOUT_GEARMAN' } };
const line = (message: string, unknownFlags?: string[]): string => parseErrorLine({ message, unknownFlags, flags, command: 'fanout pull' });

describe('parseErrorLine', () => {
  it('names an unknown flag, suggests the nearest known one, and points to --help', () => {
    expect(line('Nonexistent flag: --concurancy\nSee more help with --help', ['--concurancy'])).toBe(
      'unknown flag --concurancy: did you mean --concurrency? (see fanout pull --help)',
    );
    expect(line('Nonexistent flag: --formt=x\nSee more help with --help', ['--formt=x'])).toBe(
      'unknown flag --formt=x: did you mean --format? (see fanout pull --help)',
    );
  });

  it('suggests nothing when no flag is near, or for one letter', () => {
    expect(line('Nonexistent flag: --zzzzzzzzzz\nSee more help with --help', ['--zzzzzzzzzz'])).toBe(
      'unknown flag --zzzzzzzzzz (see fanout pull --help)',
    );
    expect(line('Nonexistent flag: -z\nSee more help with --help', ['-z'])).toBe('unknown flag -z (see fanout pull --help)');
  });

  it('says which required flag is missing, its value and the environment variable that can stand in', () => {
    expect(line('The following error occurred:\n  Missing required flag gearman\nSee more help with --help')).toBe(
      'missing --gearman=SERVERS (or FANOUT_GEARMAN) (see fanout pull --help)',
    );
  });

  it('puts a flag value that does not parse on one line with its flag', () => {
    expect(line('Parsing --concurrency \n\tExpected an integer but received: abc\nSee more help with --help')).toBe(
      '--concurrency: Expected an integer but received: abc (see fanout pull --help)',
    );
  });

  it('keeps any other error as one line, without oclif’s framing', () => {
    expect(line('Expected --format=xml to be one of: auto, ndjson, text\nSee more help with --help')).toBe(
      'Expected --format=xml to be one of: auto, ndjson, text (see fanout pull --help)',
    );
  });
});

describe('switchWithValue', () => {
  const switches = new Map([
    ['quiet', false],
    ['progress', true],
  ]);

  it.each([
    [['127.0.0.1', '--quiet=yes'], '--quiet=yes'],
    [['--no-progress=1'], '--no-progress=1'],
    [['--progress=false', '--quiet=no'], '--progress=false'],
  ])('finds the first switch given a value in %j', (argv, token) => {
    expect(switchWithValue(argv, switches)?.token).toBe(token);
  });

  it.each([[['--quiet', '--progress']], [['--summary=x.json']], [['--', '--quiet=yes']]])('finds none in %j', (argv) => {
    expect(switchWithValue(argv, switches)).toBeNull();
  });

  it('says how the switch is written instead', () => {
    expect(switchValueLine({ token: '--progress=false', name: 'progress', allowNo: true }, 'fanout pull')).toBe(
      '--progress=false: --progress takes no value; write --progress or --no-progress (see fanout pull --help)',
    );
  });
});
