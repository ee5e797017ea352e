// The base of fanout's commands: oclif's Command, but a command line oclif cannot parse ends as one line on
// stderr and exit 2 (a usage error, docs/architecture.md), never as the error plus the whole usage.
import { Command, Errors, type Interfaces } from '@oclif/core';
import { EXIT } from './exit-codes.js';
import { parseErrorLine, switchValueLine, switchWithValue, type FlagFacts } from './parse-error-line.js';

/** oclif's parser errors (CLIParseError and its kinds, and a flag value that failed to parse): the unknown flags, if any. */
interface OclifParseError extends Errors.CLIError {
  flags?: string[];
}

/** oclif's lexer throws a flag given without its value as a bare CLIError, without the help pointer. */
const VALUE_MISSING = /^Flag --\S+ expects (a value|one of these values)/;

function isParseError(error: unknown): error is OclifParseError {
  return error instanceof Errors.CLIError && (error.message.includes('See more help with --help') || VALUE_MISSING.test(error.message));
}

function flagFacts(flag: Interfaces.Flag<unknown>): FlagFacts {
  const helpValue = 'helpValue' in flag && typeof flag.helpValue === 'string' ? flag.helpValue : undefined;
  return { helpValue, env: flag.env };
}

/** The switches a command takes, with whether each has a --no- form. */
function booleanFlagNames(flags: Interfaces.FlagInput): ReadonlyMap<string, boolean> {
  const names = new Map<string, boolean>();
  for (const [name, flag] of Object.entries(flags)) if (flag.type === 'boolean') names.set(name, flag.allowNo === true);
  return names;
}

export abstract class FanoutCommand extends Command {
  override async init(): Promise<void> {
    await super.init();
    // oclif takes `--quiet=no` as --quiet and `--progress=false` as --progress: refuse a value for a switch.
    const given = switchWithValue(this.argv, booleanFlagNames(this.ctor.flags ?? {}));
    if (given !== null) {
      process.stderr.write(`${this.config.bin}: ${switchValueLine(given, `${this.config.bin} ${this.id ?? ''}`.trim())}\n`);
      this.exit(EXIT.usage);
    }
  }

  override async catch(error: Error & { exitCode?: number }): Promise<unknown> {
    if (!isParseError(error)) return super.catch(error);
    const line = parseErrorLine({
      message: error.message,
      unknownFlags: error.flags,
      flags: Object.fromEntries(Object.entries(this.ctor.flags ?? {}).map(([name, flag]) => [name, flagFacts(flag)])),
      command: `${this.config.bin} ${this.id ?? ''}`.trim(),
    });
    process.stderr.write(`${this.config.bin}: ${line}\n`);
    return this.exit(EXIT.usage);
  }
}
