/** Flags shared by the commands that run the job (submit, demo). Every flag has an env-var twin. */
import { Args, Flags } from '@oclif/core';
import { DEFAULT_TTL_SECONDS, ETL_TIME_MODES } from '../domain/contract.js';
import { DEFAULT_RELEASE_LABEL } from '../domain/emr.js';
import { DEFAULT_EMR_SIZING, DEFAULT_LOCAL_DRIVER_MEMORY, EMR_WORKER_GRID } from '../domain/emr-sizing.js';
import { RUNNERS } from '../domain/run-record.js';
import { DEFAULT_LOCAL_MASTER } from '../domain/spark-master.js';
import { DEFAULT_SPARK_FAMILY, SPARK_FAMILIES, SPARK_FAMILY } from '../domain/spark-family.js';
import type { InputPlaces } from '../domain/inputs.js';

/** The archive and the storage config, as `validate` and `verify` take them (submit words its own for --resume). */
export const archiveArgs = {
  archive: Args.string({
    required: true,
    description:
      'Enriched archive holding run=... folders: local folder, file:// URI, or s3://bucket/prefix/.',
  }),
  'storage-config': Args.string({
    required: true,
    description: 'Self-describing DynamoDB storage config (amazon_dynamodb_config 1-0-0, 1-0-1 or 2-0-0).',
  }),
};

/** The selection of run folders (submit, validate). */
export const rangeFlags = {
  since: Flags.string({
    env: 'POPULATOR_SINCE',
    description: 'First run to include (inclusive, UTC): YYYY-MM-dd or YYYY-MM-dd-HH-mm-ss.',
  }),
  until: Flags.string({
    env: 'POPULATOR_UNTIL',
    description: 'First run to leave out (exclusive, UTC): YYYY-MM-dd or YYYY-MM-dd-HH-mm-ss.',
  }),
};

export const jobFlags = {
  'etl-time': Flags.option({
    options: ETL_TIME_MODES,
    default: 'run' as const,
    env: 'POPULATOR_ETL_TIME',
    description:
      'Which etlTime to write: "run" = the earliest etl_tstamp of the run folder (RDB Shredder R33+ / Transformer), "event" = each event\'s own etl_tstamp (shredders <= R32).',
  })(),
  'write-rate': Flags.integer({
    min: 1,
    env: 'POPULATOR_WRITE_RATE',
    description:
      "Write budget for the whole job in WCU/s. Default: 80% of the table's provisioned WCU, or for on-demand tables 1000 (80% of the table's maximum write throughput when that is lower).",
  }),
  'max-in-flight': Flags.integer({
    min: 1,
    max: 1024,
    env: 'POPULATOR_MAX_IN_FLIGHT',
    description:
      'Starting window of conditional puts in flight per writer task (default 32). --write-rate paces the writes: the window grows up to 8x this (at most 512) when DynamoDB answers slowly and shrinks back on throttling; 1 keeps one put at a time.',
  }),
  'ttl-seconds': Flags.integer({
    min: 1,
    default: DEFAULT_TTL_SECONDS,
    env: 'POPULATOR_TTL_SECONDS',
    description:
      "Item lifetime: ttl = etlTime + this (the shredder's default, 180 days). Items already in the table with the same etlTime are rewritten with it too; a value other than the shredder's is warned about.",
  }),
  'write-expired': Flags.boolean({
    default: false,
    env: 'POPULATOR_WRITE_EXPIRED',
    description:
      'Also write items whose ttl is already past (by default they are skipped when TTL is enabled on the table).',
  }),
  spark: Flags.string({
    options: [...SPARK_FAMILIES],
    env: 'POPULATOR_SPARK',
    description: `The Spark family to run: 3.5 (Scala 2.12; EMR emr-7.x) or 4.0 (Scala 2.13; EMR emr-spark-8.x). On EMR Serverless the application's release picks it (and --create-application uses ${SPARK_FAMILY['4.0'].defaultReleaseLabel} for 4.0); the local runner runs ${DEFAULT_SPARK_FAMILY} unless told, or a --jar's own family.`,
  }),
  master: Flags.string({
    default: DEFAULT_LOCAL_MASTER,
    env: 'POPULATOR_SPARK_MASTER',
    description: 'Spark master for the local runner (default: every core, up to 4 attempts per task).',
    hidden: true,
  }),
};

export const awsFlags = {
  profile: Flags.string({
    env: 'AWS_PROFILE',
    description:
      'AWS profile: for S3 always, for DynamoDB unless the storage config has its own keys (those are for DynamoDB only).',
  }),
  region: Flags.string({
    env: 'POPULATOR_REGION',
    description: 'AWS region of the table (default: awsRegion of the storage config).',
  }),
  'dynamodb-endpoint': Flags.string({
    env: 'AWS_ENDPOINT_URL_DYNAMODB',
    description: 'DynamoDB endpoint override (e.g. a local stand-in); AWS_ENDPOINT_URL applies too.',
  }),
};

