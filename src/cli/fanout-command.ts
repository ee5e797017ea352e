// The base of fanout's commands: oclif's Command, but a command line oclif cannot parse ends as one line on
// stderr and exit 2 (a usage error, docs/architecture.md), never as the error plus the whole usage.
import { Command, Errors, type Interfaces } from '@oclif/core';
import { EXIT } from './exit-codes.js';
import { parseErrorLine, type FlagFacts } from './parse-error-line.js';

/** oclif's parser errors (CLIParseError and its kinds, and a flag value that failed to parse): the unknown flags, if any. */
interface OclifParseError extends Errors.CLIError {
  flags?: string[];
}

function isParseError(error: unknown): error is OclifParseError {
  return error instanceof Errors.CLIError && error.message.includes('See more help with --help');
}

function flagFacts(flag: Interfaces.Flag<unknown>): FlagFacts {
  const helpValue = 'helpValue' in flag && typeof flag.helpValue === 'string' ? flag.helpValue : undefined;
  return { helpValue, env: flag.env };
}

export abstract class FanoutCommand extends Command {
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
