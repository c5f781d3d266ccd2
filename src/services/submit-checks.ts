/**
 * Every check `submit` makes before it plans: flags, the storage config and resolver, the archive,
 * the table, and for EMR Serverless the application, the role, the staging and log locations, the
 * sizing and the jar against the release label. One function, all problems at once where they can
 * be gathered; the `validate` command's validator replaces it. Reads only: nothing is written.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { createDynamoDbClient, type ExistingManifestTable } from '../aws/dynamodb.js';
import {
  createEmrServerlessClient,
  type ApplicationInfo,
  type EmrServerlessClient,
} from '../aws/emr-serverless.js';
import { createS3Client, type S3Client } from '../aws/s3.js';
import { parseArchiveLocation, type ArchiveLocation } from '../domain/archive.js';
import { ATTR_TTL } from '../domain/contract.js';
import { DEFAULT_RELEASE_LABEL, releaseLabelProblem, type JarBuildInfo } from '../domain/emr.js';
import {
  DEFAULT_LOCAL_DRIVER_MEMORY,
  parseCapacity,
  resolveEmrSizing,
  sizingFlag,
  type EmrSizing,
  type SizingInput,
} from '../domain/emr-sizing.js';
import { UserError, type ValidationIssue } from '../domain/errors.js';
import { parseJobPom, readJarBuildInfo } from '../domain/jar-info.js';
import { RUN_NAME_PATTERN, type RunnerName } from '../domain/run-record.js';
import { isS3Uri, joinS3Uri, parseS3Uri } from '../domain/s3-uri.js';
import type { StorageConfig } from '../domain/storage-config.js';
import { requireTimeRange, type TimeRange } from '../domain/time-range.js';
import { defaultWriteRate, type WriteRateSource } from '../domain/write-rate.js';
import { readFileRange } from '../local/file-range.js';
import { loadInputs } from './config-loader.js';
import { listS3ArchiveRuns } from './s3-archive.js';

/** The local runner's staging root when --staging is not given (under the working directory). */
export const DEFAULT_LOCAL_STAGING = '.populator';

/** The EMR Serverless flags, as given. */
export interface EmrSubmitFlags {
  applicationId?: string;
  createApplication?: boolean;
  /** With --create-application. */
  releaseLabel?: string;
  executionRoleArn?: string;
  /** The run's name (and the job run's): also what makes a second run of the same inputs a new one. */
  name?: string;
  /** `key=value`. */
  tags?: readonly string[];
  timeoutMinutes?: number;
  sizing?: SizingInput;
}

