import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { followFlags, runFlags } from '../cli/flags.js';
import { runArgs, runLookup } from '../cli/run-lookup.js';
import { renderImportProgressLine, renderRunImport } from '../output/import.js';
import { renderRunStatus } from '../output/plan.js';
import { renderSummary } from '../output/summary.js';
import type { StatusResult } from '../services/runs.js';

export default class Status extends BaseCommand {
  static summary = 'Show the state, progress, cost and logs of a run.';

  static description = `Shows a run's state and its details, the timeline (created, queued, started, ended), the job's progress
(files read, keys written, throttled retries), its report's counters once it succeeded, the vCPU-, GB- and
storage-hours EMR Serverless billed and their cost, the dashboard URL and where the driver logs are.
Without an id: the newest run submitted from here (--run NAME picks another).
Exit code: 0 SUCCESS, 4 FAILED or CANCELLED, 5 not final yet. --watch looks every 10 s until the end.`;

  static examples = [
    '<%= config.bin %> status',
    '<%= config.bin %> status --watch',
    '<%= config.bin %> status --run populator-3f9a1c2b7d4e --json',
    '<%= config.bin %> status 00f1abc2def3 --application-id 00f1abc --region eu-west-1',
  ];

  static args = runArgs;

  static flags = {
    ...runFlags,
    watch: Flags.boolean({
      default: false,
      env: 'POPULATOR_WATCH',
      description:
        'Look again every 10 s (slower when throttled), with a progress bar on stderr, until the run is final.',
    }),
    interval: Flags.integer({
      min: 1,
      default: 10,
      env: 'POPULATOR_WATCH_INTERVAL',
      description: 'Seconds between looks with --watch.',
      hidden: true,
    }),
    ...followFlags,
  };

  async run(): Promise<StatusResult> {
    const { args, flags } = await this.parse(Status);
    const { runStatus } = await import('../services/runs.js');
    const result = await this.followJob(
      (io) =>
        runStatus({
          ...runLookup(flags, args),
          watch: flags.watch,
          intervalMs: flags.interval * 1000,
          cancelOnInterrupt: flags['cancel-on-interrupt'],
          onImport: (v) => this.note(renderImportProgressLine(v)),
          ...io,
        }),
      flags['cancel-on-interrupt']
        ? 'Cancelling the run (press Ctrl-C again to quit at once)...'
        : 'Leaving the run running; press Ctrl-C again to quit at once...',
    );
    if (!this.jsonEnabled()) {
      this.log(renderRunStatus(result.jobRun, result.run));
      if (result.jobRun.summary !== null) this.log(`\n${renderSummary(result.jobRun.summary)}`);
      if (result.import !== null) this.log(`\n${renderRunImport(result.import)}`);
    }
    if (result.import?.next) this.note(result.import.next);
    process.exitCode = result.exitCode;
    return result;
  }
}
