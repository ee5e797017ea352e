import { Flags } from '@oclif/core';
import { FanoutCommand } from '../cli/fanout-command.js';
import { runWorkerCommand } from '../cli/worker-command.js';
import { secretFlags } from '../cli/job-secret.js';
import { durationText } from '../cli/parse-units.js';
import { gearmanFlag } from '../cli/run-flags.js';
import { tlsFlags } from '../cli/tls-flags.js';
import { GEARMAN_DEFAULTS, WORKER_DEFAULTS } from '../defaults.js';

export default class Worker extends FanoutCommand {
  static override summary = 'Run a Gearman worker: take fanout jobs from gearmand job servers and stream their records back.';
  static override description =
    'Registers the function on every job server and keeps reconnecting to the ones that are down. ' +
    'SIGTERM or Ctrl-C finishes the jobs in hand and exits 0; a second signal quits at once (130). Logs go to stderr.';
  static override examples = [
    '<%= config.bin %> worker --gearman 10.0.0.5:4730,10.0.0.6:4730 -c 200',
    '<%= config.bin %> worker --gearman 127.0.0.1:4730 --processes 4',
    '<%= config.bin %> worker --gearman 127.0.0.1:4730 --ca internal-ca.pem --cert worker.pem --key worker.key',
    '<%= config.bin %> worker --gearman 10.0.0.5:4730 --allow 10.20.0.0/16,*.dc1.example.com:443 --secret-file /etc/fanout/secret',
  ];
  static override flags = {
    gearman: gearmanFlag({ description: 'job servers HOST:PORT[,HOST:PORT...]; the worker connects to every one', required: true }),
    function: Flags.string({ description: 'gearman function to serve', default: GEARMAN_DEFAULTS.functionName, helpValue: 'NAME' }),
    concurrency: Flags.integer({
      char: 'c',
      description: 'requests in flight at most, across all jobs of this process',
      default: WORKER_DEFAULTS.concurrency,
      min: 1,
      helpValue: 'N',
    }),
    'max-jobs': Flags.integer({ description: 'jobs held at once at most', default: WORKER_DEFAULTS.maxJobs, min: 1, helpValue: 'N' }),
    id: Flags.string({ description: 'worker id shown by gearadmin --workers and in each record (default HOSTNAME/PID)', helpValue: 'ID' }),
    processes: Flags.integer({
      description: 'run N worker processes under a supervisor that restarts them',
      default: WORKER_DEFAULTS.processes,
      min: 1,
      helpValue: 'N',
    }),
    quiet: Flags.boolean({ char: 'q', description: 'log only problems, not routine events' }),
    // This worker's own trust and client certificate: a private key never travels through gearmand.
    ...tlsFlags,
    // ---- lockdown (docs/gearman.md §9)
    allow: Flags.string({
      multiple: true,
      description:
        'fetch only these hosts: CIDR, IP, [IPv6]:PORT, name glob (*.dc1.example.com), each with optional :PORT; comma-separated, repeatable',
      helpValue: 'RULES',
    }),
    ...secretFlags(null),
    'max-job-age': Flags.string({
      description: 'with a secret: refuse signed jobs older than this',
      default: durationText(WORKER_DEFAULTS.maxJobAgeMs),
      helpValue: 'DURATION',
    }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Worker);
    const code = await runWorkerCommand(flags);
    if (code !== 0) this.exit(code);
  }
}
