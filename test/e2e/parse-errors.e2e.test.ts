// A command line oclif cannot parse: one line on stderr, exit 2, nothing sent, never the whole usage.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFleet, type Fleet } from '../../fixtures/fleet/fleet.js';
import { runCli } from '../helpers/run-cli.js';

let fleet: Fleet;
beforeAll(async () => {
  fleet = await startFleet({ hosts: 1 });
});
afterAll(async () => {
  await fleet.close();
});

describe('a command line that does not parse', () => {
  it.each([
    [['pull', '--concurancy', '5'], 'fanout: unknown flag --concurancy: did you mean --concurrency? (see fanout pull --help)'],
    [
      ['push', '-d', 'x', '--idempotency-kee'],
      'fanout: unknown flag --idempotency-kee: did you mean --idempotency-key? (see fanout push --help)',
    ],
    [['pull', '-c', 'abc'], 'fanout: --concurrency: Expected an integer but received: abc (see fanout pull --help)'],
    [['pull', '--format', 'xml'], 'fanout: Expected --format=xml to be one of: auto, ndjson, text (see fanout pull --help)'],
  ])('%j: one line, exit 2, nothing sent', async (args, message) => {
    const [verb, ...rest] = args as [string, ...string[]];
    const result = await runCli([verb, fleet.hosts[0]!, ...rest]);
    expect({ code: result.exitCode, stderr: result.stderr, stdout: result.stdout }).toEqual({
      code: 2,
      stderr: `${message}\n`,
      stdout: '',
    });
    expect(fleet.totalRequests()).toBe(0);
  });

  it('fanout worker without --gearman says what is missing and that FANOUT_GEARMAN can stand in', async () => {
    const result = await runCli(['worker']);
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toBe('fanout: missing --gearman=SERVERS (or FANOUT_GEARMAN) (see fanout worker --help)\n');
  });
});

describe('commands and help', () => {
  it('a mistyped command: one line with the nearest command, exit 2', async () => {
    const result = await runCli(['pul', fleet.hosts[0]!]);
    expect({ code: result.exitCode, stderr: result.stderr }).toEqual({
      code: 2,
      stderr: 'fanout: "pul" is not a fanout command: did you mean "pull"? (fanout --help lists them)\n',
    });
    expect(fleet.totalRequests()).toBe(0);
  });

  it.each([[['-h']], [['pull', '-h']], [['push', '--help']]])('%j shows the help, exit 0', async (args) => {
    const result = await runCli(args);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain('USAGE');
  });

  it.each([['pull'], ['push']])(
    '%s --help names the host entry syntax, the exit codes and what a bare --timeout number means',
    async (verb) => {
      const { stdout } = await runCli([verb, '--help']);
      expect(stdout).toContain('web[01-20,33].dc1');
      expect(stdout).toMatch(/EXIT CODES:[\s\S]*2 +bad input: nothing was sent[\s\S]*130 +interrupted/);
      expect(stdout).toContain('a bare number is seconds');
      for (const group of ['REQUEST FLAGS', 'OUTPUT FLAGS', 'RETRIES AND SAFETY FLAGS', 'GEARMAN MODE FLAGS'])
        expect(stdout).toContain(group);
    },
  );

  it('fanout autocomplete explains how to set up completion for bash and zsh', async () => {
    const result = await runCli(['autocomplete', 'bash']);
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toMatch(/fanout autocomplete/);
  });
});
