import { Flags } from '@oclif/core';
import { DateTime } from 'luxon';
import { BaseCommand } from '../cli/base-command.js';
import { emrFlags, jobFlags } from '../cli/flags.js';
import { cacheDir, packageRoot } from '../cli/paths.js';
import { DEFAULT_LOCAL_DRIVER_MEMORY } from '../domain/emr-sizing.js';
import { UserError } from '../domain/errors.js';
import { verifyExitCode } from '../domain/verify.js';
import { importOutcomeRows, importPlanRows, renderImportProgressLine } from '../output/import.js';
import { renderSummary, renderUnreadableWarning } from '../output/summary.js';
import { renderVerifyProgress, renderVerifyResult } from '../output/verify.js';
// The service (and the AWS SDK behind it) loads only when the command runs: `--help` stays fast.
import type { DemoResult, DemoSubmit, StartDemoDynamo } from '../services/demo.js';

export default class Demo extends BaseCommand {
  static summary = 'Run the whole back-fill offline on a generated archive.';

  static description = `Generates a realistic enriched archive (several run folders; plain, .gz and .gzip files; duplicates
within and across runs; events without a fingerprint; malformed lines), starts an embedded DynamoDB
(dynalite) on a free port, creates the manifest table, runs the real Spark job on local Spark,
prints its report and the table's item count, checks the table against what the archive
prescribes, and ends with \`populator verify\` on the table (a random sample looked up, coverage with
a 95% interval). Everything it starts is stopped at the end. Needs Java 17 and Maven, nothing else.
(In the repository, \`npm run demo:emr\` runs the same flow against the EMR Serverless emulator and
moto's S3 server, and \`npm run demo:import\` creates the table with \`submit --import\` on moto.)`;

  static examples = [
    '<%= config.bin %> demo',
    '<%= config.bin %> demo --events 100000 --etl-time event',
    '<%= config.bin %> demo --keep --json',
  ];

  static flags = {
    events: Flags.integer({
      default: 5000,
      min: 10,
      max: 10_000_000,
      env: 'POPULATOR_DEMO_EVENTS',
      description: 'Lines in the generated archive.',
    }),
    seed: Flags.integer({
      default: 42,
      env: 'POPULATOR_DEMO_SEED',
      description: 'Seed of the generator (same seed, same archive).',
    }),
    keep: Flags.boolean({
      default: false,
      description: 'Keep the archive, configs and report (printed at the end).',
    }),
    dir: Flags.string({ description: 'Work folder (default: a new temporary folder).' }),
    'etl-time': jobFlags['etl-time'],
    'write-rate': jobFlags['write-rate'],
    'driver-memory': emrFlags['driver-memory'],
    master: jobFlags.master,
  };

  /**
   * How the demo submits: local Spark. The repository's \`npm run demo:emr\` (scripts/demo-emr.ts)
   * overrides it with the EMR Serverless emulator's submit, which the package does not ship.
   */
  protected demoSubmit(): DemoSubmit | undefined {
    return undefined;
  }

  /**
   * Where the demo's table lives: dynalite, the table created by the demo. The repository's
   * \`npm run demo:import\` overrides it with moto's server, where \`submit --import\` creates it.
   */
  protected demoDynamo(): StartDemoDynamo | undefined {
    return undefined;
  }

  async run(): Promise<DemoResult> {
    const { flags } = await this.parse(Demo);
    const { runDemo } = await import('../services/demo.js');
    const result = await this.followJob((io) =>
      runDemo({
        submitJob: this.demoSubmit(),
        startDynamo: this.demoDynamo(),
        events: flags.events,
        seed: flags.seed,
        etlTime: flags['etl-time'],
        keep: flags.keep,
        dir: flags.dir,
        writeRate: flags['write-rate'],
        master: flags.master,
        driverMemory: flags['driver-memory'] ?? DEFAULT_LOCAL_DRIVER_MEMORY,
        projectRoot: packageRoot(),
        cacheDir: cacheDir(process.env),
        env: process.env,
        now: DateTime.utc(),
        ...io,
        onVerifyProgress: (p) => io.progressLine(renderVerifyProgress(p)),
        onImport: (view) => this.note(renderImportProgressLine(view)),
      }),
    );
    if (!this.jsonEnabled()) {
      this.log('');
      this.log(renderSummary(result.submit.summary, demoRows(result)));
      for (const m of result.mismatches) this.log(`  mismatch: ${m}`);
      this.log('');
      this.log('populator verify on the table:');
      this.log(renderVerifyResult(result.verify));
    }
    for (const line of renderUnreadableWarning(result.submit.unreadableFiles)) this.note(line);
    if (!result.tableMatchesArchive) {
      throw new UserError('The demo table does not match what the archive prescribes.', {
        code: 'DEMO_MISMATCH',
        hint: 'This is a bug in populator: please report it with the mismatches above.',
        exitCode: 1,
      });
    }
    process.exitCode = verifyExitCode(result.verify.coverage.verdict, false);
    return result;
  }
}

type Row = [string, string];

/** The demo's rows below the job's report: the job run or the import, the table, the check. */
function demoRows(r: DemoResult): Row[] {
  const s = r.submit;
  const rows: Row[] = [];
  if (s.emr) rows.push(['job run', `${s.emr.jobRunId} on application ${s.emr.applicationId} (emulated)`]);
  if (s.billed) {
    rows.push([
      'cost (if on AWS)',
      `$${s.billed.usd.toFixed(2)} (${s.billed.vCpuHours.toFixed(2)} vCPU-h, ${s.billed.memoryGbHours.toFixed(2)} GB-h)`,
    ]);
  }
  // --import: what the plan said the import would be, then what it was.
  if (s.plan.import) rows.push(...importPlanRows(s.plan.import).map(([k, v]): Row => [`plan: ${k}`, v]));
  if (s.import) rows.push(...importOutcomeRows(s.import));
  rows.push(['table items', `${r.tableItemCount.toLocaleString('en-US')} in ${r.table}`]);
  rows.push([
    'matches the archive',
    r.tableMatchesArchive ? 'yes: every key, etlTime and ttl as the archive prescribes' : 'NO',
  ]);
  if (r.dir) rows.push(['kept in', r.dir]);
  return rows;
}
