import { Args, Flags, type Interfaces } from '@oclif/core';
import { DateTime } from 'luxon';
import { BaseCommand } from '../cli/base-command.js';
import {
  awsFlags,
  emrFlags,
  emrSubmitFlags,
  followFlags,
  importFlags,
  importRequestOf,
  placesOf,
  jobFlags,
  rangeFlags,
  s3Flags,
  submitRunFlags,
  tagsFromEnv,
} from '../cli/flags.js';
import { cacheDir, configDir, packageRoot } from '../cli/paths.js';
import { EXIT_CODES, UserError } from '../domain/errors.js';
import { importOutcomeRows, renderImportProgressLine } from '../output/import.js';
import { renderPlan } from '../output/plan.js';
import { renderSummary, renderUnreadableWarning } from '../output/summary.js';
// The service (and the AWS SDK behind it) loads only when the command runs: `--help` stays fast.
import type { SubmitCommandLine, SubmitOutcome } from '../services/submit.js';

export default class Submit extends BaseCommand {
  static summary = 'Back-fill the event manifest from an enriched archive.';

  static description = `Checks the inputs, prints the plan (runs, objects, bytes, estimated events and writes, duration at the
write rate, DynamoDB and EMR Serverless cost), then runs the Spark job that writes one manifest item per
unique (eventId, fingerprint) to the DynamoDB table of the storage config.

On EMR Serverless (the default once --application-id or --create-application is given) it uploads the jar
to <staging>/jars/ unless that exact jar is there, starts one job run and returns (--wait follows it to its
end); the job reads and writes with the execution role. The same submit twice finds the same job run; give
--name to start a second run of the same inputs.
--runner local runs the same jar on Spark here (Java 17 and Maven needed): by default every core, and up to
4 attempts per task (local[*,4]). The storage config's keys are used for DynamoDB only; the archive on S3 is
read with your own credentials (--profile, the environment, SSO, roles).
Re-running is safe: an item already present with the same etlTime is counted as "already present" (the put
replaces it with the same key and etlTime, and the ttl of this run's --ttl-seconds); one present with another
etlTime is counted as "conflicting" (a cross-batch duplicate already recorded, or the live shredder's) and left as it is.
A run that failed or was stopped is finished with --resume: only what its progress records do not show as written
is sent again. --skip-present looks keys up before writing them, for ranges written before without records.`;

  static examples = [
    '<%= config.bin %> submit s3://acme-archive/enriched/ dynamodb.json resolver.json --application-id 00f1abc --execution-role-arn arn:aws:iam::111122223333:role/populator --staging s3://acme-ops/populator/ --since 2021-01-01 --wait',
    '<%= config.bin %> submit s3://acme-archive/enriched/ dynamodb.json resolver.json --application-id 00f1abc --execution-role-arn arn:aws:iam::111122223333:role/populator --staging s3://acme-ops/populator/ --dry-run',
    '<%= config.bin %> submit ./archive ./dynamodb.json ./resolver.json --runner local',
    '<%= config.bin %> submit --resume --wait',
    '<%= config.bin %> submit file:///data/enriched ./dynamodb.json ./resolver.json --runner local --since 2017-01-01 --until 2017-02-01 --json',
  ];

  static args = {
    archive: Args.string({
      description:
        "Enriched archive holding run=... folders: s3://bucket/prefix/ (s3a:// too), or for --runner local a local folder or file:// URI. With --resume: the run's own, unless given.",
    }),
    'storage-config': Args.string({
      description:
        "Self-describing DynamoDB storage config (amazon_dynamodb_config 1-0-0, 1-0-1 or 2-0-0). With --resume: the run's own, unless given.",
    }),
    resolver: Args.string({
      description:
        "Iglu resolver config (resolver-config 1-0-0 .. 1-0-3). With --resume: the run's own, unless given.",
    }),
  };

  static flags = {
    ...emrFlags,
    ...emrSubmitFlags,
    ...rangeFlags,
    ...jobFlags,
    ...awsFlags,
    ...s3Flags,
    jar: Flags.string({
      env: 'POPULATOR_JAR',
      description:
        'Use this job jar instead of building spark/: a local file (uploaded to <staging>/jars/ for EMR Serverless) or an s3:// URI (used as it is).',
    }),
    ...submitRunFlags,
    ...importFlags,
    ...followFlags,
    resume: Flags.boolean({
      default: false,
      env: 'POPULATOR_RESUME',
      description:
        'Go on with a run that failed or was stopped (the newest; --run picks another): the same inputs (its own, unless given: others are refused), and only what its progress records do not show as written is sent again. A new run, with a new name, takes over its counters.',
    }),
    run: Flags.string({
      env: 'POPULATOR_RUN',
      description:
        'With --resume: the run to resume, by name (`populator runs` lists them); default the newest.',
    }),
  };