/** Flags for commands that read the archive from S3 (submit). */
export const s3Flags = {
  's3-endpoint': Flags.string({
    env: 'AWS_ENDPOINT_URL_S3',
    description:
      'S3 endpoint override for an s3:// archive (e.g. a local emulator; path-style requests); AWS_ENDPOINT_URL applies too.',
  }),
};

const CPUS = EMR_WORKER_GRID.map((r) => r.cpu).join(', ');

/**
 * The runner, its EMR Serverless settings, staging and sizing: shared by the commands that submit
 * or check a run, so that each flag has one definition. No `--runner` default: submit picks
 * EMR Serverless when an application is given and says which flag is missing otherwise.
 */
export const emrFlags = {
  runner: Flags.option({
    options: RUNNERS,
    env: 'POPULATOR_RUNNER',
    description:
      'Where the job runs: "emr-serverless" (the default when --application-id or --create-application is given) or "local" (Spark local[*,4] on this machine: every core, up to 4 attempts per task).',
  })(),
  'application-id': Flags.string({
    env: 'POPULATOR_APPLICATION_ID',
    description: 'EMR Serverless application to run the job on (makes emr-serverless the runner).',
  }),
  'execution-role-arn': Flags.string({
    env: 'POPULATOR_EXECUTION_ROLE_ARN',
    description:
      'IAM role the EMR Serverless job runs as: it reads the archive, writes the table and the staging folder (`populator iam-policy` prints what it needs).',
  }),
  staging: Flags.string({
    env: 'POPULATOR_STAGING',
    description:
      "Staging root: an s3:// prefix (EMR Serverless) or a local folder (local runner, default .populator). A run's report (summary.json, progress.json) and bad rows go to <staging>/runs/<run name>/, the job jar to <staging>/jars/.",
  }),
  'log-path': Flags.string({
    env: 'POPULATOR_LOG_PATH',
    description:
      "Spark driver logs: an s3:// prefix for EMR Serverless (its log URI; default <staging>/logs/), or a local folder (<log-path>/<run name>/driver.log; default the run's folder).",
  }),
  executors: Flags.integer({
    env: 'POPULATOR_EXECUTORS',
    description: `Executors, pinned for the whole job (EMR Serverless; default ${DEFAULT_EMR_SIZING.executors}).`,
  }),
  'executor-cpu': Flags.integer({
    env: 'POPULATOR_EXECUTOR_CPU',
    description: `vCPUs per executor: ${CPUS} (EMR Serverless; default ${DEFAULT_EMR_SIZING.executorCpu}).`,
  }),
  'executor-memory': Flags.string({
    env: 'POPULATOR_EXECUTOR_MEMORY',
    description: `Memory per executor, Spark syntax (EMR Serverless; default ${DEFAULT_EMR_SIZING.executorMemory}); with Spark's 10% overhead it must fit the worker grid for --executor-cpu.`,
  }),
  'driver-cpu': Flags.integer({
    env: 'POPULATOR_DRIVER_CPU',
    description: `vCPUs of the driver: ${CPUS} (EMR Serverless; default ${DEFAULT_EMR_SIZING.driverCpu}).`,
  }),
  'driver-memory': Flags.string({
    env: 'POPULATOR_DRIVER_MEMORY',
    description: `Memory of the driver, Spark syntax: the local Spark JVM's heap (default ${DEFAULT_LOCAL_DRIVER_MEMORY}) or the EMR Serverless driver's (default ${DEFAULT_EMR_SIZING.driverMemory}).`,
  }),
};

/** How `submit` starts and follows an EMR Serverless job run. */
export const emrSubmitFlags = {
  'create-application': Flags.boolean({
    default: false,
    env: 'POPULATOR_CREATE_APPLICATION',
    description: `Create an EMR Serverless application for the job (${DEFAULT_RELEASE_LABEL} or --release-label, x86_64, auto-stop after 15 idle minutes) and print its id to reuse with --application-id.`,
  }),
  'release-label': Flags.string({
    env: 'POPULATOR_RELEASE_LABEL',
    description: `Release label of the application --create-application makes: emr-7.x (Spark 3.5) or emr-spark-8.x (Spark 4.0); default ${DEFAULT_RELEASE_LABEL}, or ${SPARK_FAMILY['4.0'].defaultReleaseLabel} with --spark 4.0.`,
  }),
  name: Flags.string({
    env: 'POPULATOR_NAME',
    description:
      'Name of the run (its folder and the job run). Default: derived from the inputs, so the same submit finds the same job run; give another name to start a second run of the same inputs.',
  }),
  tag: Flags.string({
    multiple: true,
    description:
      'Tag the job run: --tag KEY=VALUE, once per tag (POPULATOR_TAGS=k=v,k2=v2 when no --tag is given).',
  }),
  timeout: Flags.integer({
    min: 1,
    env: 'POPULATOR_TIMEOUT',
    description:
      'Minutes the job run may take before EMR Serverless cancels it (5 to 10080; the service default is 720).',
  }),
};

