import { Args, Flags } from '@oclif/core';
import { BaseCommand } from '../cli/base-command.js';
import {
  archiveArgs,
  awsFlags,
  emrFlags,
  emrSubmitFlags,
  followFlags,
  jobFlags,
  rangeFlags,
  s3Flags,
  submitRunFlags,
  importFlags,
  importRequestOf,
  placesOf,
  tagsFromEnv,
} from '../cli/flags.js';
import { cacheDir, packageRoot } from '../cli/paths.js';
import { checksRefuse, type Check, type CheckCounts } from '../domain/checks.js';
import { EXIT_CODES } from '../domain/errors.js';
import { renderChecklist } from '../output/checklist.js';

/** The `--json` document: every check, the counts and the verdict. */
export interface ValidateResult {
  status: 'ok' | 'failed';
  strict: boolean;
  counts: CheckCounts;
  checks: Check[];
}

export default class Validate extends BaseCommand {
  static summary = 'Check every input before anything starts or spends: all problems at once.';

  static description = `Runs every check that can fail before a job starts: the storage config and the resolver, every
flag's value, the local toolchain, the AWS credentials, the archive's run folders, the manifest table,
the staging prefix, and with --runner emr-serverless the application, the account's vCPU quota and the
execution role. Prints a checklist (or with --json one entry per check) and exits 2 when a check failed
(with --strict also on warnings). submit runs the same checks first and starts nothing when one fails.
The only thing written is a small marker object in an s3:// staging prefix, to prove it is writable.`;

  static examples = [
    '<%= config.bin %> validate ./archive ./dynamodb.json ./resolver.json',
    '<%= config.bin %> validate s3://my-bucket/enriched/archive/ ./dynamodb.json ./resolver.json --runner emr-serverless --application-id 00fabcdef1234567 --execution-role-arn arn:aws:iam::123456789012:role/populator-job --staging s3://my-bucket/populator/',
    '<%= config.bin %> validate ./archive ./dynamodb.json ./resolver.json --offline --json',
  ];

  static args = {
    ...archiveArgs,
    resolver: Args.string({
      required: true,
      description: 'Iglu resolver config (resolver-config 1-0-0 .. 1-0-3).',
    }),
  };

  // Every flag submit takes, so that the same command line can be checked, then submitted.
  static flags = {
    ...rangeFlags,
    ...jobFlags,
    ...emrFlags,
    ...emrSubmitFlags,
    ...submitRunFlags,
    ...importFlags,
    ...followFlags,
    ...awsFlags,
    ...s3Flags,
    jar: Flags.string({
      env: 'POPULATOR_JAR',
      description: 'The job jar submit would use instead of building spark/.',
    }),
    offline: Flags.boolean({
      default: false,
      env: 'POPULATOR_OFFLINE',
      description:
        'Only the checks that need no network: files, flags, toolchain, local paths and a local archive.',
    }),
    strict: Flags.boolean({
      default: false,
      env: 'POPULATOR_STRICT',
      description: 'Exit 2 on warnings too.',
    }),
  };

  async run(): Promise<ValidateResult> {
    const { args, flags } = await this.parse(Validate);
    const { validateInputs } = await import('../services/validate.js');
    const report = await validateInputs({
      archive: args.archive,
      storageConfigPath: args['storage-config'],
      resolverPath: args.resolver,
      ...placesOf(flags),
      runner: flags.runner,
      applicationId: flags['application-id'],
      ...(flags['create-application'] ? { createApplication: { releaseLabel: flags['release-label'] } } : {}),
      executionRoleArn: flags['execution-role-arn'],
      submitFlags: {
        applicationId: flags['application-id'],
        createApplication: flags['create-application'],
        releaseLabel: flags['release-label'],
        name: flags.name,
        tags: flags.tag ?? tagsFromEnv(process.env),
        timeoutMinutes: flags.timeout,
      },
      skipPresent: flags['skip-present'],
      import: importRequestOf(flags),
      // --dry-run: not even the staging marker is written.
      writes: !flags['dry-run'],
      sizing: {
        executors: flags.executors,
        executorCpu: flags['executor-cpu'],
        executorMemory: flags['executor-memory'],
        driverCpu: flags['driver-cpu'],
        driverMemory: flags['driver-memory'],
      },
      writeRate: flags['write-rate'],
      writeExpired: flags['write-expired'],
      offline: flags.offline,
      fromEnv: this.flagsFromEnv(Validate.flags, flags),
      projectRoot: packageRoot(),
      cacheDir: cacheDir(process.env),
      cwd: process.cwd(),
      env: process.env,
    });
    const refused = checksRefuse(report.checks, flags.strict);
    process.exitCode = refused ? EXIT_CODES.usage : EXIT_CODES.ok;
    if (!this.jsonEnabled()) {
      const colour = Boolean(process.stdout.isTTY) && process.env.NO_COLOR === undefined;
      this.log(renderChecklist(report.checks, report.counts, { colour, strict: flags.strict }));
    }
    return {
      status: refused ? 'failed' : 'ok',
      strict: flags.strict,
      counts: report.counts,
      checks: report.checks,
    };
  }
}
