import { Command } from '@oclif/core';
import { hostSources } from '../cli/to-run-config.js';
import { hostFlags } from '../cli/run-flags.js';
import { reportUsageErrors } from '../cli/report-usage-errors.js';
import { listHosts } from '../run/list-hosts.js';

export default class Hosts extends Command {
  static override summary = 'Expand and validate a host list (ranges, comments, duplicates) without sending anything.';
  static override strict = false;
  static override usage = 'hosts [HOST...] [-f FILE]';
  static override examples = ['<%= config.bin %> hosts "web[01-20,33].dc1" -f more-hosts.txt | wc -l'];
  static override flags = hostFlags;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Hosts);
    const code = await reportUsageErrors(async () => {
      const { total, duplicates } = await listHosts(hostSources(argv as string[], flags['hosts-file']), process.stdout);
      process.stderr.write(`fanout: ${total} hosts${duplicates > 0 ? ` (${duplicates} duplicates dropped)` : ''}\n`);
    });
    if (code !== 0) this.exit(code);
  }
}
