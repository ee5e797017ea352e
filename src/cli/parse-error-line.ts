// oclif's own words for a command line it cannot parse, as one line: oclif prints the error and, for an unknown
// flag or argument, the whole usage (48 lines for pull) after it, which scrolls the one thing that matters away.
// This module only phrases; fanout-command.ts decides when it applies. Pure.
import { nearestWord } from './nearest-word.js';

export interface FlagFacts {
  /** `SERVERS` in `--gearman=SERVERS`. */
  helpValue?: string | undefined;
  /** The environment variable that can stand in for the flag. */
  env?: string | undefined;
}

export interface ParseErrorFacts {
  /** oclif's message: the error's lines, then "See more help with --help". */
  message: string;
  /** The flags oclif did not know (NonExistentFlagsError), as typed: `--concurancy`. */
  unknownFlags?: readonly string[] | undefined;
  /** Every flag the command takes, by long name without dashes. */
  flags: Readonly<Record<string, FlagFacts>>;
  /** `fanout pull`, for the pointer to its help. */
  command: string;
}

/** Farther than this from every known flag, a suggestion would be a guess. */
const MAX_DISTANCE = 3;
/** oclif's framing around the error itself. */
const FRAMING = [/^See more help with --help$/, /^The following errors? occurred:$/];
const MISSING_FLAG = /^Missing required flag (\S+)$/;
const PARSING_FLAG = /^Parsing (--\S+)$/;

export function parseErrorLine(facts: ParseErrorFacts): string {
  const help = `see ${facts.command} --help`;
  const unknown = facts.unknownFlags?.[0];
  if (unknown !== undefined) {
    const suggestion = suggestFlag(unknown.replace(/^-+/, '').split('=')[0] ?? '', Object.keys(facts.flags));
    return `unknown flag ${unknown}${suggestion === null ? '' : `: did you mean --${suggestion}?`} (${help})`;
  }
  const lines = facts.message
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !FRAMING.some((framing) => framing.test(line)));
  return `${phrase(lines, facts.flags).join('; ')} (${help})`;
}

function phrase(lines: readonly string[], flags: ParseErrorFacts['flags']): string[] {
  const out: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const missing = MISSING_FLAG.exec(line)?.[1];
    const parsing = PARSING_FLAG.exec(line)?.[1];
    if (missing !== undefined) out.push(missingFlag(missing, flags[missing] ?? {}));
    else if (parsing !== undefined && i + 1 < lines.length) out.push(`${parsing}: ${lines[++i] ?? ''}`);
    else out.push(line);
  }
  return out;
}

/** `missing --gearman=SERVERS (or FANOUT_GEARMAN)`. */
function missingFlag(name: string, { helpValue, env }: FlagFacts): string {
  return `missing --${name}${helpValue === undefined ? '' : `=${helpValue}`}${env === undefined ? '' : ` (or ${env})`}`;
}

function suggestFlag(name: string, known: readonly string[]): string | null {
  // One letter (`-z`) is near every short name: no suggestion is better than a random one.
  return name.length < 2 ? null : nearestWord(name, known, MAX_DISTANCE);
}

export interface SwitchWithValue {
  /** As typed: `--progress=false`. */
  token: string;
  name: string;
  allowNo: boolean;
}

/** The first `--switch=value` on a command line, before any `--`; null when there is none. */
export function switchWithValue(argv: readonly string[], switches: ReadonlyMap<string, boolean>): SwitchWithValue | null {
  for (const token of argv) {
    if (token === '--') break;
    const match = /^--(?:no-)?([^=]+)=/.exec(token);
    const name = match?.[1];
    if (name !== undefined && switches.has(name)) return { token, name, allowNo: switches.get(name) === true };
  }
  return null;
}

/** `--progress=false: --progress takes no value; write --progress or --no-progress (see fanout pull --help)`. */
export function switchValueLine({ token, name, allowNo }: SwitchWithValue, command: string): string {
  const forms = allowNo ? `write --${name} or --no-${name}` : `write --${name} alone`;
  return `${token}: --${name} takes no value; ${forms} (see ${command} --help)`;
}