/** What the checks read from the submit options. */
export interface SubmitCheckOptions {
  archive: string;
  storageConfigPath: string;
  resolverPath: string;
  since?: string;
  until?: string;
  writeRate?: number;
  writeExpired: boolean;
  region?: string;
  profile?: string;
  dynamodbEndpoint?: string;
  s3Endpoint?: string;
  staging?: string;
  logPath?: string;
  jar?: string;
  runner?: RunnerName;
  driverMemory?: string;
  emr?: EmrSubmitFlags;
  /**
   * The identity the CLI uses instead of the default credential chain (the demo's stand-ins); the
   * storage config's static keys still win with the local runner.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  projectRoot: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/** The jar the EMR job will run. */
export type JarSource =
  | { kind: 'build' }
  | { kind: 'local'; path: string }
  | { kind: 's3'; uri: string; size: number };

export interface CheckedEmr {
  /** An application to use, or one to create. */
  application: { kind: 'existing'; info: ApplicationInfo } | { kind: 'create'; releaseLabel: string };
  releaseLabel: string;
  executionRoleArn: string;
  /** `s3://.../` */
  staging: string;
  logUri: string;
  sizing: EmrSizing;
  tags: Record<string, string>;
  name: string | undefined;
  timeoutMinutes: number | undefined;
  jar: JarSource;
  jarInfo: JarBuildInfo;
}

export interface CheckedLocal {
  /** Absolute staging root. */
  staging: string;
  logPath: string | undefined;
  jar: string | undefined;
  driverMemory: string;
}

/** Everything the plan and the runner need, checked. */
export interface CheckedSubmit {
  runner: RunnerName;
  range: TimeRange;
  archive: ArchiveLocation;
  storage: StorageConfig;
  region: string;
  /** The storage config's static keys, used by the CLI with the local runner only. */
  cliCredentials: { accessKeyId: string; secretAccessKey: string } | undefined;
  s3Endpoint: string | undefined;
  dynamodbEndpoint: string | undefined;
  table: ExistingManifestTable;
  rate: { rate: number; source: 'flag' | WriteRateSource };
  skipExpired: boolean;
  /** The archive's run ids, when the archive is on S3 (its top level was listed). */
  runIds: string[] | undefined;
  warnings: string[];
  local: CheckedLocal | undefined;
  emr: CheckedEmr | undefined;
  /** Clients the checks opened and the next steps reuse; `close()` them. */
  clients: { s3: S3Client | undefined; emr: EmrServerlessClient | undefined };
  close(): void;
}

/** IAM role ARNs as EMR Serverless takes them. */
const ROLE_ARN = /^arn:(aws[a-zA-Z0-9-]*):iam::(\d{12}):role(\/|\/[\x21-\x7f]+\/)[\w+=,.@-]+$/;
/** Tag keys and values as EMR Serverless takes them. */
const TAG_KEY = /^[A-Za-z0-9 /_.:=+@-]{1,128}$/;
const TAG_VALUE = /^[A-Za-z0-9 /_.:=+@-]{0,256}$/;
/** From emr-7.11 a batch job may run 7 days at most (0 is refused). */
export const MAX_TIMEOUT_MINUTES = 7 * 24 * 60;
/** The service refuses a shorter execution timeout. */
export const MIN_TIMEOUT_MINUTES = 5;

function issue(source: string, message: string, hint: string): ValidationIssue {
  return { source, path: '', message, hint };
}

/** An endpoint override must be an http(s) URL (the SDK and S3A both need the scheme). */
export function checkEndpoint(endpoint: string | undefined, flag: string): string | undefined {
  if (endpoint === undefined || endpoint.trim() === '') return undefined;
  let url: URL | undefined;
  try {
    url = new URL(endpoint);
  } catch {
    url = undefined;
  }
  if (url === undefined || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    throw new UserError(`The endpoint ${endpoint} (${flag}) is not an http:// or https:// URL.`, {
      code: 'S3_ENDPOINT_INVALID',
      hint: `Write it with its scheme, e.g. ${flag} http://127.0.0.1:5000.`,
    });
  }
  return endpoint;
}

/** Which runner: the one asked for, else EMR Serverless when an application is given, else a usage error naming the flag. */
export function chooseRunner(runner: RunnerName | undefined, emr: EmrSubmitFlags | undefined): RunnerName {
  if (runner !== undefined) return runner;
  if (emr?.applicationId !== undefined || emr?.createApplication === true) return 'emr-serverless';
  throw new UserError(
    'submit runs the job on EMR Serverless and needs an application: --application-id is missing.',
    {
      code: 'APPLICATION_MISSING',
      hint: 'Give --application-id ID (or POPULATOR_APPLICATION_ID), or --create-application to create one; to run on this machine instead, give --runner local.',
    },
  );
}

/** Parses `k=v` tags, every bad one reported. */
export function parseTags(tags: readonly string[], issues: ValidationIssue[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags) {
    const eq = t.indexOf('=');
    const key = eq < 0 ? t : t.slice(0, eq);
    const value = eq < 0 ? '' : t.slice(eq + 1);
    if (eq < 0 || !TAG_KEY.test(key) || !TAG_VALUE.test(value)) {
      issues.push(
        issue(
          '--tag',
          `--tag ${JSON.stringify(t)} is not KEY=VALUE with a key of 1-128 and a value of up to 256 letters, digits, spaces or _.:/=+-@`,
          'Write it as --tag team=data (once per tag).',
        ),
      );
      continue;
    }
    out[key] = value;
  }
  if (Object.keys(out).length > 50) issues.push(issue('--tag', 'more than 50 tags', 'Give 50 tags at most.'));
  return out;
}

/**
 * The problems of the flags only `submit` has (not `validate`): both application flags, --name,
 * --timeout, --release-label, --tag. Known without a request; `submit` lists them with the
 * validator's failures, so every problem is reported at once.
 */
export function submitOnlyFlagIssues(f: EmrSubmitFlags): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  if (f.applicationId !== undefined && f.createApplication === true) {
    issues.push(
      issue(
        '--create-application',
        'both --application-id and --create-application are given',
        'Give one of them.',
      ),
    );
  }
  if (f.name !== undefined && !RUN_NAME_PATTERN.test(f.name)) {
    issues.push(
      issue(
        '--name',
        `--name ${JSON.stringify(f.name)} is not a run name: 1-100 letters, digits, ".", "_" or "-", starting with a letter or digit`,
        "It names the run's folder too: e.g. --name backfill-2021.",
      ),
    );
  }
  if (
    f.timeoutMinutes !== undefined &&
    (f.timeoutMinutes < MIN_TIMEOUT_MINUTES || f.timeoutMinutes > MAX_TIMEOUT_MINUTES)
  ) {
    issues.push(
      issue(
        '--timeout',
        `--timeout ${f.timeoutMinutes} is outside ${MIN_TIMEOUT_MINUTES}-${MAX_TIMEOUT_MINUTES} minutes (7 days)`,
        'Give the minutes the job may run before EMR Serverless cancels it.',
      ),
    );
  }
  if (
    f.createApplication === true &&
    f.releaseLabel !== undefined &&
    !/^emr-7\.\d+\.\d+$/.test(f.releaseLabel)
  ) {
    issues.push(
      issue(
        '--release-label',
        `--release-label ${f.releaseLabel} is not an emr-7.x label: the job is built for Spark 3.5 / Scala 2.12 / Java 17`,
        `Leave it out for ${DEFAULT_RELEASE_LABEL}, or give another emr-7.x label.`,
      ),
    );
  }
  parseTags(f.tags ?? [], issues);
  return issues;
}

