/**
 * What every runner's submit half shares: the job's arguments and environment, the run record's
 * inputs and settings, the resume's same-inputs rule, the local runner's master.
 */
import path from 'node:path';
import type { DateTime } from 'luxon';
import { JOB_ARGS, JOB_ENV } from '../domain/contract.js';
import { EXIT_CODES, UserError } from '../domain/errors.js';
import type { Plan } from '../domain/plan.js';
import {
  resumeDifferences,
  RUN_RECORD_VERSION,
  type RunRecord,
  type RunSettings,
} from '../domain/run-record.js';
import { localRunnerMaster } from '../domain/spark-master.js';
import type { StorageConfig } from '../domain/storage-config.js';
import { toJobRunId } from '../domain/time-range.js';
import { joinS3Uri } from '../domain/s3-uri.js';
import type { CheckedSubmit } from './submit-inputs.js';
import { JobFailedError, type SubmitOptions } from './submit-types.js';

/** The local runner's master: `local-cluster[N,C,M]` for `--executors N` (the validator checked them), else `--master`. */
export function localMasterOf(o: SubmitOptions): string {
  const m = localRunnerMaster(o.master, o.emr?.sizing ?? {});
  return m.ok ? m.master : o.master;
}

/** The job's arguments (never a secret). `now` only locally: on EMR the request must not change with the clock. */
export function jobArguments(
  c: Pick<
    CheckedSubmit,
    'archive' | 'storage' | 'region' | 'dynamodbEndpoint' | 'range' | 'rate' | 'skipExpired' | 'import'
  >,
  o: Pick<SubmitOptions, 'etlTime' | 'ttlSeconds' | 'maxInFlight' | 'resume' | 'skipPresent'>,
  output: string,
  now: DateTime | undefined,
): string[] {
  return [
    JOB_ARGS.archive,
    // A plain absolute path for a local archive: Hadoop's Path(String) does not decode a file:
    // URI's percent-escapes (a space, #, non-ASCII letters), and would look for another folder.
    c.archive.kind === 'local' ? c.archive.path : c.archive.uri,
    JOB_ARGS.output,
    output,
    JOB_ARGS.table,
    c.storage.table,
    JOB_ARGS.region,
    c.region,
    ...(c.dynamodbEndpoint ? [JOB_ARGS.dynamodbEndpoint, c.dynamodbEndpoint] : []),
    ...(c.range.since ? [JOB_ARGS.since, toJobRunId(c.range.since)] : []),
    ...(c.range.until ? [JOB_ARGS.until, toJobRunId(c.range.until)] : []),
    JOB_ARGS.etlTime,
    o.etlTime,
    JOB_ARGS.ttlSeconds,
    String(o.ttlSeconds),
    // Import mode writes files, not items: no write rate, and the folder DynamoDB imports from.
    ...(c.import !== undefined
      ? [JOB_ARGS.importTo, importFolder(c.import.staging, path.posix.basename(output))]
      : [JOB_ARGS.writeRate, String(c.rate.rate)]),
    ...(o.maxInFlight !== undefined && c.import === undefined
      ? [JOB_ARGS.maxInFlight, String(o.maxInFlight)]
      : []),
    JOB_ARGS.skipExpired,
    String(c.skipExpired),
    ...(now !== undefined ? [JOB_ARGS.now, String(Math.floor(now.toSeconds()))] : []),
    // Import mode has no progress records: a failed import run's job runs again from the start.
    ...(o.resume !== undefined && c.import === undefined
      ? [JOB_ARGS.resumeFrom, o.resume.record.output]
      : []),
    ...(o.skipPresent === true ? [JOB_ARGS.skipPresent, 'true'] : []),
  ];
}

/**
 * Where a `--import` run's files go: `<staging>runs/<run name>/import/` on S3, beside the EMR run's
 * reports (the local runner keeps its report here and only the files there). Ends in `/`:
 * ImportTable reads every object under the prefix it is given.
 */
export function importFolder(staging: string, runName: string): string {
  return joinS3Uri(staging, 'runs', runName, 'import/');
}

/** The inputs a run's record keeps (what a resume must reproduce). */
export function recordedInputs(c: CheckedSubmit, o: SubmitOptions): RunRecord['inputs'] {
  return {
    archive: c.archive.uri,
    storageConfig: path.resolve(o.cwd, o.storageConfigPath),
    resolver: path.resolve(o.cwd, o.resolverPath),
    since: c.range.since ? toJobRunId(c.range.since) : null,
    until: c.range.until ? toJobRunId(c.range.until) : null,
    etlTime: o.etlTime,
    ttlSeconds: o.ttlSeconds,
    writeExpired: o.writeExpired,
    skipExpired: c.skipExpired,
  };
}

