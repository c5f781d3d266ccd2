/**
 * `populator submit --runner local`: checks the inputs, resolves credentials and the write budget,
 * builds (if needed) and runs the job jar on Spark local[*], follows it and returns its report.
 */
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { DateTime } from 'luxon';
import { parseArchiveLocation, type ArchiveLocation } from '../domain/archive.js';
import { ATTR_TTL, JOB_ARGS, JOB_EXIT, JOB_OUTPUT, type EtlTimeMode } from '../domain/contract.js';
import { EXIT_CODES, UserError } from '../domain/errors.js';
import { parseJobSummary, type JobProgress, type JobSummary } from '../domain/job-report.js';
import { requireTimeRange, toJobRunId } from '../domain/time-range.js';
import { defaultWriteRate } from '../domain/write-rate.js';
import type { StorageConfig } from '../domain/storage-config.js';
import { createDynamoDbClient, type ManifestTableDescription } from '../aws/dynamodb.js';
import { resolveSparkClasspath } from '../local/classpath.js';
import { ensureJobJar } from '../local/jar.js';
import { launchLocalJob } from '../local/spark-launcher.js';
import { findToolchain } from '../local/toolchain.js';
import { loadInputs } from './config-loader.js';

export interface SubmitOptions {
  archive: string;
  storageConfigPath: string;
  resolverPath: string;
  since?: string;
  until?: string;
  etlTime: EtlTimeMode;
  /** WCU/s for the whole job; derived from the table when absent. */
  writeRate?: number;
  maxInFlight?: number;
  ttlSeconds: number;
  /** Write items whose TTL is already past (skipped by default when TTL is on). */
  writeExpired: boolean;
  region?: string;
  profile?: string;
  dynamodbEndpoint?: string;
  /** Local folder for the job's report and bad rows; default `.populator/runs/<run name>`. */
  staging?: string;
  /** Folder for the driver log; default: the staging folder. */
  logPath?: string;
  /** A prebuilt job jar instead of building spark/. */
  jar?: string;
  master: string;
  driverMemory: string;
  /** Where the package lives (spark/ and schemas/ are found from here). */
  projectRoot: string;
  cacheDir: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  now: DateTime;
  log: (line: string) => void;
  onProgress: (p: JobProgress) => void;
  signal?: AbortSignal;
}

export interface SubmitResult {
  status: 'SUCCEEDED';
  runner: 'local';
  runName: string;
  archive: string;
  table: string;
  region: string;
  etlTime: EtlTimeMode;
  since: string | null;
  until: string | null;
  writeRate: number;
  writeRateSource: 'flag' | 'provisioned' | 'on-demand';
  skipExpired: boolean;
  staging: string;
  logFile: string;
  badRows: string;
  summary: JobSummary;
  warnings: string[];
}

/** Thrown when the job ran and failed: the message is the job's own reason. Exit code 4. */
export class JobFailedError extends UserError {}