/** Where the jar comes from and what it was built for (read only: building comes later). */
async function checkJar(
  o: SubmitCheckOptions,
  s3: S3Client | undefined,
): Promise<{ jar: JarSource; info: JarBuildInfo }> {
  const notOurs = (where: string): UserError =>
    new UserError(`${where} is not a populator job jar (it holds no populator-job pom).`, {
      code: 'JAR_INVALID',
      hint: 'Pass the shaded jar `mvn -f spark/pom.xml package` builds (spark/target/populator-job-<version>.jar), or leave out --jar.',
    });
  if (o.jar === undefined) {
    const info = parseJobPom(readFileSync(path.join(o.projectRoot, 'spark', 'pom.xml'), 'utf8'));
    if (info === null) throw new Error('spark/pom.xml is not the populator-job pom');
    return { jar: { kind: 'build' }, info };
  }
  if (isS3Uri(o.jar)) {
    const loc = parseS3Uri(o.jar);
    if (loc === null || loc.key === '' || s3 === undefined) throw notOurs(o.jar);
    const head = await s3.headObject(loc.bucket, loc.key);
    if (head === null) {
      throw new UserError(`The job jar ${o.jar} does not exist.`, {
        code: 'JAR_NOT_FOUND',
        hint: 'Check the URI (`aws s3 ls` it), or leave out --jar to build and upload the jar.',
      });
    }
    const info = await readJarBuildInfo(
      (off, len) => s3.getObjectRange(loc.bucket, loc.key, off, off + len),
      head.size,
    ).catch(() => null);
    if (info === null) throw notOurs(o.jar);
    return { jar: { kind: 's3', uri: `s3://${loc.bucket}/${loc.key}`, size: head.size }, info };
  }
  const file = path.resolve(o.cwd, o.jar);
  if (!existsSync(file) || !statSync(file).isFile()) {
    throw new UserError(`The job jar ${file} does not exist.`, {
      code: 'JAR_NOT_FOUND',
      hint: 'Build it with `mvn -f spark/pom.xml package` or leave out --jar to let populator build it.',
    });
  }
  const info = await readJarBuildInfo(
    (off, len) => Promise.resolve(readFileRange(file, off, len)),
    statSync(file).size,
  ).catch(() => null);
  if (info === null) throw notOurs(file);
  return { jar: { kind: 'local', path: file }, info };
}

