import { Flags } from '@oclif/core';
import { FanoutCommand } from '../cli/fanout-command.js';
import { gearmanFlag } from '../cli/run-flags.js';
import { statusCommand } from '../cli/status-command.js';

export default class Status extends FanoutCommand {
  static override summary = 'Show queued and running jobs and connected workers per function on gearmand job servers.';
  static override examples = [
    '<%= config.bin %> status --gearman 127.0.0.1:4730',
    '<%= config.bin %> status --gearman a:4730,b:4730 --json | jq',
  ];
  static override flags = {
    gearman: gearmanFlag({ description: 'job servers HOST:PORT[,HOST:PORT...]', required: true }),
    function: Flags.string({ description: 'only this function' }),
    json: Flags.boolean({ description: 'JSON on stdout instead of a table' }),
  };

  async run(): Promise<void> {
    const { flags } = await this.parse(Status);
    const code = await statusCommand(flags.gearman, flags.function, flags.json);
    if (code !== 0) this.exit(code);
  }
}