  async run(): Promise<SubmitOutcome> {
    const { args, flags, metadata } = await this.parse(Submit);
    const { submitCommandLine } = await import('../services/submit.js');
    const { runRecordsDir } = await import('../services/run-records.js');
    const fromEnv = this.flagsFromEnv(Submit.flags, flags);
    if (!flags.resume && flags.run !== undefined && fromEnv['--run'] === undefined) {
      this.usageError('--run picks the run to resume: give --resume too.');
    }
    const commandLine = commandLineOf(args, flags, (name) => metadata.flags[name]?.setFromDefault !== true);
    let keptNote: string | undefined;
    const leaveRunning = flags.runner !== 'local' && !flags['cancel-on-interrupt'];
    const result = await this.followJob(
      (io) =>
        submitCommandLine(
          commandLine,
          {
            dryRun: flags['dry-run'],
            wait: flags.wait,
            cancelOnInterrupt: flags['cancel-on-interrupt'],
            master: flags.master,
            fromEnv,
            projectRoot: packageRoot(),
            cacheDir: cacheDir(process.env),
            recordsDir: runRecordsDir(configDir(process.env)),
            cwd: process.cwd(),
            env: process.env,
            now: DateTime.utc(),
            onImport: (view) => this.note(renderImportProgressLine(view)),
            onPlan: (plan) => {
              if (!this.jsonEnabled()) this.log(`${renderPlan(plan)}\n`);
              if (keptNote !== undefined) this.note(keptNote);
              for (const w of plan.warnings) this.note(`Warning: ${w}`);
            },
            ...io,
          },
          (runName, kept) => {
            if (kept.length > 0)
              keptNote = `Kept from run ${runName}: ${kept.join(', ')} (give the flag to change it).`;
          },
        ).catch((e: unknown) => {
          if (e instanceof UserError && e.code === 'USAGE') this.usageError(e.message);
          throw e;
        }),
      leaveRunning
        ? 'Leaving the job run running; press Ctrl-C again to quit at once...'
        : 'Stopping (press Ctrl-C again to quit at once)...',
    );
    this.report(result);
    return result;
  }

  /** The outcome on stdout (unless --json) and what to do next on stderr. */
  private report(result: SubmitOutcome): void {
    for (const w of result.warnings) this.note(`Warning: ${w}`);
    switch (result.status) {
      case 'PLANNED':
        this.note('Dry run: nothing was uploaded, started or recorded.');
        break;
      case 'SUBMITTED':
      case 'RUNNING': {
        const r = result;
        if (!this.jsonEnabled()) {
          this.log(`run          ${r.runName}`);
          this.log(
            `job run      ${r.emr.jobRunId} on application ${r.emr.applicationId} (${r.jobRun.state})`,
          );
          this.log(`report       ${r.output}`);
          this.log(`driver logs  ${r.emr.logUri}`);
        }
        this.note(
          r.status === 'RUNNING'
            ? `The job run keeps running. Follow it: populator status --watch --run ${r.runName}; stop it: populator cancel --run ${r.runName}`
            : `Follow it: populator status --watch (or submit with --wait); stop it: populator cancel`,
        );
        if (r.status === 'RUNNING') process.exitCode = EXIT_CODES.notFinal;
        break;
      }
      case 'SUCCEEDED': {
        const r = result;
        if (!this.jsonEnabled()) {
          this.log(
            renderSummary(r.summary, [
              ['run', r.runName],
              ...(r.emr
                ? ([['job run', `${r.emr.jobRunId} on application ${r.emr.applicationId}`]] as [
                    string,
                    string,
                  ][])
                : []),
              ...(r.billed
                ? ([
                    [
                      'cost (EMR)',
                      `$${r.billed.usd.toFixed(2)} (${r.billed.vCpuHours.toFixed(2)} vCPU-h, ${r.billed.memoryGbHours.toFixed(2)} GB-h billed)`,
                    ],
                  ] as [string, string][])
                : []),
              ...(r.import ? importOutcomeRows(r.import) : []),
              ['report', r.output],
              ['bad rows', r.badRows],
            ]),
          );
        }
        // On stderr, also with --json: the job succeeded (exit 0), but these runs are not complete.
        for (const line of renderUnreadableWarning(r.unreadableFiles)) this.note(line);
        break;
      }
    }
  }
}

type SubmitFlags = Interfaces.InferredFlags<typeof Submit.flags>;
type SubmitArgs = Interfaces.InferredArgs<typeof Submit.args>;

/** The command line as given: a flag left at its default is not "given" (a resume takes the run's own value instead). */
function commandLineOf(
  args: SubmitArgs,
  flags: SubmitFlags,
  isGiven: (name: string) => boolean,
): SubmitCommandLine {
  const given = <T>(name: string, value: T): T | undefined => (isGiven(name) ? value : undefined);
  return {
    archive: args.archive,
    storageConfig: args['storage-config'],
    resolver: args.resolver,
    ...placesOf(flags),
    etlTime: given('etl-time', flags['etl-time']),
    ttlSeconds: given('ttl-seconds', flags['ttl-seconds']),
    writeExpired: given('write-expired', flags['write-expired']),
    settings: {
      writeRate: flags['write-rate'],
      maxInFlight: flags['max-in-flight'],
      executors: flags.executors,
      executorCpu: flags['executor-cpu'],
      executorMemory: flags['executor-memory'],
      driverCpu: flags['driver-cpu'],
      driverMemory: flags['driver-memory'],
    },
    skipPresent: flags['skip-present'],
    import: importRequestOf(flags),
    runner: flags.runner,
    applicationId: flags['application-id'],
    createApplication: flags['create-application'],
    releaseLabel: flags['release-label'],
    executionRoleArn: flags['execution-role-arn'],
    name: flags.name,
    tags: flags.tag ?? tagsFromEnv(process.env),
    timeoutMinutes: flags.timeout,
    resume: flags.resume,
    run: flags.run,
  };
}
