/**
 * What `submit` prepares from the validator's result (`validateInputs`: every check `validate`
 * makes, and what those checks found: the table, the archive's runs, the application): the
 * runner's settings, the write rate, the jar and its build, the clients the next steps use. Nothing
 * the validator read is read again; the only reads here are the jar's own (what it was built for).
 */
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import type { ExistingManifestTable } from '../aws/dynamodb.js';
import { createEmrServerlessClient, type EmrServerlessClient } from '../aws/emr-serverless.js';
import { createS3Client, type S3Client } from '../aws/s3.js';
import type { ArchiveLocation } from '../domain/archive.js';
import type { ImportBilling, ImportRequest, InputPlaces } from '../domain/inputs.js';
import { importBillingOf } from '../domain/checks/import.js';
import { parseTags, type EmrSubmitFlags } from '../domain/checks/submit-flags.js';
import { ATTR_TTL } from '../domain/contract.js';
import type { JarBuildInfo } from '../domain/emr.js';
import {
  familyOfJar,
  releaseLabelToCreate,
  releaseProblem,
  SPARK_FAMILY,
  type SparkFamily,
} from '../domain/spark-family.js';
import { readJobVersion, type JobJar } from '../local/jar.js';
import type { EmrSizing } from '../domain/emr-sizing.js';
import { UserError } from '../domain/errors.js';
import { readJarBuildInfo } from '../domain/jar-info.js';
import type { RunnerName } from '../domain/run-record.js';
import { isS3Uri, joinS3Uri, parseS3Uri } from '../domain/s3-uri.js';
import type { StorageConfig } from '../domain/storage-config.js';
import type { TimeRange } from '../domain/time-range.js';
import { defaultWriteRate, type WriteRateSource } from '../domain/write-rate.js';
import { readLocalJarInfo } from '../local/file-range.js';
import type { ValidatedInputs } from './validate.js';

/** The local runner's staging root when --staging is not given (under the working directory). */
export const DEFAULT_LOCAL_STAGING = '.populator';

export type { EmrSubmitFlags } from '../domain/checks/submit-flags.js';

/** The inputs of a submit, as given (flags and arguments); `SubmitOptions` adds how it runs. */
export interface SubmitInputs extends InputPlaces {
  archive: string;
  storageConfigPath: string;
  resolverPath: string;
  /** WCU/s for the whole job; derived from the table when absent. */
  writeRate?: number;
  /** Write items whose TTL is already past (skipped by default when TTL is on). */
  writeExpired: boolean;
  /** Where the job runs; undefined: EMR Serverless when an application is given, else a usage error. */
  runner?: RunnerName;
  /** The local JVM's heap, or the EMR driver's memory. */
  driverMemory?: string;
  /** `--import`: create the table by DynamoDB's import from S3 (the job writes files, not items). */
  import?: ImportRequest;
  emr?: EmrSubmitFlags;
  /**
   * The identity the CLI uses instead of the default credential chain (the demo's stand-ins); the
   * storage config's static keys still win with the local runner.
   */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Where the package lives (spark/ and schemas/ are found from here). */
  projectRoot: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
}

/** The jar the EMR job will run: spark/'s (built first when stale), a local file (--jar, or the one populator ships with), an S3 one. */
export type JarSource =
  | { kind: 'build'; jar: JobJar & { kind: 'build' } }
  | { kind: 'local'; path: string }
  | { kind: 's3'; uri: string; size: number };

