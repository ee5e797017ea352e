import { Flags } from '@oclif/core';
import { FanoutCommand } from '../cli/fanout-command.js';
import { runWorkerCommand } from '../cli/worker-command.js';
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
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Worker);
    const code = await runWorkerCommand(flags);
    if (code !== 0) this.exit(code);
  }
}
