import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { runFlags } from '../cli/flags.js';
import { configDir } from '../cli/paths.js';
import type { LogsResult } from '../services/runs.js';

export default class Logs extends BaseCommand {
  static summary = "Print a run's driver log.";

  static description = `Prints the Spark driver's stdout (--stderr: its stderr, where Spark's own log and the job's progress lines
are) of a run, gunzipped from the EMR Serverless log URI, every attempt of a retried run in order. --follow
prints new output as it is uploaded (about every 15 s) until the run ends. The local runner writes both
streams to one file, driver.log. Without an id: the newest run submitted from here.`;

  static examples = [
    '<%= config.bin %> logs --stderr',
    '<%= config.bin %> logs --follow --run populator-3f9a1c2b7d4e',
  ];

  static args = {
    'job-run-id': Args.string({
      description: 'An EMR Serverless job run id (default: the newest run recorded here).',
    }),
  };

  static flags = {
    ...runFlags,
    stderr: Flags.boolean({
      default: false,
      env: 'POPULATOR_LOGS_STDERR',
      description: "The driver's stderr instead of its stdout.",
    }),
    follow: Flags.boolean({
      default: false,
      char: 'f',
      env: 'POPULATOR_LOGS_FOLLOW',
      description: 'Keep printing new output until the run ends.',
    }),
  };

  async run(): Promise<LogsResult> {
    const { args, flags } = await this.parse(Logs);
    const { runLogs } = await import('../services/runs.js');
    const { runRecordsDir } = await import('../services/run-records.js');
    const json = this.jsonEnabled();
    const abort = new AbortController();
    const onSigint = (): void => abort.abort();
    process.once('SIGINT', onSigint);
    try {
      return await runLogs({
        recordsDir: runRecordsDir(configDir(process.env)),
        run: flags.run,
        jobRunId: args['job-run-id'],
        applicationId: flags['application-id'],
        region: flags.region,
        profile: flags.profile,
        env: process.env,
        stream: flags.stderr ? 'stderr' : 'stdout',
        follow: flags.follow,
        signal: abort.signal,
        // With --json the text is in the document only.
        write: (text) => {
          if (!json) process.stdout.write(text);
        },
      });
    } finally {
      process.removeListener('SIGINT', onSigint);
    }
  }
}