export interface CheckedEmr {
  /** An application to use, or one to create. */
  application:
    | { kind: 'existing'; info: { applicationId: string; releaseLabel: string } }
    | { kind: 'create'; releaseLabel: string };
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

export interface CheckedImport {
  billing: ImportBilling;
  /** The S3 staging root (`s3://bucket/prefix/`): the files go to `<it>runs/<run name>/import/`. */
  staging: string;
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
  /** EMR Serverless endpoint override (emr-serverless runner), as the validator resolved it. */
  emrEndpoint: string | undefined;
  /** The table as described; undefined with `import` (the import creates it). */
  table: ExistingManifestTable | undefined;
  /** The job's write rate; `import` when the job writes files for DynamoDB's import instead. */
  rate: { rate: number; source: 'flag' | WriteRateSource | 'import' };
  /** `submit --import`: the new table's billing and where the import's files go. */
  import: CheckedImport | undefined;
  /** The Spark family the job runs on: which jar, which classpath (the validator resolved it). */
  family: SparkFamily;
  /** The job jar the run uses, as the validator found it (`findJobJar`). */
  jobJar: JobJar;
  skipExpired: boolean;
  warnings: string[];
  local: CheckedLocal | undefined;
  emr: CheckedEmr | undefined;
  /** Clients the checks opened and the next steps reuse; `close()` them. */
  clients: { s3: S3Client | undefined; emr: EmrServerlessClient | undefined };
  close(): void;
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

/** Where the jar comes from and what it was built for (read only: building comes later). */
async function checkJar(
  o: SubmitInputs,
  s3: S3Client | undefined,
  family: SparkFamily,
  jobJar: JobJar,
): Promise<{ jar: JarSource; info: JarBuildInfo }> {
  const notOurs = (where: string): UserError =>
    new UserError(`${where} is not a populator job jar (it holds no populator-job pom).`, {
      code: 'JAR_INVALID',
      hint: 'Pass the shaded jar `mvn -f spark/pom.xml package` builds (spark/target/populator-job-<version>.jar), or leave out --jar.',
    });
  if (jobJar.kind === 'packaged') return { jar: { kind: 'local', path: jobJar.path }, info: jobJar.info };
  if (jobJar.kind === 'build') {
    const f = SPARK_FAMILY[family];
    const version = readJobVersion(jobJar.sparkDir);
    return {
      jar: { kind: 'build', jar: jobJar },
      info: { version, sparkVersion: f.sparkVersion, scalaBinaryVersion: f.scalaBinaryVersion },
    };
  }
  if (o.jar === undefined) throw new Error('a given job jar without --jar');
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
      hint: 'Build it with `mvn -f spark/pom.xml package` or leave out --jar to use the jar populator ships with (built from spark/ in a checkout).',
    });
  }
  const info = await readLocalJarInfo(file);
  if (info === null) throw notOurs(file);
  return { jar: { kind: 'local', path: file }, info };
}

/**
 * Prepares a submit from a passing validation (`v`, from `requireValid`). Throws a `UserError` only
 * for what the validator cannot know: a `--jar` that is no populator jar or was built for another
 * release than the application's.
 */
export async function prepareSubmit(o: SubmitInputs, v: ValidatedInputs): Promise<CheckedSubmit> {
  const runner = chooseRunner(o.runner, o.emr);
  const isEmr = runner === 'emr-serverless';
  const { storage, region, archive } = v;
  const table = v.table;
  const imported = o.import === undefined ? undefined : checkedImport(o.import, v);
  if (table === undefined && imported === undefined)
    throw new Error('a passing validation described no table');
  // On EMR Serverless the job writes with its execution role and the CLI reads with the caller's
  // identity: the config's keys are then not used at all, so they never reach any request.
  const cliCredentials = isEmr ? undefined : v.staticCredentials;
  const s3Endpoint = v.endpoints.s3?.url;
  const dynamodbEndpoint = v.endpoints.dynamodb?.url;
  const rate = rateOf(o, table);
  // Only TTL on the shredder's own attribute deletes our items; a table made by --import gets it.
  const skipExpired =
    !o.writeExpired &&
    (imported !== undefined || (table?.ttl === 'ENABLED' && table.ttlAttribute === ATTR_TTL));
  // The config's keys are DynamoDB's only: S3 and EMR Serverless get the caller's identity.
  const s3 =
    archive.kind === 's3' || isEmr
      ? createS3Client({ region, endpoint: s3Endpoint, credentials: o.credentials, profile: o.profile })
      : undefined;
  const emrEndpoint = isEmr ? v.endpoints['emr-serverless']?.url : undefined;
  const emr = isEmr
    ? createEmrServerlessClient({
        region,
        endpoint: emrEndpoint,
        credentials: o.credentials,
        profile: o.profile,
      })
    : undefined;
  const close = (): void => {
    s3?.destroy();
    emr?.destroy();
  };
  try {
    return {
      runner,
      range: v.range,
      archive,
      storage,
      region,
      cliCredentials,
      s3Endpoint,
      dynamodbEndpoint,
      emrEndpoint,
      table,
      rate,
      import: imported,
      family: v.family,
      jobJar: v.jobJar,
      skipExpired,
      warnings: [],
      local: isEmr ? undefined : await prepareLocal(o, v),
      emr: isEmr ? await prepareEmr(o, v, s3) : undefined,
      clients: { s3, emr },
      close,
    };
  } catch (e) {
    close();
    throw e;
  }
}