/** Runs a whole local back-fill and returns the job's report. */
export async function submitLocal(o: SubmitOptions): Promise<SubmitResult> {
  const range = requireTimeRange({ since: o.since, until: o.until });
  const archive = parseArchiveLocation(o.archive, o.cwd);
  const inputs = await loadInputs({
    storageConfigPath: path.resolve(o.cwd, o.storageConfigPath),
    resolverPath: path.resolve(o.cwd, o.resolverPath),
    bundledSchemasDir: path.join(o.projectRoot, 'schemas', 'iglu'),
  });
  if (!inputs.ok) {
    throw new UserError('The storage config or the resolver is not valid.', {
      code: 'INVALID_CONFIG',
      issues: inputs.issues,
      hint: 'Fix the problems listed above and run again (`populator validate` checks without running anything).',
    });
  }
  const warnings = inputs.warnings.map((w) => `${w.source}: ${w.message}`);
  checkLocalArchive(archive);

  const storage = inputs.storage;
  const region = o.region ?? storage.region;
  const endpoint = o.dynamodbEndpoint ?? o.env.AWS_ENDPOINT_URL_DYNAMODB ?? o.env.AWS_ENDPOINT_URL;
  const dynamo = createDynamoDbClient({
    region,
    endpoint,
    credentials: storage.credentials.kind === 'static' ? storage.credentials : undefined,
    profile: o.profile,
  });
  let table: ManifestTableDescription;
  try {
    table = await dynamo.describeManifestTable(storage.table);
  } finally {
    dynamo.destroy();
  }
  if (!table.exists) {
    throw new UserError(`The manifest table ${storage.table} does not exist in ${region}.`, {
      code: 'TABLE_NOT_FOUND',
      hint: 'Create it with partition key eventId (S) and sort key fingerprint (S), or fix dynamodbTable/awsRegion in the storage config.',
    });
  }
  if (!table.keySchemaOk) {
    throw new UserError(`The table ${storage.table} does not have the event manifest's key schema.`, {
      code: 'TABLE_KEY_SCHEMA',
      hint: 'An event manifest has partition key eventId (S) and sort key fingerprint (S): point the storage config at such a table.',
    });
  }
  const rate =
    o.writeRate !== undefined ? { rate: o.writeRate, source: 'flag' as const } : defaultWriteRate(table);
  // Only TTL on the shredder's own attribute deletes our items.
  const skipExpired = table.ttl === 'ENABLED' && table.ttlAttribute === ATTR_TTL && !o.writeExpired;

  const runName = `populator-${o.now.toUTC().toFormat("yyyyMMdd'T'HHmmss")}`;
  const staging = path.resolve(o.cwd, o.staging ?? path.join('.populator', 'runs', runName));
  const logDir = path.resolve(o.cwd, o.logPath ?? staging);
  mkdirSync(staging, { recursive: true });
  const logFile = path.join(logDir, 'driver.log');

  const jobArgs = [
    JOB_ARGS.archive,
    archive.uri,
    JOB_ARGS.output,
    staging,
    JOB_ARGS.table,
    storage.table,
    JOB_ARGS.region,
    region,
    ...(endpoint ? [JOB_ARGS.dynamodbEndpoint, endpoint] : []),
    ...(range.since ? [JOB_ARGS.since, toJobRunId(range.since)] : []),
    ...(range.until ? [JOB_ARGS.until, toJobRunId(range.until)] : []),
    JOB_ARGS.etlTime,
    o.etlTime,
    JOB_ARGS.ttlSeconds,
    String(o.ttlSeconds),
    JOB_ARGS.writeRate,
    String(rate.rate),
    ...(o.maxInFlight !== undefined ? [JOB_ARGS.maxInFlight, String(o.maxInFlight)] : []),
    JOB_ARGS.skipExpired,
    String(skipExpired),
    JOB_ARGS.now,
    String(Math.floor(o.now.toSeconds())),
  ];

  const toolchain = await findToolchain(o.env, { needMaven: true });
  const jar = o.jar
    ? checkJar(path.resolve(o.cwd, o.jar))
    : (await ensureJobJar(path.join(o.projectRoot, 'spark'), toolchain, o.log)).jar;
  const classpath = await resolveSparkClasspath(
    path.join(o.projectRoot, 'spark'),
    o.cacheDir,
    toolchain,
    o.log,
  );

  o.log(`Running the job on Spark ${o.master} (log: ${logFile})`);
  const launched = await launchLocalJob({
    toolchain,
    jar,
    classpath,
    jobArgs,
    env: jobEnvironment(o.env, storage, region, o.profile),
    progressFile: path.join(staging, JOB_OUTPUT.progress),
    logFile,
    master: o.master,
    driverMemory: o.driverMemory,
    onProgress: o.onProgress,
    signal: o.signal,
  });
  const summaryFile = path.join(staging, JOB_OUTPUT.summary);
  if (launched.exitCode !== JOB_EXIT.ok || !existsSync(summaryFile)) {
    throw jobFailure(launched.exitCode, launched.signal, launched.stderrTail, staging, logFile);
  }
  const summary = parseJobSummary(readFileSync(summaryFile, 'utf8'));
  return {
    status: 'SUCCEEDED',
    runner: 'local',
    runName,
    archive: archive.uri,
    table: storage.table,
    region,
    etlTime: o.etlTime,
    since: range.since ? toJobRunId(range.since) : null,
    until: range.until ? toJobRunId(range.until) : null,
    writeRate: rate.rate,
    writeRateSource: rate.source,
    skipExpired,
    staging,
    logFile,
    badRows: path.join(staging, JOB_OUTPUT.badRows),
    summary,
    warnings,
  };
}

