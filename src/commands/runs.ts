import { BaseCommand } from '../cli/base-command.js';
import { configDir } from '../cli/paths.js';
import type { RunsResult } from '../services/runs.js';

export default class Runs extends BaseCommand {
  static summary = 'List the runs submitted from here.';

  static description = `Lists the run records in $XDG_CONFIG_HOME/populator/runs/ (default ~/.config/populator/runs/), newest
first: name, runner, state now, when, region and table, the EMR Serverless job run, the selection. \`status\`, \`cancel\`
and \`logs\` take one of these names with --run (default: the newest).`;

  static examples = ['<%= config.bin %> runs', '<%= config.bin %> runs --json'];

  async run(): Promise<RunsResult> {
    await this.parse(Runs);
    const { listRuns } = await import('../services/runs.js');
    const { runRecordsDir } = await import('../services/run-records.js');
    const dir = runRecordsDir(configDir(process.env));
    const result = await listRuns(dir, { env: process.env });
    if (!this.jsonEnabled()) {
      if (result.runs.length === 0) this.note(`No run was submitted from here yet (${dir}).`);
      const rows = result.runs.map((r) => [
        r.runName,
        r.runner,
        r.state,
        r.createdAt,
        `${r.table} (${r.region})`,
        r.jobRunId ?? '-',
        r.since || r.until ? `${r.since ?? '..'} .. ${r.until ?? ''}` : 'all runs',
        r.resumedFrom ?? '-',
      ]);
      if (rows.length > 0) {
        const head = ['RUN', 'RUNNER', 'STATE', 'SUBMITTED', 'TABLE', 'JOB RUN', 'SELECTION', 'RESUMES'];
        const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
        for (const r of [head, ...rows])
          this.log(
            r
              .map((c, i) => c.padEnd(widths[i] ?? 0))
              .join('  ')
              .trimEnd(),
          );
      }
    }
    for (const b of result.broken) this.note(`Warning: ${b.file} is not a run record: ${b.problem}`);
    return result;
  }
}