/** How a submit runs: the plan only, following it, looking keys up first (validate takes them too). */
export const submitRunFlags = {
  'dry-run': Flags.boolean({
    default: false,
    env: 'POPULATOR_DRY_RUN',
    description: 'Print the plan and stop: no write request to any service, no run recorded.',
  }),
  wait: Flags.boolean({
    default: false,
    env: 'POPULATOR_WAIT',
    description:
      'EMR Serverless: follow the job run to its end with a progress bar, then print its report and cost (the local runner always waits). Ctrl-C leaves it running.',
  }),
  'skip-present': Flags.boolean({
    default: false,
    env: 'POPULATOR_SKIP_PRESENT',
    description:
      "Look every key up first (BatchGetItem, eventually consistent: about a tenth of a write's price) and write only those not in the table; found ones are counted as a put would count them and left as they are (their ttl too). For ranges back-filled before without records, or tables the live shredder already fills; the plan shows the trade-off in dollars.",
  }),
};

/** `submit --import` (validate takes them too): a new table created by DynamoDB's import from S3. */
export const importFlags = {
  import: Flags.boolean({
    default: false,
    env: 'POPULATOR_IMPORT',
    description:
      "Create the table (which must not exist yet) by DynamoDB's import from S3 instead of conditional puts: the job writes the deduplicated items as gzip DynamoDB JSON under <staging>/runs/<run>/import/ (an s3:// --staging, with either runner), then ImportTable creates the table, populator follows it and turns TTL on for ttl. About $0.15 per GB of items (~$0.03 per million), no write capacity. Implies --wait.",
  }),
  'billing-mode': Flags.string({
    env: 'POPULATOR_BILLING_MODE',
    description:
      "With --import: the new table's billing, on-demand (default) or provisioned (give --read-capacity and --write-capacity).",
  }),
  'read-capacity': Flags.integer({
    min: 1,
    env: 'POPULATOR_READ_CAPACITY',
    description: "With --import --billing-mode provisioned: the new table's RCU.",
  }),
  'write-capacity': Flags.integer({
    min: 1,
    env: 'POPULATOR_WRITE_CAPACITY',
    description:
      "With --import --billing-mode provisioned: the new table's WCU (what the live shredder will need).",
  }),
};

/** `--import` and its billing flags as the services take them; undefined without --import. */
export function importRequestOf(flags: {
  import: boolean;
  'billing-mode'?: string;
  'read-capacity'?: number;
  'write-capacity'?: number;
}): { billingMode?: string; readCapacity?: number; writeCapacity?: number } | undefined {
  if (!flags.import) return undefined;
  return {
    ...(flags['billing-mode'] !== undefined ? { billingMode: flags['billing-mode'] } : {}),
    ...(flags['read-capacity'] !== undefined ? { readCapacity: flags['read-capacity'] } : {}),
    ...(flags['write-capacity'] !== undefined ? { writeCapacity: flags['write-capacity'] } : {}),
  };
}

/** Following a run to its end (submit --wait, status --watch). */
export const followFlags = {
  'cancel-on-interrupt': Flags.boolean({
    default: false,
    env: 'POPULATOR_CANCEL_ON_INTERRUPT',
    description: 'On Ctrl-C while waiting, cancel the EMR Serverless job run (by default it keeps running).',
  }),
};

/** Picking a recorded run (status, cancel, logs). */
export const runFlags = {
  run: Flags.string({
    env: 'POPULATOR_RUN',
    description: 'The run to work on, by name (`populator runs` lists them); default the newest.',
  }),
  'application-id': Flags.string({
    env: 'POPULATOR_APPLICATION_ID',
    description: 'The application of a job run id that was not submitted from here.',
  }),
  region: Flags.string({
    env: 'POPULATOR_REGION',
    description: 'Region of a job run that was not submitted from here (default AWS_REGION).',
  }),
  profile: Flags.string({ env: 'AWS_PROFILE', description: 'AWS profile to use.' }),
};

/** The places and endpoints of a command line (validate's and submit's flags), as the services take them. */
export function placesOf(flags: {
  since?: string;
  until?: string;
  region?: string;
  profile?: string;
  'dynamodb-endpoint'?: string;
  's3-endpoint'?: string;
  staging?: string;
  'log-path'?: string;
  jar?: string;
  spark?: string;
}): InputPlaces {
  return {
    since: flags.since,
    until: flags.until,
    region: flags.region,
    profile: flags.profile,
    dynamodbEndpoint: flags['dynamodb-endpoint'],
    s3Endpoint: flags['s3-endpoint'],
    staging: flags.staging,
    logPath: flags['log-path'],
    jar: flags.jar,
    spark: flags.spark,
  };
}

/** `POPULATOR_TAGS=k=v,k2=v2`, the environment twin of the repeatable --tag. */
export function tagsFromEnv(env: NodeJS.ProcessEnv): string[] {
  const v = env.POPULATOR_TAGS;
  return v === undefined || v.trim() === ''
    ? []
    : v
        .split(',')
        .map((t) => t.trim())
        .filter((t) => t !== '');
}