/**
 * The job JVM's environment: credentials go here (never into arguments). Static keys from the
 * storage config become the standard variables; otherwise the SDK's default chain applies, with
 * --profile as AWS_PROFILE.
 */
export function jobEnvironment(
  env: NodeJS.ProcessEnv,
  storage: StorageConfig,
  region: string,
  profile: string | undefined,
): NodeJS.ProcessEnv {
  const out: NodeJS.ProcessEnv = { AWS_REGION: region };
  if (storage.credentials.kind === 'static') {
    out.AWS_ACCESS_KEY_ID = storage.credentials.accessKeyId;
    out.AWS_SECRET_ACCESS_KEY = storage.credentials.secretAccessKey;
    // Static keys win over a session token or profile lingering in the caller's environment.
    out.AWS_SESSION_TOKEN = '';
    out.AWS_PROFILE = '';
  } else if (profile) {
    out.AWS_PROFILE = profile;
  } else if (env.AWS_PROFILE) {
    out.AWS_PROFILE = env.AWS_PROFILE;
  }
  return out;
}

function checkLocalArchive(archive: ArchiveLocation): void {
  if (archive.kind === 's3') {
    throw new UserError(`The local runner reads local archives only; ${archive.uri} is on S3.`, {
      code: 'ARCHIVE_S3_LOCAL',
      hint: 'Copy the runs to a local folder (e.g. `aws s3 sync`) and pass that folder.',
    });
  }
  if (!existsSync(archive.path)) {
    throw new UserError(`The archive ${archive.path} does not exist.`, {
      code: 'ARCHIVE_NOT_FOUND',
      hint: 'Pass the folder that holds the run=YYYY-MM-dd-HH-mm-ss folders of enriched events.',
    });
  }
  if (!statSync(archive.path).isDirectory()) {
    throw new UserError(`The archive ${archive.path} is a file, not a folder.`, {
      code: 'ARCHIVE_NOT_FOLDER',
      hint: 'Pass the folder that holds the run=YYYY-MM-dd-HH-mm-ss folders, not one file.',
    });
  }
}

function checkJar(jar: string): string {
  if (!existsSync(jar)) {
    throw new UserError(`The job jar ${jar} does not exist.`, {
      code: 'JAR_NOT_FOUND',
      hint: 'Build it with `mvn -f spark/pom.xml package` or leave out --jar to let populator build it.',
    });
  }
  return jar;
}

/** Turns a failed job run into an error carrying the job's own reason. */
function jobFailure(
  exitCode: number | null,
  signal: NodeJS.Signals | null,
  stderrTail: string[],
  staging: string,
  logFile: string,
): JobFailedError {
  const progressFile = path.join(staging, JOB_OUTPUT.progress);
  let reason: string | undefined;
  if (existsSync(progressFile)) {
    try {
      const p = JSON.parse(readFileSync(progressFile, 'utf8')) as JobProgress;
      if (p.phase === 'failed' && p.message) reason = p.message;
    } catch {
      // fall back to the log
    }
  }
  const jobLines = stderrTail.filter((l) => /^(ERROR|populator|Error)/.test(l) || l.includes('populator'));
  reason ??= jobLines.slice(-5).join('\n') || stderrTail.slice(-10).join('\n');
  const how = signal ? `was stopped by ${signal}` : `exited with code ${exitCode}`;
  const inputProblem = exitCode === JOB_EXIT.input;
  return new JobFailedError(`The job ${how}: ${reason}`, {
    exitCode: inputProblem ? EXIT_CODES.usage : EXIT_CODES.jobFailed,
    code: inputProblem ? 'JOB_INPUT' : 'JOB_FAILED',
    hint: inputProblem
      ? 'Fix the input named above and submit again; nothing was written.'
      : `See the driver log for details: ${logFile}. A re-run is safe: items already written are kept and counted as already present.`,
  });
}
