// What `fanout pull --help` and `fanout push --help` say beyond the flags: the host entry syntax and the exit
// codes a script can branch on (cli/exit-codes.ts is the table behind them).
import { EXIT } from './exit-codes.js';

export const RUN_DESCRIPTION = [
  'HOSTS (arguments, -f FILE, -f - for stdin; one per line, # comments):',
  '  web01  web01:8080  10.0.0.5  [::1]:8080  https://web01/path   one entry each',
  '  web[01-20,33].dc1  rack[1-2]-node[1-3]                       pdsh-style ranges',
  '',
  'DURATIONS: 500ms, 10s, 2m, 1h; a bare number is seconds (--timeout 5 = 5s).',
  '',
  'EXIT CODES:',
  `  ${EXIT.ok}    every host ok`,
  `  ${EXIT.someFailed}    some hosts failed (their records say why)`,
  `  ${EXIT.usage}    bad input: nothing was sent`,
  `  ${EXIT.runFailure}    the run failed as a whole (no job server, output not writable)`,
  `  ${EXIT.interrupted}  interrupted (Ctrl-C, SIGTERM, or stdout's reader left)`,
].join('\n');
