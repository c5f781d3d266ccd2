import path from 'node:path';
import { Flags } from '@oclif/core';
import { DateTime } from 'luxon';
import { BaseCommand } from '../cli/base-command.js';
import { archiveArgs, awsFlags, s3Flags } from '../cli/flags.js';
import { configDir, packageRoot } from '../cli/paths.js';
import { ETL_TIME_MODES } from '../domain/contract.js';
import { UserError } from '../domain/errors.js';
import { DEFAULT_MIN_COVERAGE, DEFAULT_SAMPLE_SIZE } from '../domain/statistics.js';
import { verifyExitCode } from '../domain/verify.js';
import { renderVerifyProgress, renderVerifyResult } from '../output/verify.js';
// The service (and the AWS SDK behind it) loads only when the command runs: `--help` stays fast.
import type { VerifyResult } from '../services/verify.js';

export default class Verify extends BaseCommand {
  static summary =
    'Prove that the manifest covers the archive: a random sample looked up, with a confidence interval.';

  static description = `Draws events of the archive at random (every line of the selection equally likely), works out what
the back-fill must have written for each (bad lines, lines without fingerprint and expired items are
not written), looks the keys up in the manifest table and estimates the share that is there, with a
95% Wilson interval. Exit code 3 when the interval shows coverage under --min-coverage (and, with
--strict, when the sample does not prove it). With no --since/--until, the newest recorded run of
this archive and table gives the selection, the etlTime mode and each run's etlTime.`;

  static examples = [
    '<%= config.bin %> verify ./archive ./dynamodb.json',
    '<%= config.bin %> verify s3://my-bucket/enriched/archive/ ./dynamodb.json --run populator-20261201T213005 --report missing.jsonl',
    '<%= config.bin %> verify ./archive ./dynamodb.json --since 2017-01-01 --until 2017-02-01 --etl-time event --sample 10000 --json',
  ];

  static args = {
    ...archiveArgs,
  };

  static flags = {
    since: Flags.string({
      env: 'POPULATOR_SINCE',
      description:
        "First run to include (inclusive, UTC): YYYY-MM-dd or YYYY-MM-dd-HH-mm-ss. Default: the run's.",
    }),
    until: Flags.string({
      env: 'POPULATOR_UNTIL',
      description:
        "First run to leave out (exclusive, UTC): YYYY-MM-dd or YYYY-MM-dd-HH-mm-ss. Default: the run's.",
    }),
    run: Flags.string({
      env: 'POPULATOR_RUN',
      description:
        'The recorded run to verify (`populator runs` lists them). Default: the newest run of this archive and table, unless --since/--until are given.',
    }),
    sample: Flags.integer({
      min: 1,
      default: DEFAULT_SAMPLE_SIZE,
      env: 'POPULATOR_VERIFY_SAMPLE',
      description: `Events to look up that the job should have written (an effective size when lines are weighted). The default, ${DEFAULT_SAMPLE_SIZE}, is the smallest sample that proves the default --min-coverage when none is missing.`,
    }),
    seed: Flags.integer({
      env: 'POPULATOR_VERIFY_SEED',
      description:
        'Seed of the sample (the same seed draws the same sample). Default: a random one, printed.',
    }),
    'min-coverage': Flags.string({
      default: String(DEFAULT_MIN_COVERAGE),
      env: 'POPULATOR_MIN_COVERAGE',
      description: 'Required share of the expected events in the table, in (0, 1).',
    }),
    strict: Flags.boolean({
      default: false,
      env: 'POPULATOR_VERIFY_STRICT',
      description:
        'Exit 3 also when the sample does not prove --min-coverage (not only when it shows coverage below it).',
    }),
    'etl-time': Flags.option({
      options: ETL_TIME_MODES,
      env: 'POPULATOR_ETL_TIME',
      description: 'The etlTime mode the back-fill used. Default: the run\'s, else "run".',
    })(),
    'ttl-seconds': Flags.integer({
      min: 1,
      env: 'POPULATOR_TTL_SECONDS',
      description:
        "The back-fill's item lifetime (ttl = etlTime + this). Default: the run's, else 15552000 (180 days).",
    }),
    report: Flags.string({
      env: 'POPULATOR_VERIFY_REPORT',
      description:
        'Write every missing key (and every key found with another etlTime) to this file, as JSON lines.',
    }),
    consistent: Flags.boolean({
      default: false,
      env: 'POPULATOR_VERIFY_CONSISTENT',
      description: 'Strongly consistent reads (twice the read cost); default eventually consistent.',
    }),
    'max-object-bytes': Flags.integer({
      min: 1024,
      env: 'POPULATOR_VERIFY_MAX_OBJECT_BYTES',
      description:
        'Read at most this many bytes of each gzip file (it must be decompressed from its start): faster on big files, but lines past the cap cannot be drawn; the result says how much of the selection that leaves out.',
    }),
    concurrency: Flags.integer({
      min: 1,
      max: 256,
      default: 16,
      env: 'POPULATOR_VERIFY_CONCURRENCY',
      description: 'Archive reads in flight at once (S3 GETs or file reads).',
    }),
    readahead: Flags.integer({
      min: 0,
      default: 0,
      env: 'POPULATOR_VERIFY_READAHEAD',
      description:
        'Bytes read past each random offset of a plain file (fewer requests for long lines, more bytes).',
      hidden: true,
    }),
    ...awsFlags,
    ...s3Flags,
  };

  async run(): Promise<VerifyResult> {
    const { args, flags } = await this.parse(Verify);
    const minCoverage = Number(flags['min-coverage']);
    if (!(minCoverage > 0 && minCoverage < 1)) {
      throw new UserError(`--min-coverage ${flags['min-coverage']} is not a share between 0 and 1.`, {
        code: 'INVALID_FLAG',
        hint: 'Give it as a fraction, e.g. --min-coverage 0.999 for 99.9%.',
      });
    }
    const seed = flags.seed ?? Math.floor(Math.random() * 2 ** 31);
    const { verifyManifest } = await import('../services/verify.js');
    const { runRecordsDir } = await import('../services/run-records.js');
    const result = await this.followJob((io) =>
      verifyManifest({
        archive: args.archive,
        storageConfigPath: args['storage-config'],
        since: flags.since,
        until: flags.until,
        runName: flags.run,
        etlTime: flags['etl-time'],
        ttlSeconds: flags['ttl-seconds'],
        recordsDir: runRecordsDir(configDir(process.env)),
        sample: flags.sample,
        seed,
        minCoverage,
        consistentRead: flags.consistent,
        reportFile: flags.report,
        maxObjectBytes: flags['max-object-bytes'],
        readahead: flags.readahead,
        concurrency: flags.concurrency,
        region: flags.region,
        profile: flags.profile,
        dynamodbEndpoint: flags['dynamodb-endpoint'],
        s3Endpoint: flags['s3-endpoint'],
        bundledSchemasDir: path.join(packageRoot(), 'schemas', 'iglu'),
        cwd: process.cwd(),
        env: process.env,
        now: DateTime.utc(),
        log: io.log,
        onProgress: (p) => io.progressLine(renderVerifyProgress(p)),
        signal: io.signal,
      }),
    );
    if (!this.jsonEnabled()) this.log(renderVerifyResult(result));
    process.exitCode = verifyExitCode(result.coverage.verdict, flags.strict);
    return result;
  }
}
