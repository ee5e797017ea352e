import { FanoutCommand } from '../cli/fanout-command.js';
import { runFlags } from '../cli/run-flags.js';
import { runCommand } from '../cli/run-command.js';
import { RUN_DESCRIPTION } from '../cli/run-help.js';

export default class Pull extends FanoutCommand {
  static override summary = 'Send one request (GET by default) to every host; one NDJSON record per host on stdout.';
  static override description = RUN_DESCRIPTION;
  static override strict = false;
  static override usage = 'pull [HOST...] [-f FILE] [flags]';
  static override examples = [
    '<%= config.bin %> pull -f hosts.txt -u "http://{host}:8080/status" | jq -c "select(.ok | not)"',
    '<%= config.bin %> pull "web[01-20].dc1" -u "https://{host}/health" --expect 200',
  ];
  static override flags = runFlags;

  async run(): Promise<void> {
    const { flags, argv } = await this.parse(Pull);
    const code = await runCommand('pull', flags, argv as string[]);
    if (code !== 0) this.exit(code);
  }
}
