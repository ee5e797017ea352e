// oclif's command_not_found hook: `fanout pul` is one line with the nearest command and exit 2, like any other
// usage error. (@oclif/plugin-not-found asks "did you mean" on a terminal and says nothing useful elsewhere.)
import { Errors, type Hook } from '@oclif/core';
import { nearestWord } from './nearest-word.js';
import { EXIT } from './exit-codes.js';

/** Farther than this from every command, a suggestion would be a guess. */
const MAX_DISTANCE = 2;

export function commandNotFoundLine(typed: string, commands: readonly string[], bin: string): string {
  const nearest = nearestWord(typed, commands, MAX_DISTANCE);
  const suggestion = nearest === null ? '' : `: did you mean "${nearest}"?`;
  return `"${typed}" is not a ${bin} command${suggestion} (${bin} --help lists them)`;
}

const exitError = (code: number): Errors.ExitError => new Errors.ExitError(code);

const hook: Hook.CommandNotFound = function (options) {
  const typed = options.id.split(':')[0] ?? options.id;
  process.stderr.write(`${options.config.bin}: ${commandNotFoundLine(typed, options.config.commandIDs, options.config.bin)}\n`);
  return Promise.reject(exitError(EXIT.usage)); // oclif turns its exit error into the exit code, quietly
};

export default hook;
