import { FanoutCommand } from '../cli/fanout-command.js';
import { hostsCommand } from '../cli/hosts-command.js';
import { hostFlags } from '../cli/run-flags.js';

export default class Hosts extends FanoutCommand {
  static override summary = 'Expand and validate a host list (ranges, comments, duplicates) without sending anything.';
  static override strict = false;
  static override usage = 'hosts [HOST...] [-f FILE]';
  static override examples = ['<%= config.bin %> hosts "web[01-20,33].dc1" -f more-hosts.txt | wc -l'];
  static override flags = hostFlags;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Hosts);
    const code = await hostsCommand(argv as string[], flags['hosts-file']);
    if (code !== 0) this.exit(code);
  }
}
