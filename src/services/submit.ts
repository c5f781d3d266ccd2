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
import {
  parseJobSummary,
  type JobProgress,
  type JobSummary,
  type UnreadableFile,
} from '../domain/job-report.js';
import { requireTimeRange, toJobRunId } from '../domain/time-range.js';
import { defaultWriteRate } from '../domain/write-rate.js';
import type { StorageConfig } from '../domain/storage-config.js';
import { createDynamoDbClient, type ManifestTableDescription } from '../aws/dynamodb.js';
import { createS3Client, type S3ClientOptions } from '../aws/s3.js';
import { runIdFromFolderName } from '../domain/run-id.js';
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
  /** S3 endpoint override for an s3:// archive; else AWS_ENDPOINT_URL_S3, then AWS_ENDPOINT_URL. */
  s3Endpoint?: string;
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
  /** Files the job could not read to their end (also in `summary`); the job still succeeded. */
  unreadableFiles: UnreadableFile[];
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
      hint: 'Fix the problems listed above and run again: nothing was started.',
    });
  }
  const warnings = inputs.warnings.map((w) => `${w.source}: ${w.message}`);
  const storage = inputs.storage;
  const region = o.region ?? storage.region;
  // A plain object: the config's secret is a non-enumerable property, which a copy would lose.
  const staticCredentials =
    storage.credentials.kind === 'static'
      ? { accessKeyId: storage.credentials.accessKeyId, secretAccessKey: storage.credentials.secretAccessKey }
      : undefined;
  let s3Endpoint: string | undefined;
  if (archive.kind === 's3') {
    s3Endpoint = checkEndpoint(o.s3Endpoint ?? o.env.AWS_ENDPOINT_URL_S3 ?? o.env.AWS_ENDPOINT_URL);
    const listing = await checkS3Archive(archive, {
      region,
      endpoint: s3Endpoint,
      credentials: staticCredentials,
      profile: o.profile,
    });
    if (listing.ignored.length > 0) {
      const shown = listing.ignored.slice(0, 5).join(', ');
      const more = listing.ignored.length > 5 ? ` and ${listing.ignored.length - 5} more` : '';
      o.log(`Ignoring what is not a run=YYYY-MM-dd-HH-mm-ss folder under ${archive.uri}: ${shown}${more}`);
    }
  } else {
    checkLocalArchive(archive);
  }

  const endpoint = o.dynamodbEndpoint ?? o.env.AWS_ENDPOINT_URL_DYNAMODB ?? o.env.AWS_ENDPOINT_URL;
  const dynamo = createDynamoDbClient({
    region,
    endpoint,
    credentials: staticCredentials,
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
  let jar: string;
  let classpath: string[];
  try {
    jar = o.jar
      ? checkJar(path.resolve(o.cwd, o.jar))
      : (await ensureJobJar(path.join(o.projectRoot, 'spark'), toolchain, o.log, o.signal)).jar;
    classpath = await resolveSparkClasspath(path.join(o.projectRoot, 'spark'), o.cacheDir, toolchain, o.log, {
      s3: archive.kind === 's3',
      signal: o.signal,
    });
  } catch (e) {
    throwIfInterrupted(o.signal); // a Maven run stopped by Ctrl-C is an interruption, not a failure
    throw e;
  }
  throwIfInterrupted(o.signal);

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
    // S3A settings only; the keys stay in the environment above.
    s3: archive.kind === 's3' ? { region, endpoint: s3Endpoint } : undefined,
    onProgress: o.onProgress,
    signal: o.signal,
  });
  const summaryFile = path.join(staging, JOB_OUTPUT.summary);
  if (o.signal?.aborted) {
    throw new JobFailedError('The job was stopped (Ctrl-C).', {
      code: 'INTERRUPTED',
      exitCode: EXIT_CODES.jobFailed,
      hint: 'Items written so far stay in the table; running the same command again is safe and finishes the rest.',
    });
  }
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
    unreadableFiles: summary.unreadableFiles,
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
  // SPARK_LOCAL_IP keeps local Spark on loopback (and quiet about the host name resolving there).
  const out: NodeJS.ProcessEnv = { AWS_REGION: region, SPARK_LOCAL_IP: '127.0.0.1' };
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

/** What the top of an S3 archive holds: its run ids (sorted) and what is not a run folder. */
export interface S3ArchiveListing {
  runIds: string[];
  ignored: string[];
}

/**
 * Lists the top of an S3 archive before Spark starts: a missing bucket, an empty or missing prefix,
 * or a prefix without any run=YYYY-MM-dd-HH-mm-ss folder is a `UserError` here, not a failed job.
 */
export async function checkS3Archive(
  archive: Extract<ArchiveLocation, { kind: 's3' }>,
  access: S3ClientOptions,
): Promise<S3ArchiveListing> {
  const s3 = createS3Client(access);
  let listing;
  try {
    listing = await s3.listTopLevel(archive.bucket, archive.prefix);
  } finally {
    s3.destroy();
  }
  if (listing.folders.length === 0 && listing.files.length === 0) {
    throw new UserError(`The archive ${archive.uri} is empty or does not exist.`, {
      code: 'ARCHIVE_NOT_FOUND',
      hint: `Pass the S3 prefix that holds the run=YYYY-MM-dd-HH-mm-ss folders of enriched events (\`aws s3 ls ${archive.uri}\` shows what is there).`,
    });
  }
  const runIds: string[] = [];
  const ignored: string[] = [];
  for (const folder of listing.folders) {
    const id = runIdFromFolderName(folder);
    if (id === null) ignored.push(`${folder}/`);
    else runIds.push(id);
  }
  for (const f of listing.files) ignored.push(f);
  if (runIds.length === 0) {
    const shown = ignored.slice(0, 5).join(', ');
    throw new UserError(
      `The archive ${archive.uri} holds no run=YYYY-MM-dd-HH-mm-ss folder (found: ${shown}${ignored.length > 5 ? ', ...' : ''}).`,
      {
        code: 'ARCHIVE_NO_RUNS',
        hint: 'Pass the prefix directly above the run=... folders (e.g. s3://bucket/enriched/archive/), not a run folder or a parent of the archive.',
      },
    );
  }
  return { runIds: runIds.sort(), ignored };
}

/** An endpoint override must be an http(s) URL (the SDK and S3A both need the scheme). */
function checkEndpoint(endpoint: string | undefined): string | undefined {
  if (endpoint === undefined || endpoint.trim() === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UserError(`The S3 endpoint ${endpoint} is not an http:// or https:// URL.`, {
      code: 'S3_ENDPOINT_INVALID',
      hint: 'Write it with its scheme, e.g. --s3-endpoint http://127.0.0.1:5000 (AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL likewise).',
    });
  }
  return endpoint;
}

function checkLocalArchive(archive: Extract<ArchiveLocation, { kind: 'local' }>): void {
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

/** Stops before the next step once the user pressed Ctrl-C. */
function throwIfInterrupted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw new JobFailedError('Interrupted before the job started; nothing was written.', {
      code: 'INTERRUPTED',
      exitCode: EXIT_CODES.jobFailed,
      hint: 'Run the same command again when you are ready.',
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
