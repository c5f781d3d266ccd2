import { Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import { runFlags } from '../cli/flags.js';
import { runArgs, runLookup } from '../cli/run-lookup.js';
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

  static args = runArgs;

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
    const json = this.jsonEnabled();
    const abort = new AbortController();
    const onSigint = (): void => abort.abort();
    process.once('SIGINT', onSigint);
    try {
      return await runLogs({
        ...runLookup(flags, args),
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
