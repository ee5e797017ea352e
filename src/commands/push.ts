import { FanoutCommand } from '../cli/fanout-command.js';
import { pushFlags, runFlags } from '../cli/run-flags.js';
import { runCommand } from '../cli/run-command.js';
import { RUN_DESCRIPTION } from '../cli/run-help.js';

export default class Push extends FanoutCommand {
  static override summary = 'Send the same payload (POST by default) to every host; one NDJSON record per host on stdout.';
  static override description = RUN_DESCRIPTION;
  static override strict = false;
  static override usage = 'push [HOST...] [-f FILE] -d DATA [flags]';
  static override examples = [
    '<%= config.bin %> push -f hosts.txt -u "http://{host}:8080/config" -d @config.json',
    '<%= config.bin %> push "cache[1-8].dc1" -X PURGE -u "http://{host}/img/" -d "" --expect 200,404',
  ];
  static override flags = { ...runFlags, ...pushFlags };

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Push);
    const code = await runCommand('push', flags, argv as string[], flags);
    if (code !== 0) this.exit(code);
  }
}