/** A resume runs the inputs of the run it resumes, or is refused with every difference named. */
export function requireSameInputs(resumed: RunRecord, c: CheckedSubmit, o: SubmitOptions): void {
  const diff = resumeDifferences(resumed, {
    inputs: recordedInputs(c, o),
    // A resume that only imports may name a new table (a failed import left the old one behind).
    table: o.resume?.importOnly !== undefined ? resumed.table : c.storage.table,
    region: c.region,
    runner: c.runner,
  });
  if (diff.length === 0) return;
  throw new UserError(`Run ${resumed.runName} cannot be resumed with other inputs: ${diff.join('; ')}.`, {
    code: 'RESUME_INPUTS_DIFFER',
    hint: `Leave those flags out (a resume takes the run's own), or start a new run without --resume.`,
  });
}

/** The record of a run, before the runner adds its coordinates. */
export function baseRecord(
  c: CheckedSubmit,
  o: SubmitOptions,
  f: { runName: string; createdAt: string; staging: string; output: string; log: string; plan: Plan },
): RunRecord {
  const emrEndpoint = c.emrEndpoint;
  const endpoints = {
    ...(c.dynamodbEndpoint ? { dynamodb: c.dynamodbEndpoint } : {}),
    ...(c.s3Endpoint ? { s3: c.s3Endpoint } : {}),
    ...(emrEndpoint ? { emrServerless: emrEndpoint } : {}),
  };
  return {
    version: RUN_RECORD_VERSION,
    runName: f.runName,
    runner: c.runner,
    createdAt: f.createdAt,
    region: c.region,
    table: c.storage.table,
    staging: f.staging,
    output: f.output,
    log: f.log,
    ...(Object.keys(endpoints).length > 0 ? { endpoints } : {}),
    ...(o.profile ? { profile: o.profile } : {}),
    inputs: recordedInputs(c, o),
    plan: {
      objects: f.plan.objects,
      bytes: f.plan.bytes,
      events: f.plan.events.estimated,
      writes: f.plan.writes,
    },
    settings: runSettings(o),
    spark: c.family,
    ...(o.resume !== undefined ? { resumedFrom: o.resume.record.runName } : {}),
    ...(c.import !== undefined
      ? { import: { folder: importFolder(c.import.staging, f.runName), billing: c.import.billing } }
      : {}),
  };
}

/** The pacing and sizing flags given, kept in the record so that a resume keeps them. */
function runSettings(o: SubmitOptions): RunSettings {
  const sizing = Object.fromEntries(
    Object.entries({ ...o.emr?.sizing, driverMemory: o.driverMemory }).filter(([, v]) => v !== undefined),
  );
  return {
    ...(o.writeRate !== undefined ? { writeRate: o.writeRate } : {}),
    ...(o.maxInFlight !== undefined ? { maxInFlight: o.maxInFlight } : {}),
    ...(Object.keys(sizing).length > 0 ? { sizing } : {}),
  };
}

export const isoNow = (now: DateTime): string =>
  now.toUTC().toISO() ?? new Date(now.toMillis()).toISOString();

/** Stops before the next step once the user pressed Ctrl-C. */
export function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new JobFailedError('Interrupted before the job started; nothing was written.', {
      code: 'INTERRUPTED',
      exitCode: EXIT_CODES.jobFailed,
      hint: 'Run the same command again when you are ready.',
    });
  }
}

/**
 * The job JVM's environment (it inherits the caller's): credentials go here, never into
 * arguments. A storage config's static keys are for DynamoDB only (JOB_ENV: the job's DynamoDB
 * client uses them); S3 is read with the caller's own chain, as the CLI reads it. A profile
 * (--profile or AWS_PROFILE) wins over keys in the environment, as it does for the CLI's own
 * clients: they are blanked (the launcher removes empty variables).
 */
export function jobEnvironment(
  env: NodeJS.ProcessEnv,
  storage: StorageConfig,
  region: string,
  profile: string | undefined,
): NodeJS.ProcessEnv {
  // SPARK_LOCAL_IP keeps local Spark on loopback (and quiet about the host name resolving there).
  const out: NodeJS.ProcessEnv = { AWS_REGION: region, SPARK_LOCAL_IP: '127.0.0.1' };
  if (storage.credentials.kind === 'static') {
    out[JOB_ENV.dynamodbAccessKeyId] = storage.credentials.accessKeyId;
    out[JOB_ENV.dynamodbSecretAccessKey] = storage.credentials.secretAccessKey;
  }
  // The JS SDK skips environment keys once a profile is named (flag or AWS_PROFILE): so does the job.
  const chosenProfile = profile ?? (env.AWS_PROFILE ? env.AWS_PROFILE : undefined);
  if (chosenProfile !== undefined) {
    out.AWS_PROFILE = chosenProfile;
    out.AWS_ACCESS_KEY_ID = '';
    out.AWS_SECRET_ACCESS_KEY = '';
    out.AWS_SESSION_TOKEN = '';
  }
  return out;
}
