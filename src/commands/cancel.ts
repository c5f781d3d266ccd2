import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { runFlags } from '../cli/flags.js';
import { runArgs, runLookup } from '../cli/run-lookup.js';
import type { CancelResult } from '../services/runs.js';

export default class Cancel extends BaseCommand {
  static summary = 'Stop a run.';

  static description = `Cancels an EMR Serverless job run and waits until it is CANCELLED (--no-wait returns once the request is
accepted); a local run is stopped like Ctrl-C in its terminal. Without an id: the newest run submitted from
here. Items written so far stay in the table; submitting again later is safe.`;

  static examples = [
    '<%= config.bin %> cancel',
    '<%= config.bin %> cancel --run populator-3f9a1c2b7d4e --no-wait',
  ];

  static args = runArgs;

  static flags = {
    ...runFlags,
    wait: Flags.boolean({
      default: true,
      allowNo: true,
      env: 'POPULATOR_CANCEL_WAIT',
      description: 'Wait until the run is CANCELLED (--no-wait: return once the request is accepted).',
    }),
  };

  async run(): Promise<CancelResult> {
    const { args, flags } = await this.parse(Cancel);
    const { cancelRun } = await import('../services/runs.js');
    const result = await cancelRun({
      ...runLookup(flags, args),
      wait: flags.wait,
      log: (line) => this.note(line),
    });
    const s = result.jobRun;
    const who = s.jobRunId ?? result.run.runName;
    if (!this.jsonEnabled()) {
      if (result.alreadyFinal) this.log(`${who} had already ended ${s.state}: nothing to cancel.`);
      else this.log(`${who}: ${s.state}${s.final ? '' : ' (stopping)'}`);
    }
    return result;
  }
}