/** Runs every check; throws a `UserError` listing what is wrong. */
export async function checkSubmitInputs(o: SubmitCheckOptions): Promise<CheckedSubmit> {
  const runner = chooseRunner(o.runner, o.emr);
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
  const isEmr = runner === 'emr-serverless';
  // On EMR Serverless the job writes with its execution role; the CLI reads with the caller's
  // identity. The config's keys are then not used at all, so they never reach any request.
  const cliCredentials =
    !isEmr && storage.credentials.kind === 'static'
      ? { accessKeyId: storage.credentials.accessKeyId, secretAccessKey: storage.credentials.secretAccessKey }
      : undefined;
  if (isEmr && storage.credentials.kind === 'static') {
    warnings.push(
      `${o.storageConfigPath}: its static keys are not used on EMR Serverless: the job writes with its execution role, and populator reads the table and the archive with your AWS credentials.`,
    );
  }

  const issues: ValidationIssue[] = [];
  const s3Endpoint = checkEndpoint(
    o.s3Endpoint ?? o.env.AWS_ENDPOINT_URL_S3 ?? o.env.AWS_ENDPOINT_URL,
    '--s3-endpoint',
  );
  const dynamodbEndpoint = o.dynamodbEndpoint ?? o.env.AWS_ENDPOINT_URL_DYNAMODB ?? o.env.AWS_ENDPOINT_URL;
  const needsS3 = archive.kind === 's3' || isEmr;
  // The config's keys are DynamoDB's only: S3 and EMR Serverless get the caller's identity
  // (--profile, the default chain), as the job's S3 reader does.
  const callerCredentials = o.credentials;
  const dynamoCredentials = cliCredentials ?? o.credentials;
  const s3 = needsS3
    ? createS3Client({ region, endpoint: s3Endpoint, credentials: callerCredentials, profile: o.profile })
    : undefined;
  const emrEndpoint = o.env.AWS_ENDPOINT_URL_EMR_SERVERLESS ?? o.env.AWS_ENDPOINT_URL;
  const emr = isEmr
    ? createEmrServerlessClient({
        region,
        endpoint: emrEndpoint === '' ? undefined : emrEndpoint,
        credentials: callerCredentials,
        profile: o.profile,
      })
    : undefined;
  const close = (): void => {
    s3?.destroy();
    emr?.destroy();
  };

  try {
    // EMR flags first: they are all known without a request.
    let emrFlags: Omit<CheckedEmr, 'application' | 'releaseLabel' | 'jar' | 'jarInfo'> | undefined;
    const f = o.emr ?? {};
    if (isEmr) {
      issues.push(...submitOnlyFlagIssues(f));
      if (f.applicationId !== undefined && !/^[0-9a-z]{1,64}$/.test(f.applicationId)) {
        issues.push(
          issue(
            '--application-id',
            `--application-id ${JSON.stringify(f.applicationId)} is not an EMR Serverless application id (1-64 lowercase letters and digits)`,
            '`aws emr-serverless list-applications` lists yours.',
          ),
        );
      }
      if (f.executionRoleArn === undefined) {
        issues.push(
          issue(
            '--execution-role-arn',
            '--execution-role-arn is missing: the job runs as this IAM role on EMR Serverless',
            'Give --execution-role-arn arn:aws:iam::ACCOUNT:role/NAME (or POPULATOR_EXECUTION_ROLE_ARN); `populator iam-policy` prints what the role needs.',
          ),
        );
      } else if (!ROLE_ARN.test(f.executionRoleArn)) {
        issues.push(
          issue(
            '--execution-role-arn',
            `--execution-role-arn ${JSON.stringify(f.executionRoleArn)} is not an IAM role ARN`,
            'Write it as arn:aws:iam::123456789012:role/populator.',
          ),
        );
      }
      if (archive.kind !== 's3') {
        issues.push(
          issue(
            'archive',
            `the archive ${archive.uri} is on this machine, where EMR Serverless cannot read it`,
            'Give the archive as s3://bucket/prefix/, or run with --runner local.',
          ),
        );
      }
      const staging = o.staging === undefined ? undefined : parseS3Uri(o.staging);
      if (staging === null || staging === undefined) {
        issues.push(
          issue(
            '--staging',
            o.staging === undefined
              ? "--staging is missing: EMR Serverless needs an s3:// prefix for the jar and the run's report"
              : `--staging ${o.staging} is not an s3:// prefix`,
            'Give --staging s3://bucket/populator/ (or POPULATOR_STAGING): the jar goes to <staging>/jars/, the report to <staging>/runs/<run name>/.',
          ),
        );
      }
      const stagingUri = staging ? joinS3Uri(`s3://${staging.bucket}/${staging.key}`, '/') : '';
      const logUri = o.logPath ?? (stagingUri === '' ? '' : joinS3Uri(stagingUri, 'logs/'));
      if (o.logPath !== undefined && !isS3Uri(o.logPath)) {
        issues.push(
          issue(
            '--log-path',
            `--log-path ${o.logPath} is not an s3:// prefix`,
            'Give --log-path s3://bucket/logs/, or leave it out for <staging>/logs/.',
          ),
        );
      }
      // Bad tags were reported by submitOnlyFlagIssues.
      const tags = parseTags(f.tags ?? [], []);
      const sized = resolveEmrSizing(f.sizing ?? {});
      if (!sized.ok) {
        for (const p of sized.problems) issues.push(issue(sizingFlag(p.field), p.message, p.hint));
      }
      if (sized.ok) {
        emrFlags = {
          executionRoleArn: f.executionRoleArn ?? '',
          staging: stagingUri,
          logUri,
          sizing: sized.sizing,
          tags,
          name: f.name,
          timeoutMinutes: f.timeoutMinutes,
        };
      }
    }
    if (issues.length > 0) {
      throw new UserError(
        issues.length === 1
          ? (issues[0] as ValidationIssue).message
          : `${issues.length} problems with the EMR Serverless flags.`,
        {
          code: 'INVALID_FLAGS',
          issues,
          hint: 'Fix the flags listed above and run again: nothing was started.',
        },
      );
    }

    let runIds: string[] | undefined;
    if (archive.kind === 's3') {
      const listing = await listS3ArchiveRuns(archive, s3 as S3Client);
      runIds = listing.runIds;
      if (listing.ignored.length > 0) {
        const shown = listing.ignored.slice(0, 5).join(', ');
        const more = listing.ignored.length > 5 ? ` and ${listing.ignored.length - 5} more` : '';
        o.log(`Ignoring what is not a run=YYYY-MM-dd-HH-mm-ss folder under ${archive.uri}: ${shown}${more}`);
      }
    } else {
      checkLocalArchive(archive);
    }

    const dynamo = createDynamoDbClient({
      region,
      endpoint: dynamodbEndpoint,
      credentials: dynamoCredentials,
      profile: o.profile,
    });
    let table;
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

    let checkedEmr: CheckedEmr | undefined;
    if (isEmr && emrFlags !== undefined && emr !== undefined) {
      const { jar, info } = await checkJar(o, s3);
      let application: CheckedEmr['application'];
      if (f.applicationId !== undefined) {
        application = {
          kind: 'existing',
          info: await checkApplication(emr, f.applicationId, emrFlags.sizing),
        };
      } else {
        application = { kind: 'create', releaseLabel: f.releaseLabel ?? DEFAULT_RELEASE_LABEL };
      }
      const releaseLabel =
        application.kind === 'existing' ? application.info.releaseLabel : application.releaseLabel;
      const problem = releaseLabelProblem(releaseLabel, info);
      if (problem !== null) {
        throw new UserError(`The application cannot run the job: ${problem}.`, {
          code: 'RELEASE_LABEL',
          hint: `Use an emr-7.x application (--create-application makes one with ${DEFAULT_RELEASE_LABEL}), or a jar built for this release.`,
        });
      }
      checkedEmr = { ...emrFlags, application, releaseLabel, jar, jarInfo: info };
    }

    let checkedLocal: CheckedLocal | undefined;
    if (!isEmr) {
      if (o.staging !== undefined && isS3Uri(o.staging)) {
        throw new UserError(`The local runner writes its report to a local folder, not ${o.staging}.`, {
          code: 'INVALID_FLAGS',
          hint: 'Give --staging a local folder (default .populator), or run on EMR Serverless with --application-id.',
        });
      }
      if (o.jar !== undefined && isS3Uri(o.jar)) {
        throw new UserError(`The local runner runs a local jar, not ${o.jar}.`, {
          code: 'INVALID_FLAGS',
          hint: 'Give --jar a local file, or leave it out to build spark/.',
        });
      }
      if (o.jar !== undefined) await checkJar(o, undefined);
      checkedLocal = {
        staging: path.resolve(o.cwd, o.staging ?? DEFAULT_LOCAL_STAGING),
        logPath: o.logPath === undefined ? undefined : path.resolve(o.cwd, o.logPath),
        jar: o.jar === undefined ? undefined : path.resolve(o.cwd, o.jar),
        driverMemory: o.driverMemory ?? DEFAULT_LOCAL_DRIVER_MEMORY,
      };
    }

    return {
      runner,
      range,
      archive,
      storage,
      region,
      cliCredentials,
      s3Endpoint,
      dynamodbEndpoint,
      table,
      rate,
      skipExpired,
      runIds,
      warnings,
      local: checkedLocal,
      emr: checkedEmr,
      clients: { s3, emr },
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}

/** The application can take the job: Spark, not gone, startable, big enough for the sizing. */
async function checkApplication(
  emr: EmrServerlessClient,
  applicationId: string,
  sizing: EmrSizing,
): Promise<ApplicationInfo> {
  const app = await emr.getApplication(applicationId);
  const fix = `\`aws emr-serverless get-application --application-id ${applicationId}\` shows it`;
  if (app.type.toUpperCase() !== 'SPARK') {
    throw new UserError(
      `The EMR Serverless application ${applicationId} is a ${app.type} application, not Spark.`,
      {
        code: 'APPLICATION_TYPE',
        hint: 'Use a Spark application, or --create-application to create one.',
      },
    );
  }
  if (app.state === 'TERMINATED' || app.state === 'STOPPING') {
    throw new UserError(
      `The EMR Serverless application ${applicationId} is ${app.state} and cannot take a job.`,
      {
        code: 'APPLICATION_STATE',
        hint:
          app.state === 'TERMINATED'
            ? 'Use another application, or --create-application to create one.'
            : `Wait until it is STOPPED and submit again (${fix}).`,
      },
    );
  }
  if (!app.autoStart && app.state !== 'STARTED') {
    throw new UserError(
      `The EMR Serverless application ${applicationId} is ${app.state} and does not start by itself (auto-start is off).`,
      {
        code: 'APPLICATION_STATE',
        hint: `Start it: \`aws emr-serverless start-application --application-id ${applicationId}\`, then submit again.`,
      },
    );
  }
  const cpu = parseCapacity(app.maximumCapacity?.cpu, 'vCPU');
  if (cpu !== null && cpu < sizing.totalCpu) {
    throw new UserError(
      `The application ${applicationId} allows ${cpu} vCPUs at most, and the sizing needs ${sizing.totalCpu} (driver and ${sizing.executors} executors).`,
      {
        code: 'APPLICATION_CAPACITY',
        hint: "Lower --executors or --executor-cpu, or raise the application's maximum capacity.",
      },
    );
  }
  return app;
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
