import { Args, Flags } from '@oclif/core';
import { DateTime } from 'luxon';
import { BaseCommand } from '../cli/base-command.js';
import { awsFlags, jobFlags, s3Flags } from '../cli/flags.js';
import { cacheDir, packageRoot } from '../cli/paths.js';
import { renderSummary, renderUnreadableWarning } from '../output/summary.js';
// The service (and the AWS SDK behind it) loads only when the command runs: `--help` stays fast.
import type { SubmitResult } from '../services/submit.js';

export default class Submit extends BaseCommand {
  static summary = 'Back-fill the event manifest from an enriched archive.';

  static description = `Checks the inputs, then runs the Spark job that reads every run folder of the archive and writes one
manifest item per unique (eventId, fingerprint) to the DynamoDB table of the storage config.
The local runner (--runner local) runs the same jar on Spark local[*] on this machine: no Spark install needed,
Java 17 and Maven are. Re-running is safe: items already present are counted, never changed.`;

  static examples = [
    '<%= config.bin %> submit ./archive ./dynamodb.json ./resolver.json --runner local',
    '<%= config.bin %> submit s3://my-bucket/enriched/archive/ ./dynamodb.json ./resolver.json --runner local --profile analytics',
    '<%= config.bin %> submit file:///data/enriched ./dynamodb.json ./resolver.json --runner local --since 2017-01-01 --until 2017-02-01',
    '<%= config.bin %> submit ./archive ./dynamodb.json ./resolver.json --runner local --etl-time event --write-rate 500 --json',
  ];

  static args = {
    archive: Args.string({
      required: true,
      description:
        'Enriched archive holding run=... folders: local folder, file:// URI, or s3://bucket/prefix/ (s3a:// too).',
    }),
    'storage-config': Args.string({
      required: true,
      description: 'Self-describing DynamoDB storage config (amazon_dynamodb_config 1-0-0, 1-0-1 or 2-0-0).',
    }),
    resolver: Args.string({
      required: true,
      description: 'Iglu resolver config (resolver-config 1-0-0 .. 1-0-3).',
    }),
  };

  static flags = {
    runner: Flags.option({
      options: ['local'] as const,
      default: 'local' as const,
      env: 'POPULATOR_RUNNER',
      description: 'Where the job runs: "local" = Spark local[*] on this machine.',
    })(),
    since: Flags.string({
      env: 'POPULATOR_SINCE',
      description: 'First run to include (inclusive, UTC): YYYY-MM-dd or YYYY-MM-dd-HH-mm-ss.',
    }),
    until: Flags.string({
      env: 'POPULATOR_UNTIL',
      description: 'First run to leave out (exclusive, UTC): YYYY-MM-dd or YYYY-MM-dd-HH-mm-ss.',
    }),
    ...jobFlags,
    ...awsFlags,
    ...s3Flags,
    staging: Flags.string({
      env: 'POPULATOR_STAGING',
      description:
        "Folder for the job's report (summary.json, progress.json) and bad rows. Default: .populator/runs/<run name>.",
    }),
    'log-path': Flags.string({
      env: 'POPULATOR_LOG_PATH',
      description: 'Folder for the Spark driver log. Default: the staging folder.',
    }),
    jar: Flags.string({ env: 'POPULATOR_JAR', description: 'Use this job jar instead of building spark/.' }),
  };

  async run(): Promise<SubmitResult> {
    const { args, flags } = await this.parse(Submit);
    const { submitLocal } = await import('../services/submit.js');
    const result = await this.followJob((io) =>
      submitLocal({
        archive: args.archive,
        storageConfigPath: args['storage-config'],
        resolverPath: args.resolver,
        since: flags.since,
        until: flags.until,
        etlTime: flags['etl-time'],
        writeRate: flags['write-rate'],
        maxInFlight: flags['max-in-flight'],
        ttlSeconds: flags['ttl-seconds'],
        writeExpired: flags['write-expired'],
        region: flags.region,
        profile: flags.profile,
        dynamodbEndpoint: flags['dynamodb-endpoint'],
        s3Endpoint: flags['s3-endpoint'],
        staging: flags.staging,
        logPath: flags['log-path'],
        jar: flags.jar,
        master: flags.master,
        driverMemory: flags['driver-memory'],
        projectRoot: packageRoot(),
        cacheDir: cacheDir(process.env),
        cwd: process.cwd(),
        env: process.env,
        now: DateTime.utc(),
        ...io,
      }),
    );
    for (const w of result.warnings) this.note(`Warning: ${w}`);
    if (!this.jsonEnabled()) {
      this.log(
        renderSummary(result.summary, [
          ['report', result.staging],
          ['bad rows', result.badRows],
        ]),
      );
    }
    // On stderr, also with --json: the job succeeded (exit 0), but these runs are not complete.
    for (const line of renderUnreadableWarning(result.unreadableFiles)) this.note(line);
    return result;
  }
}
