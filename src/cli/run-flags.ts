// The flags pull and push share, declared once. Only src/commands and src/cli import oclif.
import { Flags } from '@oclif/core';
import { GEARMAN_DEFAULTS, REQUEST_DEFAULTS, SAFETY_DEFAULTS } from '../defaults.js';
import { secretFlags } from './job-secret.js';
import { durationText, sizeText } from './parse-units.js';
import { tlsFlags } from './tls-flags.js';

/**
 * --gearman as pull, push, worker and status declare it (FANOUT_GEARMAN when absent); each command gives its own
 * description and whether it is required. The value is parsed once, by parseServersFlag.
 */
export const gearmanFlag = Flags.custom<string>({ env: 'FANOUT_GEARMAN', helpValue: 'SERVERS' });

export const hostFlags = {
  'hosts-file': Flags.string({
    char: 'f',
    multiple: true,
    description: 'read hosts from FILE, one per line (`-` is stdin); repeatable',
    helpValue: 'FILE',
  }),
};

export const runFlags = {
  ...hostFlags,
  url: Flags.string({
    helpGroup: 'REQUEST',
    char: 'u',
    description: 'URL template: {host} {hostname} {port} {index}',
    default: REQUEST_DEFAULTS.url,
    helpValue: 'TEMPLATE',
  }),
  method: Flags.string({ helpGroup: 'REQUEST', char: 'X', description: 'HTTP method (pull: GET, push: POST)', helpValue: 'METHOD' }),
  header: Flags.string({
    helpGroup: 'REQUEST',
    char: 'H',
    multiple: true,
    description: 'request header "Name: value", or @FILE of them (one per line, # comments); repeatable',
    helpValue: 'HEADER',
  }),
  'secret-header': Flags.string({
    helpGroup: 'REQUEST',
    multiple: true,
    description: 'never show the value of this header (Authorization, Cookie and the like never are); repeatable',
    helpValue: 'NAME',
  }),
  timeout: Flags.string({
    helpGroup: 'REQUEST',
    description: 'whole request timeout (500ms, 10s, 2m)',
    default: durationText(REQUEST_DEFAULTS.timeoutMs),
  }),
  'connect-timeout': Flags.string({
    helpGroup: 'REQUEST',
    description: 'TCP/TLS connect timeout',
    default: durationText(REQUEST_DEFAULTS.connectTimeoutMs),
  }),
  expect: Flags.string({
    helpGroup: 'REQUEST',
    description: 'statuses that count as ok: 200,204,3xx,200-299',
    default: REQUEST_DEFAULTS.expect,
  }),
  concurrency: Flags.integer({
    helpGroup: 'REQUEST',
    char: 'c',
    description: 'requests in flight at most',
    default: REQUEST_DEFAULTS.concurrency,
    min: 1,
  }),
  threads: Flags.integer({
    helpGroup: 'REQUEST',
    description: 'local mode: run the requests in N threads (default: from the cores and the host count)',
    min: 1,
    env: 'FANOUT_THREADS',
  }),
  retries: Flags.integer({
    helpGroup: 'RETRIES AND SAFETY',
    description:
      'retries per host: of failures where nothing was sent (refused, DNS, connect timeout), and of reset, timeout, ' +
      '408/429/502/503/504 only for GET/HEAD/PUT/DELETE/OPTIONS or a request with an Idempotency-Key',
    default: REQUEST_DEFAULTS.retries,
    min: 0,
  }),
  'retry-delay': Flags.string({
    helpGroup: 'RETRIES AND SAFETY',
    description: 'first back-off before a retry; doubles per retry, with full jitter',
    default: durationText(REQUEST_DEFAULTS.retryDelayMs),
  }),
  'retry-max-delay': Flags.string({
    helpGroup: 'RETRIES AND SAFETY',
    description: "longest back-off, and the cap on a 429/503's Retry-After",
    default: durationText(REQUEST_DEFAULTS.retryMaxDelayMs),
  }),
  'retry-unsafe': Flags.boolean({
    helpGroup: 'RETRIES AND SAFETY',
    description: 'also retry reset, timeout and 408/429/502/503/504 of requests that may not be repeated safely',
  }),
  deadline: Flags.string({
    helpGroup: 'RETRIES AND SAFETY',
    description: 'time per host for every attempt and back-off (default: timeout × (retries+1) + retry-max-delay × retries)',
  }),
  body: Flags.boolean({ helpGroup: 'REQUEST', description: 'put the response body in each record (JSON parsed when it is JSON)' }),
  'max-body': Flags.string({
    helpGroup: 'REQUEST',
    description: 'with --body: larger bodies end as body_too_large',
    default: sizeText(REQUEST_DEFAULTS.maxBodyBytes),
  }),
  follow: Flags.integer({
    helpGroup: 'REQUEST',
    description: 'follow up to N redirects, on the requested host only (default 0: a 3xx is the answer)',
    helpValue: 'N',
    min: 0,
  }),
  'follow-any-host': Flags.boolean({
    helpGroup: 'REQUEST',
    description: 'with --follow: also to other hosts (never sending them credentials)',
  }),
  'include-headers': Flags.boolean({ helpGroup: 'REQUEST', description: 'put the response headers in each record' }),
  insecure: Flags.boolean({ helpGroup: 'REQUEST', char: 'k', description: 'do not verify TLS certificates' }),
  ...tlsFlags,
  output: Flags.string({
    helpGroup: 'OUTPUT',
    char: 'o',
    description: 'write NDJSON records to FILE instead of stdout',
    helpValue: 'FILE',
  }),
  format: Flags.string({
    helpGroup: 'OUTPUT',
    description: 'stdout format: ndjson, or text (one line per failed host); auto = text on a terminal',
    options: ['auto', 'ndjson', 'text'],
    default: 'auto',
  }),
  summary: Flags.string({ helpGroup: 'OUTPUT', description: 'also write the summary as JSON to FILE', helpValue: 'FILE' }),
  quiet: Flags.boolean({ helpGroup: 'OUTPUT', char: 'q', description: 'no summary or progress on stderr' }),
  progress: Flags.boolean({
    helpGroup: 'OUTPUT',
    allowNo: true,
    description: 'force the progress bar on or off (default: on for a terminal)',
  }),
  'dry-run': Flags.boolean({ helpGroup: 'OUTPUT', description: 'print the method and URL each host would get; send nothing' }),
  'run-id': Flags.string({
    helpGroup: 'RETRIES AND SAFETY',
    description: 'run id for Idempotency-Key and job ids (reuse one to make a retry idempotent)',
  }),
  resume: Flags.string({
    helpGroup: 'RETRIES AND SAFETY',
    description: "skip the hosts FILE has an ok record for, append the others' records to FILE (created if missing)",
    helpValue: 'FILE',
  }),
  'max-failures': Flags.string({
    helpGroup: 'RETRIES AND SAFETY',
    description: 'start no new host once more than N hosts (or P% of those finished) have failed',
    helpValue: 'N|P%',
  }),
  'min-sample': Flags.integer({
    helpGroup: 'RETRIES AND SAFETY',
    description: `judge --max-failures P% only once this many hosts have finished (default ${SAFETY_DEFAULTS.minSample})`,
    helpValue: 'N',
    min: 1,
  }),
  gearman: gearmanFlag({ helpGroup: 'GEARMAN MODE', description: 'run through gearmand job servers HOST:PORT[,HOST:PORT...]' }),
  function: Flags.string({ helpGroup: 'GEARMAN MODE', description: 'gearman function name', default: GEARMAN_DEFAULTS.functionName }),
  'batch-size': Flags.integer({
    helpGroup: 'GEARMAN MODE',
    description: 'gearman mode: hosts per job',
    default: GEARMAN_DEFAULTS.batchSize,
    min: 1,
  }),
  'local-workers': Flags.integer({
    helpGroup: 'GEARMAN MODE',
    description: 'gearman mode: also run N workers in this process',
    default: GEARMAN_DEFAULTS.localWorkers,
    min: 0,
  }),
  'server-timeout': Flags.string({
    helpGroup: 'GEARMAN MODE',
    description: 'gearman mode: how long to wait for a healthy job server',
    default: durationText(GEARMAN_DEFAULTS.serverTimeoutMs),
  }),
  'stall-timeout': Flags.string({
    helpGroup: 'GEARMAN MODE',
    description: 'gearman mode: give up when no record arrives for this long',
    default: durationText(GEARMAN_DEFAULTS.stallTimeoutMs),
  }),
  // ---- signed and encrypted jobs (docs/gearman.md §9)
  ...secretFlags('GEARMAN MODE'),
  encrypt: Flags.boolean({
    helpGroup: 'GEARMAN MODE',
    description: 'gearman mode: encrypt each job (AES-256-GCM, key from the secret), so headers never cross gearmand in clear',
  }),
};

export const pushFlags = {
  data: Flags.string({ helpGroup: 'REQUEST', char: 'd', description: 'request body: STRING, @FILE, or @- for stdin', helpValue: 'DATA' }),
  'idempotency-key': Flags.boolean({
    helpGroup: 'RETRIES AND SAFETY',
    allowNo: true,
    default: true,
    description: 'send Idempotency-Key: <run id>-<host> so a repeated push can be dropped by the server',
  }),
};