/** The write rate: --write-rate, else what the table takes; none when the job writes import files. */
function rateOf(o: SubmitInputs, table: ExistingManifestTable | undefined): CheckedSubmit['rate'] {
  if (o.import !== undefined || table === undefined) return { rate: 0, source: 'import' };
  return o.writeRate !== undefined ? { rate: o.writeRate, source: 'flag' } : defaultWriteRate(table);
}

/** `--import` as the validator passed it: whole billing, an S3 staging. */
function checkedImport(request: ImportRequest, v: ValidatedInputs): CheckedImport {
  const billing = importBillingOf(request);
  const staging = v.staging;
  if (billing === null || staging?.kind !== 's3')
    throw new Error('a passing --import validation resolved no billing or S3 staging');
  return { billing, staging: joinS3Uri(`s3://${staging.bucket}/${staging.prefix}`, '/') };
}

async function prepareLocal(o: SubmitInputs, v: ValidatedInputs): Promise<CheckedLocal> {
  // A --jar must be a populator job jar (the validator checked it is a jar).
  if (o.jar !== undefined) await checkJar(o, undefined, v.family, v.jobJar);
  // With --import, --staging is the S3 prefix of the import's files: the report stays here.
  const localStaging = o.staging === undefined || isS3Uri(o.staging) ? DEFAULT_LOCAL_STAGING : o.staging;
  return {
    staging: path.resolve(o.cwd, localStaging),
    logPath: o.logPath === undefined ? undefined : path.resolve(o.cwd, o.logPath),
    jar: o.jar === undefined ? undefined : path.resolve(o.cwd, o.jar),
    driverMemory: v.driverMemory,
  };
}

async function prepareEmr(
  o: SubmitInputs,
  v: ValidatedInputs,
  s3: S3Client | undefined,
): Promise<CheckedEmr> {
  const f = o.emr ?? {};
  const staging = v.staging;
  if (staging?.kind !== 's3' || v.emrSizing === undefined || v.roleArn === undefined)
    throw new Error('a passing EMR Serverless validation resolved no staging, sizing or role');
  const stagingUri = joinS3Uri(`s3://${staging.bucket}/${staging.prefix}`, '/');
  const { jar, info } = await checkJar(o, s3, v.family, v.jobJar);
  const application: CheckedEmr['application'] =
    v.application !== undefined
      ? {
          kind: 'existing',
          info: { applicationId: v.application.id, releaseLabel: v.application.releaseLabel },
        }
      : {
          kind: 'create',
          releaseLabel: v.createReleaseLabel ?? releaseLabelToCreate(f.releaseLabel, v.family),
        };
  const releaseLabel =
    application.kind === 'existing' ? application.info.releaseLabel : application.releaseLabel;
  // An s3:// --jar is read only here (the validator does not fetch it).
  const problem = releaseProblem(releaseLabel, {
    family: familyOfJar(info),
    built: `Spark ${info.sparkVersion} / Scala ${info.scalaBinaryVersion}`,
  });
  if (problem !== null) {
    throw new UserError(`The application cannot run the job: ${problem.message}.`, {
      code: 'RELEASE_LABEL',
      hint: problem.hint,
    });
  }
  return {
    application,
    releaseLabel,
    executionRoleArn: v.roleArn.arn,
    staging: stagingUri,
    logUri: o.logPath ?? joinS3Uri(stagingUri, 'logs/'),
    sizing: v.emrSizing,
    // Bad tags were refused with the validator's failures (submitOnlyFlagIssues).
    tags: parseTags(f.tags ?? [], []),
    name: f.name,
    timeoutMinutes: f.timeoutMinutes,
    jar,
    jarInfo: info,
  };
}
