/**
 * The validator: every check that can fail before a job starts or money is spent, run in one go
 * and returned as data (STYLE habit 5). `populator validate` renders the checks; `submit` runs the
 * same validator first and starts nothing when a check failed, then uses what it resolved (the
 * config, the table's description, the toolchain) instead of finding it again.
 *
 * Offline checks (files, flags, toolchain, local paths and a local archive) always run. Online
 * checks (credentials, an S3 archive, the table, S3 staging, EMR Serverless, the execution role)
 * need AWS and are skipped with `offline`; each group runs when what it needs passed, and otherwise says which
 * earlier problem it waits for. The only write is validate's marker in an S3 staging prefix.
 */
import { accessSync, constants, existsSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DateTime } from 'luxon';

// The AWS adapters (and the SDK behind them) load only when an online check runs: --offline and
// the probes that fail on a flag stay quick.
import type { ExistingManifestTable } from '../aws/dynamodb.js';
import type { IamClient } from '../aws/iam.js';
import type { CallerIdentity } from '../aws/sts.js';
import { clientConfig, type AwsAccess, type StaticKeys } from '../aws/access.js';
import type { ArchiveLocation } from '../domain/archive.js';
import { emrApplicationArn, type RoleArn } from '../domain/aws-names.js';
import { profileNames, sharedFilePaths } from '../domain/aws-profiles.js';
import {
  archiveChecks,
  ARCHIVE_CHECK_IDS,
  type ArchiveObjects,
  type ArchiveTop,
} from '../domain/checks/archive.js';
import { configChecks } from '../domain/checks/config.js';
import { nodeCheck } from '../domain/checks/toolchain.js';
import { submitFlagChecks, type EmrSubmitFlags } from '../domain/checks/submit-flags.js';
import {
  applicationChecks,
  quotaCheck,
  releaseCheck,
  type ReleaseWants,
  EMR_CHECK_IDS,
  type ApplicationFacts,
} from '../domain/checks/emr.js';
import {
  flagChecks,
  type AwsService,
  type Endpoint,
  type ResolvedFlags,
  type Runner,
} from '../domain/checks/flags.js';
import { permissionsCheck, trustCheck, ROLE_CHECK_IDS } from '../domain/checks/role.js';
import { tableChecks, TABLE_CHECK_IDS } from '../domain/checks/table.js';
import {
  checksOf,
  countChecks,
  skipAll,
  sortChecks,
  checkToIssue,
  type Check,
  type CheckCounts,
  type CheckGroup,
} from '../domain/checks.js';
import { EMR_VCPU_QUOTA, type EmrSizing, type SizingInput } from '../domain/emr-sizing.js';
import { UserError, isUserError, type ValidationIssue } from '../domain/errors.js';
import type { ImportRequest, InputPlaces } from '../domain/inputs.js';
import { importFlagChecks } from '../domain/checks/import.js';
import { isGzipName } from '../domain/line-sample.js';
import { roughImportCost } from '../domain/plan.js';
import {
  defaultLogPlace,
  executionRoleRequests,
  joinKey,
  WRITE_CHECK_MARKER,
  type PolicyContext,
  type S3Place,
  type SimulatedRequest,
} from '../domain/iam-policy.js';
import type { StorageConfig } from '../domain/storage-config.js';
import type { TimeRange } from '../domain/time-range.js';
import {
  DEFAULT_SPARK_FAMILY,
  describeFamily,
  familyOfJar,
  familyOfRelease,
  isSparkFamily,
  releaseLabelToCreate,
  SPARK_FAMILIES,
  type JarBuildInfo,
  type SparkFamily,
} from '../domain/spark-family.js';
import { readLocalJarInfo } from '../local/file-range.js';
import { localClasspathSource, type ClasspathSource } from '../local/classpath.js';
import { findJobJar, type JobJar } from '../local/jar.js';
import { folderCreationProblem } from '../local/folders.js';
import { sparkHomeAt } from '../local/spark-home.js';
import { locateJava, locateMaven, toolchainOf, type Toolchain } from '../local/toolchain.js';
import { listArchive, type ArchiveSelection, type RunFile } from './archive-files.js';
import { loadInputs, type FetchLike } from './config-loader.js';

/** The options inside: the runner chosen, and what the application's release must run. */
type Opts = ValidateOptions & { runner: Runner; release: ReleaseWants };

export interface ValidateOptions extends InputPlaces {
  /** `submit --skip-present`: the role must also be allowed dynamodb:BatchGetItem. */
  skipPresent?: boolean;
  /** `submit --import`: the table must not exist yet, the files go to an S3 staging. */
  import?: ImportRequest;
  archive: string;
  storageConfigPath: string;
  resolverPath: string;
  /** Default emr-serverless (DESIGN 2), as submit's. */
  runner?: Runner;
  applicationId?: string;
  /**
   * `submit --create-application`: the application does not exist yet; the release label it will
   * have is checked (`--release-label`, else the newest of the family `--spark` or `--jar` asks for).
   */
  createApplication?: { releaseLabel?: string };
  executionRoleArn?: string;
  /** The flags only a submit has (--name, --tag, --timeout, --release-label, the application flags): checked with EMR Serverless. */
  submitFlags?: EmrSubmitFlags;
  sizing: SizingInput;
  /** The identity for every AWS call instead of the storage config's keys or the default chain. */
  credentials?: StaticKeys;
  /** False for `submit --dry-run`: not even validate's staging marker is written. Default true. */
  writes?: boolean;
  /** --write-rate, when given: checked against the table's capacity. */
  writeRate?: number;
  writeExpired?: boolean;
  /** Run only the checks that need no network. */
  offline: boolean;
  /** Flags (`--region`) whose value came from an environment variable, with that variable. */
  fromEnv?: Readonly<Record<string, string>>;
  /** Where the package lives (spark/ and schemas/ are found from here). */
  projectRoot: string;
  cacheDir: string;
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** The user's home, for ~/.aws; default `os.homedir()`. */
  home?: string;
  /** For the run name in the simulated requests; default now. */
  now?: DateTime;
  /** This Node.js (`process.version`), for the toolchain group. */
  nodeVersion?: string;
  /** HTTP for the resolver's repositories; default `fetch`. */
  fetch?: FetchLike;
}

/** What a passing validation resolved, for the runner. */
export interface ValidatedInputs {
  storage: StorageConfig;
  archive: ArchiveLocation;
  range: TimeRange;
  region: string;
  endpoints: Partial<Record<AwsService, Endpoint>>;
  /** The storage config's static keys, when it has them (the CLI's AWS calls use them). */
  staticCredentials?: StaticKeys;
  driverMemory: string;
  emrSizing?: EmrSizing;
  staging?: ArchiveLocation;
  logPath?: ArchiveLocation;
  applicationId?: string;
  roleArn?: RoleArn;
  /** Java (and Maven when the jar or the classpath must be built) for the local runner and the jar build. */
  toolchain?: Toolchain;
  /** `--jar`, absolute. */
  jar?: string;
  /** The job jar the run uses (`findJobJar`: `--jar`, spark/'s build, or the jar populator ships with). */
  jobJar: JobJar;
  /**
   * The Spark family the run uses: the application's release (EMR Serverless: an existing one, or
   * the label `--create-application` will use), else `--spark`, else a `--jar`'s own, else 3.5.
   */
  family: SparkFamily;
  /** The release label `--create-application` makes the application with. */
  createReleaseLabel?: string;
  /** Online results; absent with `offline`. */
  identity?: CallerIdentity;
  archiveTop?: ArchiveTop;
  selectedRuns?: string[];
  archiveObjects?: ArchiveObjects;
  /** The files of the selected runs the job reads (what the plan samples). */
  archiveFiles?: RunFile[];
  table?: ExistingManifestTable;
  /** The EMR Serverless application of --application-id, as GetApplication described it. */
  application?: ApplicationFacts;
}

export interface ValidationReport {
  /** In group order. */
  checks: Check[];
  counts: CheckCounts;
  /** Present when no check failed. */
  inputs?: ValidatedInputs;
}

/** Runs every check; never throws for a problem with the inputs (only for bugs). */
export async function validateInputs(options: ValidateOptions): Promise<ValidationReport> {
  const runner = options.runner ?? 'emr-serverless';
  const fromEnv = options.fromEnv ?? {};
  const storagePath = path.resolve(options.cwd, options.storageConfigPath);
  const { checks, storage } = await inputChecks({ ...options, runner, release: {} }, storagePath);
  const jarFound = await jarChecks(options, runner, fromEnv);
  const o: Opts = { ...options, runner, release: releaseWants(options.spark, jarFound.info) };
  const flags = flagGroupChecks(o, storage, storagePath, fromEnv);
  const { resolved } = flags;
  const { jar } = jarFound;
  checks.push(...flags.checks, ...jarFound.checks, ...sparkChecks(o));

  // Local paths need no network either.
  checks.push(...localPathChecks(o.runner, resolved, fromEnv, o.cwd, o.writes !== false));

  const staticCredentials =
    storage?.credentials.kind === 'static'
      ? { accessKeyId: storage.credentials.accessKeyId, secretAccessKey: storage.credentials.secretAccessKey }
      : undefined;
  const archiveAndAws = await archiveAndAwsChecks(o, storage, resolved, staticCredentials, fromEnv);
  checks.push(...archiveAndAws.checks);

  // The toolchain once the family is known (an existing application's release picks it).
  const family = runFamily(o, archiveAndAws.found.application);
  const found = await jobJarCheck(o, family, jar ?? o.jar);
  const toolchain = await toolchainChecks(o, resolved, family, found.jobJar);
  checks.push(nodeCheck(o.nodeVersion ?? process.version), ...found.checks, ...toolchain.checks);

  const sorted = sortChecks(checks);
  const counts = countChecks(sorted);
  const report: ValidationReport = { checks: sorted, counts };
  if (counts.fail > 0) return report;
  const inputs = resolvedInputs(storage, resolved, {
    ...(staticCredentials ? { staticCredentials } : {}),
    ...(toolchain.toolchain ? { toolchain: toolchain.toolchain } : {}),
    ...(jar ? { jar } : {}),
    ...(found.jobJar ? { jobJar: found.jobJar } : {}),
    family,
    ...(o.createApplication === undefined ? {} : { createReleaseLabel: createLabel(o) }),
    found: archiveAndAws.found,
  });
  if (inputs !== undefined) report.inputs = inputs;
  return report;
}

/** Inputs: both files, the resolver's lookup of the storage config's schema. */
async function inputChecks(
  o: Opts,
  storagePath: string,
): Promise<{ checks: Check[]; storage?: StorageConfig }> {
  const resolverPath = path.resolve(o.cwd, o.resolverPath);
  const loaded = await loadInputs({
    storageConfigPath: storagePath,
    resolverPath,
    bundledSchemasDir: path.join(o.projectRoot, 'schemas', 'iglu'),
    skipHttp: o.offline,
    ...(o.fetch ? { fetch: o.fetch } : {}),
  });
  const checks = [...configChecks(loaded, { storagePath, resolverPath, runner: o.runner })];
  return loaded.ok ? { checks, storage: loaded.storage } : { checks };
}

/** The flags (with --import's and submit's own) and --jar, and what they resolved. */
function flagGroupChecks(
  o: Opts,
  storage: StorageConfig | undefined,
  storagePath: string,
  fromEnv: Readonly<Record<string, string>>,
): { checks: Check[]; resolved: ResolvedFlags } {
  const flags = flagChecks({
    runner: o.runner,
    archive: o.archive,
    cwd: o.cwd,
    since: o.since,
    until: o.until,
    region: o.region,
    configRegion: storage ? { value: storage.region, source: storagePath } : undefined,
    endpointFlags: { dynamodb: o.dynamodbEndpoint, s3: o.s3Endpoint },
    env: o.env,
    staging: o.staging,
    logPath: o.logPath,
    applicationId: o.applicationId,
    createApplication: o.createApplication !== undefined,
    importStaging: o.import !== undefined,
    executionRoleArn: o.executionRoleArn,
    sizing: o.sizing,
    fromEnv,
  });
  const { resolved } = flags;
  const checks = [...flags.checks];
  if (o.import !== undefined) {
    checks.push(
      ...importFlagChecks({
        runner: o.runner,
        staging: o.staging,
        request: o.import,
        skipPresent: o.skipPresent === true,
      }),
    );
  }
  if (o.runner === 'emr-serverless' && o.submitFlags !== undefined)
    checks.push(...submitFlagChecks({ ...o.submitFlags, spark: o.spark }));
  return { checks, resolved };
}

/** `--jar`: its check, the absolute path of a local one, and what it was built for when it could be read. */
async function jarChecks(
  o: ValidateOptions,
  runner: Runner,
  fromEnv: Readonly<Record<string, string>>,
): Promise<{ checks: Check[]; jar?: string; info?: JarBuildInfo }> {
  const source = fromEnv['--jar'] ?? '--jar';
  if (o.jar === undefined) return { checks: [] };
  if (/^s3[an]?:\/\//i.test(o.jar)) return { checks: [s3JarCheck(o.jar, runner, source)] };
  const jar = path.resolve(o.cwd, o.jar);
  const { check, info } = await jarCheck(jar, source);
  return info === undefined ? { checks: [check], jar } : { checks: [check], jar, info };
}

/** What the application's release must run: `--spark` (when a family) and the `--jar` read. */
function releaseWants(spark: string | undefined, info: JarBuildInfo | undefined): ReleaseWants {
  return {
    ...(spark !== undefined && isSparkFamily(spark) ? { spark } : {}),
    ...(info === undefined
      ? {}
      : {
          jar: {
            family: familyOfJar(info),
            built: `Spark ${info.sparkVersion} / Scala ${info.scalaBinaryVersion}`,
          },
        }),
  };
}

/** The release label `--create-application` will use. */
function createLabel(o: Opts): string {
  return releaseLabelToCreate(o.createApplication?.releaseLabel, o.release.spark ?? o.release.jar?.family);
}

/** The family of the run (ValidatedInputs.family). */
function runFamily(o: Opts, application: ApplicationFacts | undefined): SparkFamily {
  const asked = o.release.spark ?? o.release.jar?.family;
  if (o.runner === 'emr-serverless') {
    if (application !== undefined)
      return familyOfRelease(application.releaseLabel) ?? asked ?? DEFAULT_SPARK_FAMILY;
    if (o.createApplication !== undefined)
      return familyOfRelease(createLabel(o)) ?? asked ?? DEFAULT_SPARK_FAMILY;
  }
  return asked ?? DEFAULT_SPARK_FAMILY;
}

/**
 * `--spark`: a family the job is built for; for the local runner, the family it runs (the `--jar`'s
 * must agree; S3 works on both, through the family's S3A profile). On EMR Serverless the application's
 * release is checked against it (emr.release).
 */
function sparkChecks(o: Opts): Check[] {
  const { pass, fail } = checksOf('flags');
  const source = o.fromEnv?.['--spark'] ?? '--spark';
  if (o.spark !== undefined && !isSparkFamily(o.spark)) {
    return [
      fail('flags.spark', `--spark ${o.spark} is not a Spark family the job is built for`, {
        source,
        code: 'INVALID_FLAGS',
        hint: `Give --spark ${SPARK_FAMILIES.join(' or --spark ')}.`,
      }),
    ];
  }
  if (o.runner !== 'local') return [];
  const { spark, jar } = o.release;
  if (spark !== undefined && jar !== undefined && jar.family !== spark) {
    return [
      fail('flags.spark', `--spark ${spark} was asked for, but the --jar is built for ${jar.built}`, {
        source,
        code: 'SPARK_FAMILY_MISMATCH',
        hint: `Leave out --jar (populator uses the Spark ${spark} jar it ships with, or builds it in a checkout), or leave out --spark to run the jar on its own family.`,
      }),
    ];
  }
  const family = spark ?? jar?.family ?? DEFAULT_SPARK_FAMILY;
  const why =
    spark !== undefined ? '--spark' : jar !== undefined ? 'the --jar is built for it' : 'the default';
  return [
    pass(
      'flags.spark',
      `${describeFamily(family)} on this machine (${why})`,
      spark === undefined ? {} : { source },
    ),
  ];
}

/** A local archive (listed offline too), then the online groups, or their skips with `offline`. */
async function archiveAndAwsChecks(
  o: Opts,
  storage: StorageConfig | undefined,
  resolved: ResolvedFlags,
  staticCredentials: StaticKeys | undefined,
  fromEnv: Readonly<Record<string, string>>,
): Promise<{ checks: Check[]; found: Found }> {
  const checks: Check[] = [];
  // What the archive, table and credentials checks found.
  const found: Found = {};
  if (resolved.archive?.kind === 'local') {
    const local = await localArchiveChecks(resolved.archive, resolved.range);
    checks.push(...local.checks);
    Object.assign(found, local.found);
  }
  if (o.offline) {
    checks.push(
      ...skipOnline(o.runner, resolved, 'skipped: --offline', 'Run without --offline to check it.'),
    );
  } else {
    checks.push(...(await onlineChecks(o, storage, resolved, staticCredentials, found, fromEnv)));
  }
  return { checks, found };
}

/** What a validation without failures resolved, for the runner (none without a storage config, archive and region). */
function resolvedInputs(
  storage: StorageConfig | undefined,
  resolved: ResolvedFlags,
  extra: {
    staticCredentials?: StaticKeys;
    toolchain?: Toolchain;
    jar?: string;
    jobJar?: JobJar;
    family: SparkFamily;
    createReleaseLabel?: string;
    found: Found;
  },
): ValidatedInputs | undefined {
  const { staticCredentials, toolchain, jar, jobJar, family, createReleaseLabel, found } = extra;
  if (
    storage === undefined ||
    resolved.archive === undefined ||
    resolved.region === undefined ||
    jobJar === undefined
  ) {
    return undefined;
  }
  return {
    family,
    jobJar,
    ...(createReleaseLabel === undefined ? {} : { createReleaseLabel }),
    storage,
    archive: resolved.archive,
    range: resolved.range ?? {},
    region: resolved.region,
    endpoints: resolved.endpoints,
    ...(staticCredentials ? { staticCredentials } : {}),
    driverMemory: resolved.driverMemory,
    ...(resolved.emrSizing ? { emrSizing: resolved.emrSizing } : {}),
    ...(resolved.staging ? { staging: resolved.staging } : {}),
    ...(resolved.logPath ? { logPath: resolved.logPath } : {}),
    ...(resolved.applicationId ? { applicationId: resolved.applicationId } : {}),
    ...(resolved.roleArn ? { roleArn: resolved.roleArn } : {}),
    ...(toolchain ? { toolchain } : {}),
    ...(jar ? { jar } : {}),
    ...found,
  };
}

/**
 * The inputs of a validation without failures, or the `UserError` (exit 2) that lists every failed
 * check. One failure keeps its own message, hint and code; several are listed as issues.
 */
export function requireValid(
  report: ValidationReport,
  extra: readonly ValidationIssue[] = [],
): ValidatedInputs {
  const failed = report.checks.filter((c) => c.status === 'fail');
  if (failed.length === 0 && extra.length === 0 && report.inputs !== undefined) return report.inputs;
  if (failed.length === 0 && extra.length === 0) {
    throw new Error('a validation without failures resolved no inputs');
  }
  const [only] = failed;
  if (failed.length === 1 && extra.length === 0 && only !== undefined) {
    throw new UserError(capitalize(only.message) + '.', {
      code: only.code ?? 'VALIDATION_FAILED',
      hint: `${only.hint ?? 'Fix it and run again.'} Nothing was started.`,
      issues: [checkToIssue(only)],
    });
  }
  const issues = [...failed.map(checkToIssue), ...extra];
  if (issues.length === 1 && extra[0] !== undefined) {
    throw new UserError(capitalize(extra[0].message) + '.', {
      code: 'INVALID_FLAGS',
      hint: `${extra[0].hint ?? 'Fix it and run again.'} Nothing was started.`,
      issues,
    });
  }
  throw new UserError(`${issues.length} problems found before anything was started.`, {
    code: 'VALIDATION_FAILED',
    hint: 'Fix each problem and run again; `populator validate` with the same arguments shows every check.',
    issues,
  });
}

/** The warnings of a report, one line each, for the runner to print (Node.js's age is validate's to say). */
export function warningLines(report: ValidationReport): string[] {
  return report.checks
    .filter((c) => c.status === 'warn' && c.id !== 'toolchain.node')
    .map(
      (c) => `${c.source !== undefined && !c.message.includes(c.source) ? `${c.source}: ` : ''}${c.message}`,
    );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

// ---------------------------------------------------------------------------------------------
// Offline: local paths, the jar, the toolchain

/** The checks of `--staging` / `--log-path` when they are local: not a file, and writable (or creatable). */
function localPathChecks(
  runner: Runner,
  r: ResolvedFlags,
  fromEnv: Readonly<Record<string, string>>,
  cwd: string,
  probe: boolean,
): Check[] {
  const { pass, fail } = checksOf('staging');
  const checks: Check[] = [];
  const places: [string, string, ArchiveLocation | undefined][] = [
    ['staging.writable', '--staging', r.staging],
    ['staging.log-path', '--log-path', r.logPath],
  ];
  for (const [id, flag, location] of places) {
    // The local runner's report stays on this machine, also when --import puts its files on S3.
    const localReport = runner === 'local' && flag === '--staging' && location?.kind === 's3';
    if (location === undefined || localReport) {
      if (runner === 'local' && flag === '--staging') {
        const problem = folderProblem(path.join(cwd, '.populator'), probe);
        checks.push(
          problem === null
            ? pass(id, 'the default .populator/runs/<run name> under the current folder')
            : fail(id, `the default staging folder ${path.join(cwd, '.populator')} ${problem.message}`, {
                code: problem.code,
                hint: `${problem.hint} Or give --staging.`,
              }),
        );
      }
      continue;
    }
    if (location.kind !== 'local') continue;
    const source = fromEnv[flag] ?? flag;
    const problem = folderProblem(location.path, probe);
    checks.push(
      problem === null
        ? pass(
            id,
            `${location.path} (${existsSync(location.path) ? 'exists' : 'created when the job starts'})`,
            { source },
          )
        : fail(
            id,
            `${flag} ${location.path} ${problem.message}${fromEnv[flag] ? ` (set by the environment variable ${fromEnv[flag]})` : ''}`,
            {
              source,
              code: problem.code,
              hint: problem.hint,
            },
          ),
    );
  }
  return checks;
}

/** Why a local folder cannot be written, or null. A missing folder is fine when its nearest existing parent is a writable folder. */
function folderProblem(p: string, probe: boolean): { message: string; hint: string; code: string } | null {
  let existing = p;
  while (!existsSync(existing)) {
    const parent = path.dirname(existing);
    if (parent === existing) break;
    existing = parent;
  }
  const st = statSync(existing);
  if (!st.isDirectory()) {
    return existing === p
      ? {
          message: 'is a file, not a folder',
          hint: 'Give a folder (it is created when missing), not a file.',
          code: 'PATH_IS_FILE',
        }
      : {
          message: `cannot be created: ${existing} is a file`,
          hint: 'Give a folder whose parents are folders.',
          code: 'PATH_IS_FILE',
        };
  }
  try {
    accessSync(existing, constants.W_OK);
  } catch {
    return {
      message: existing === p ? 'is not writable' : `cannot be created: ${existing} is not writable`,
      hint: 'Give a folder you may write to.',
      code: 'PATH_NOT_WRITABLE',
    };
  }
  // Permissions are not the whole story (root may write anywhere, and /proc takes no folder at all):
  // the first missing level is made and removed.
  // With --dry-run (probe false) nothing is made, not even for a moment.
  const creation = probe ? folderCreationProblem(p) : null;
  if (creation !== null) {
    return { message: creation, hint: 'Give a folder you may write to.', code: 'PATH_NOT_WRITABLE' };
  }
  return null;
}

/** `--jar s3://...`: EMR Serverless reads it as it is (submit checks it is there); the local runner cannot. */
function s3JarCheck(uri: string, runner: Runner, source: string): Check {
  const { pass, fail } = checksOf('flags');
  return runner === 'emr-serverless'
    ? pass('flags.jar', `${uri} (used as it is)`, { source })
    : fail('flags.jar', `the local runner cannot run the jar ${uri} from S3`, {
        source,
        code: 'JAR_INVALID',
        hint: 'Give --jar a local file, or leave it out to use the jar populator ships with (built from spark/ in a checkout).',
      });
}

/** `--jar`: a populator job jar (a zip holding its build info), and what it was built for. */
async function jarCheck(jar: string, source: string): Promise<{ check: Check; info?: JarBuildInfo }> {
  const { pass, fail } = checksOf('flags');
  if (!existsSync(jar)) {
    return {
      check: fail('flags.jar', `the job jar ${jar} does not exist`, {
        source,
        code: 'JAR_NOT_FOUND',
        hint: 'Build it with `mvn -f spark/pom.xml package`, or leave out --jar to use the jar populator ships with (built from spark/ in a checkout).',
      }),
    };
  }
  const info = await readLocalJarInfo(jar);
  if (info === null) {
    return {
      check: fail('flags.jar', `${jar} is not a populator job jar (no jar, or one without its build info)`, {
        source,
        code: 'JAR_INVALID',
        hint: 'Give the shaded jar `mvn -f spark/pom.xml package` builds (spark/target/populator-job-<version>.jar), or leave out --jar.',
      }),
    };
  }
  const family = familyOfJar(info);
  const built = `Spark ${info.sparkVersion} / Scala ${info.scalaBinaryVersion}`;
  if (family === undefined) {
    return {
      check: fail('flags.jar', `${jar} is built for ${built}, which no EMR release populator knows runs`, {
        source,
        code: 'JAR_INVALID',
        hint: `Give a jar built for ${SPARK_FAMILIES.map(describeFamily).join(' or ')}, or leave out --jar.`,
      }),
    };
  }
  return {
    check: pass('flags.jar', `${jar}: populator-job ${info.version}, ${describeFamily(family)}`, { source }),
    info,
  };
}

/**
 * The job jar the run uses (`findJobJar`): a check of its own only for the jar populator ships with
 * (a `--jar` is checked with the flags; spark/'s is built when stale, which the toolchain says).
 */
async function jobJarCheck(
  o: Opts,
  family: SparkFamily,
  given: string | undefined,
): Promise<{ checks: Check[]; jobJar?: JobJar }> {
  const { pass, fail } = checksOf('toolchain');
  try {
    const jobJar = await findJobJar(family, { projectRoot: o.projectRoot, jar: given });
    if (jobJar.kind !== 'packaged') return { checks: [], jobJar };
    const { info } = jobJar;
    return {
      checks: [
        pass(
          'toolchain.jar',
          `populator-job ${info.version}, ${describeFamily(family)}: the jar populator ships with (${jobJar.path})`,
        ),
      ],
      jobJar,
    };
  } catch (e) {
    if (!isUserError(e)) throw e;
    return { checks: [fail('toolchain.jar', e.message.replace(/\.$/, ''), { hint: e.hint, code: e.code })] };
  }
}

/** Why no Java is needed for a run on EMR Serverless: where its jar comes from. */
function jarWithoutJava(jobJar: JobJar | undefined, family: SparkFamily): string {
  if (jobJar?.kind === 'given') return '--jar is given';
  if (jobJar?.kind === 'packaged') return `the Spark ${family} job jar comes with populator`;
  return `the Spark ${family} job jar is built and up to date`;
}

/**
 * Java for a local run and for building spark/'s jar; Maven only to build that jar or to resolve a
 * local run's Spark classpath (when it is not cached and SPARK_HOME cannot give it). With the jar
 * populator ships with (or a --jar), a run on EMR Serverless needs neither.
 */
async function toolchainChecks(
  o: Opts,
  r: ResolvedFlags,
  family: SparkFamily,
  jobJar: JobJar | undefined,
): Promise<{ checks: Check[]; toolchain?: Toolchain }> {
  const { pass, fail, skipped } = checksOf('toolchain');
  const buildJar = jobJar?.kind === 'build' && jobJar.stale;
  const local = o.runner === 'local';
  const classpath = local
    ? localClasspathSource({
        sparkDir: path.join(o.projectRoot, 'spark'),
        cacheDir: o.cacheDir,
        env: o.env,
        s3: r.archive?.kind === 's3' || o.import !== undefined,
        family,
      })
    : undefined;
  const checks: Check[] = [];
  if (!local && !buildJar) {
    const why = jarWithoutJava(jobJar, family);
    checks.push(
      skipped(
        'toolchain.java',
        `not needed: the job runs on EMR Serverless and ${why} (local runs need Java 17 or 21)`,
      ),
      skipped(
        'toolchain.maven',
        `not needed: ${why} (local runs need SPARK_HOME or Maven for their Spark classpath)`,
      ),
    );
    return { checks };
  }
  const java = await locateJava(o.env);
  const javaFor = local ? 'for the local run' : `to build the Spark ${family} job jar`;
  if (java.ok) {
    checks.push(
      pass(
        'toolchain.java',
        `Java ${java.value.major} (${java.value.java}, from its ${java.value.versionFrom}), ${javaFor}`,
      ),
    );
  } else {
    checks.push(
      fail('toolchain.java', `${java.error.message.replace(/\.$/, '')} (needed ${javaFor})`, {
        hint: java.error.hint,
        code: java.error.code,
      }),
    );
  }
  const maven = mavenCheck(o, family, jobJar, classpath);
  checks.push(maven.check);
  if (local && r.localMaster !== undefined) checks.push(sparkHomeCheck(o.env, r.localMaster, family));
  if (!java.ok || checks.some((c) => c.status === 'fail')) return { checks };
  return { checks, toolchain: toolchainOf(java.value, maven.mvn ?? 'mvn', o.env) };
}

/** Maven: needed to build spark/'s stale jar, or to resolve a local run's classpath when nothing else gives it. */
function mavenCheck(
  o: Opts,
  family: SparkFamily,
  jobJar: JobJar | undefined,
  classpath: ClasspathSource | undefined,
): { check: Check; mvn?: string } {
  const { pass, fail, skipped } = checksOf('toolchain');
  const buildJar = jobJar?.kind === 'build' && jobJar.stale;
  const jarWhy = buildJar
    ? `to build the Spark ${family} job jar (${existsSync(jobJar.path) ? 'its sources changed' : 'not built yet'})`
    : undefined;
  if (jarWhy === undefined && classpath?.kind === 'none') {
    return {
      check: fail('toolchain.maven', classpath.problem, { hint: classpath.hint, code: 'MAVEN_NOT_FOUND' }),
    };
  }
  const classpathWhy =
    classpath?.kind === 'maven'
      ? `to resolve the Spark ${family} classpath (once; cached afterwards)`
      : undefined;
  const why = jarWhy ?? classpathWhy;
  if (why === undefined) {
    const jar = jarWithoutJava(jobJar, family);
    const cp =
      classpath === undefined
        ? ''
        : classpath.kind === 'spark-home'
          ? ` and the Spark classpath comes from SPARK_HOME=${classpath.home}`
          : ' and the Spark classpath is cached';
    return { check: skipped('toolchain.maven', `not needed: ${jar}${cp}`) };
  }
  const maven = locateMaven(o.env);
  if (maven.ok) return { check: pass('toolchain.maven', `${maven.value}, ${why}`), mvn: maven.value };
  return {
    check: fail('toolchain.maven', `${maven.error.message.replace(/\.$/, '')} (needed ${why})`, {
      hint: maven.error.hint,
      code: maven.error.code,
    }),
  };
}

/** Where a local cluster's executor JVMs start from: SPARK_HOME when set (checked), else the Maven classpath. */
function sparkHomeCheck(env: NodeJS.ProcessEnv, master: string, family: SparkFamily): Check {
  const { pass, fail } = checksOf('toolchain');
  const given = env.SPARK_HOME;
  if (given === undefined || given === '')
    return pass(
      'toolchain.spark-home',
      `${master}: executor JVMs start from a Spark home made of the Maven-resolved classpath (set SPARK_HOME to use a Spark ${family} distribution instead)`,
    );
  try {
    sparkHomeAt(given, [], 'SPARK_HOME', family);
    return pass('toolchain.spark-home', `${master}: executor JVMs start from SPARK_HOME=${given}`);
  } catch (e) {
    if (!(e instanceof UserError)) throw e;
    return fail('toolchain.spark-home', e.message, { hint: e.hint, code: e.code, source: 'SPARK_HOME' });
  }
}

// ---------------------------------------------------------------------------------------------
// The archive

interface Found {
  identity?: CallerIdentity;
  archiveFiles?: RunFile[];
  application?: ApplicationFacts;
  archiveTop?: ArchiveTop;
  selectedRuns?: string[];
  archiveObjects?: ArchiveObjects;
  table?: ExistingManifestTable;
}

async function localArchiveChecks(
  archive: Extract<ArchiveLocation, { kind: 'local' }>,
  range: TimeRange | undefined,
): Promise<{ checks: Check[]; found: Found }> {
  const { fail } = checksOf('archive');
  if (!existsSync(archive.path)) {
    return {
      checks: [
        fail('archive.runs', `the archive ${archive.path} does not exist`, {
          source: 'archive',
          code: 'ARCHIVE_NOT_FOUND',
          hint: 'Pass the folder that holds the run=YYYY-MM-dd-HH-mm-ss folders of enriched events.',
        }),
        ...skipAll(
          'archive',
          ['archive.selection', 'archive.objects'],
          'skipped: the archive does not exist',
        ),
      ],
      found: {},
    };
  }
  if (!statSync(archive.path).isDirectory()) {
    return {
      checks: [
        fail('archive.runs', `the archive ${archive.path} is a file, not a folder`, {
          source: 'archive',
          code: 'ARCHIVE_NOT_FOLDER',
          hint: 'Pass the folder that holds the run=YYYY-MM-dd-HH-mm-ss folders, not one file.',
        }),
        ...skipAll(
          'archive',
          ['archive.selection', 'archive.objects'],
          'skipped: the archive is not a folder',
        ),
      ],
      found: {},
    };
  }
  return listed(range, () => listArchive(archive, range ?? null));
}

/** The archive checks of a listing, and what it found (the selected runs' files for the plan). */
async function listed(
  range: TimeRange | undefined,
  list: () => Promise<ArchiveSelection>,
): Promise<{ checks: Check[]; found: Found }> {
  const l = await list();
  const selected = l.selected;
  const objects: ArchiveObjects | undefined =
    selected.length === 0
      ? undefined
      : { objects: l.files.length, bytes: l.files.reduce((n, f) => n + f.size, 0), skipped: l.skipped };
  return {
    checks: archiveChecks(l.top, range, objects),
    found: {
      archiveTop: l.top,
      selectedRuns: selected,
      ...(objects ? { archiveObjects: objects, archiveFiles: l.files } : {}),
    },
  };
}

async function s3ArchiveChecks(
  archive: Extract<ArchiveLocation, { kind: 's3' }>,
  range: TimeRange | undefined,
  access: AwsAccess,
): Promise<{ checks: Check[]; found: Found }> {
  const { createS3Client } = await import('../aws/s3.js');
  const s3 = createS3Client(access);
  try {
    return await listed(range, () => listArchive(archive, range ?? null, s3));
  } catch (error) {
    if (!isUserError(error)) throw error;
    return {
      checks: [
        failFrom('archive', 'archive.runs', error, 'archive'),
        ...skipAll(
          'archive',
          ['archive.selection', 'archive.objects'],
          'skipped: the archive could not be listed',
        ),
      ],
      found: {},
    };
  } finally {
    s3.destroy();
  }
}

// ---------------------------------------------------------------------------------------------
// Online

function failFrom(group: CheckGroup, id: string, error: UserError, source?: string): Check {
  return checksOf(group).fail(id, error.message.replace(/\.$/, ''), {
    hint: error.hint,
    ...(error.code ? { code: error.code } : {}),
    ...(source ? { source } : {}),
  });
}

/**
 * A group whose first read failed: that check from the error (`check`), the group's other checks
 * skipped for `reason`.
 */
function groupFailed(group: CheckGroup, ids: readonly string[], first: Check, reason: string): Check[] {
  return [
    first,
    ...skipAll(
      group,
      ids.filter((id) => id !== first.id),
      reason,
    ),
  ];
}

/** An adapter error as a check: refused permission is a skip (the check could not run), anything else a failure. */
function fromError(group: CheckGroup, id: string, error: UserError): Check {
  if (error.code === 'ACCESS_DENIED' || error.code === 'NOT_IMPLEMENTED') {
    return checksOf(group).skipped(id, `skipped: ${error.message}`, { hint: error.hint });
  }
  return failFrom(group, id, error);
}

/** The online checks of this runner, all skipped for one reason. */
function skipOnline(runner: Runner, r: ResolvedFlags, reason: string, hint?: string): Check[] {
  const out: Check[] = [...skipAll('credentials', ['credentials.identity'], reason, hint)];
  if (r.archive?.kind === 's3')
    out.push(
      ...skipAll(
        'archive',
        ARCHIVE_CHECK_IDS.filter((id) => id !== 'archive.other-entries'),
        reason,
        hint,
      ),
    );
  out.push(...skipAll('table', TABLE_CHECK_IDS, reason, hint));
  if (r.staging?.kind === 's3') out.push(...skipAll('staging', ['staging.writable'], reason, hint));
  if (runner === 'emr-serverless') {
    out.push(...skipAll('emr', [...EMR_CHECK_IDS, 'emr.quota'], reason, hint));
    out.push(...skipAll('role', ROLE_CHECK_IDS, reason, hint));
  }
  return out;
}

async function onlineChecks(
  o: Opts,
  storage: StorageConfig | undefined,
  r: ResolvedFlags,
  staticCredentials: StaticKeys | undefined,
  found: Found,
  fromEnv: Readonly<Record<string, string>>,
): Promise<Check[]> {
  const blockers: string[] = [];
  if (storage === undefined) blockers.push('the storage config is not valid');
  if (r.region === undefined) blockers.push('the region is not valid');
  if (r.invalidEndpoints.length > 0)
    blockers.push(`the ${r.invalidEndpoints.join(', ')} endpoint is not valid`);
  if (storage === undefined || r.region === undefined || blockers.length > 0) {
    return skipOnline(o.runner, r, `skipped: ${blockers.join(', ')}`);
  }
  const region = r.region;
  const { keysFor, access } = serviceAccess(o, r, region, staticCredentials);

  // Credentials first: without them every other online check would fail the same way.
  const credentials = await credentialChecks(o, r, access('sts'), keysFor('sts') !== undefined, fromEnv);
  const checks = [...credentials.checks];
  if (!credentials.ok) {
    return [
      ...checks,
      ...skipOnline(o.runner, r, 'skipped: no usable AWS credentials').filter(
        (c) => !c.id.startsWith('credentials.'),
      ),
    ];
  }
  if (credentials.identity) found.identity = credentials.identity;

  const groups = onlineGroups(o, storage, r, region, access, credentials.identity, found);
  for (const c of await Promise.all(groups)) checks.push(...c);
  return checks.map((c) => (c.code === 'TABLE_NOT_FOUND' ? withImportCost(c, found.archiveFiles) : c));
}

/** A missing table's hint, with what `--import` would cost for the listed selection (a rough figure). */
function withImportCost(check: Check, files: readonly RunFile[] | undefined): Check {
  if (files === undefined || files.length === 0) return check;
  const rough = roughImportCost(files.map((f) => ({ size: f.size, gzip: isGzipName(f.ref) })));
  return {
    ...check,
    hint: `${check.hint ?? ''} For this selection's ~${rough.events.toLocaleString('en-US')} events (from their size), --import would cost about $${rough.usd.toFixed(2)}.`.trim(),
  };
}

/** How a service is asked: its endpoint override, and the keys (or the profile) it is asked with. */
type ServiceAccess = (service: AwsService) => AwsAccess;

function serviceAccess(
  o: Opts,
  r: ResolvedFlags,
  region: string,
  staticCredentials: StaticKeys | undefined,
): { keysFor: (service: AwsService) => StaticKeys | undefined; access: ServiceAccess } {
  // The storage config's static keys are DynamoDB's, and only the local runner's (on EMR
  // Serverless the job writes with its execution role): everything else is asked with the
  // caller's identity (--profile, the default chain), as submit and the job do.
  const configKeys = o.runner === 'local' ? staticCredentials : undefined;
  const keysFor = (service: AwsService): StaticKeys | undefined =>
    service === 'dynamodb' || (service === 'sts' && o.runner === 'local')
      ? (configKeys ?? o.credentials)
      : o.credentials;
  const access = (service: AwsService): AwsAccess => {
    const keys = keysFor(service);
    return {
      region,
      ...(r.endpoints[service] ? { endpoint: r.endpoints[service].url } : {}),
      ...(keys ? { credentials: keys } : {}),
      ...(o.profile !== undefined && keys === undefined ? { profile: o.profile } : {}),
    };
  };
  return { keysFor, access };
}

/** The groups that follow the credentials, started together: the S3 archive, the table, S3 staging, then EMR Serverless's. */
function onlineGroups(
  o: Opts,
  storage: StorageConfig,
  r: ResolvedFlags,
  region: string,
  access: ServiceAccess,
  identity: CallerIdentity | undefined,
  found: Found,
): Promise<Check[]>[] {
  const groups: Promise<Check[]>[] = [];
  if (r.archive?.kind === 's3') {
    groups.push(
      s3ArchiveChecks(r.archive, r.range, access('s3')).then(({ checks: c, found: f }) => {
        Object.assign(found, f);
        return c;
      }),
    );
  }
  groups.push(tableGroup(storage, region, access('dynamodb'), o, found));
  if (r.staging?.kind === 's3') {
    groups.push(
      o.writes === false
        ? Promise.resolve(
            skipAll(
              'staging',
              ['staging.writable'],
              'skipped: nothing is written (--dry-run)',
              'Run `populator validate` to check it.',
            ),
          )
        : stagingGroup(r.staging, access('s3')),
    );
  }
  if (o.runner === 'emr-serverless') {
    groups.push(...emrServerlessGroups(o, storage, r, region, access, identity, found));
  }
  return groups;
}

/** The application (with the account's vCPU quota) and the execution role, unless their services are stand-ins. */
function emrServerlessGroups(
  o: Opts,
  storage: StorageConfig,
  r: ResolvedFlags,
  region: string,
  access: ServiceAccess,
  identity: CallerIdentity | undefined,
  found: Found,
): Promise<Check[]>[] {
  const standIn = standInServices(r);
  return [
    emrGroup(
      r,
      region,
      access('emr-serverless'),
      standIn.has('service-quotas') ? undefined : access('service-quotas'),
      o,
      found,
    ),
    standIn.has('iam')
      ? Promise.resolve(
          skipAll(
            'role',
            ROLE_CHECK_IDS,
            'skipped: EMR Serverless is an endpoint override (a stand-in): IAM at AWS knows nothing of its role',
            'Set AWS_ENDPOINT_URL_IAM to check the role against a stand-in too.',
          ),
        )
      : roleGroup(r, storage, region, access('iam'), identity, o.now ?? DateTime.utc(), found, {
          skipPresent: o.skipPresent === true,
          import: o.import !== undefined,
        }),
  ];
}

async function credentialChecks(
  o: ValidateOptions,
  r: ResolvedFlags,
  access: AwsAccess,
  staticKeys: boolean,
  fromEnv: Readonly<Record<string, string>>,
): Promise<{ ok: boolean; checks: Check[]; identity?: CallerIdentity }> {
  const checks: Check[] = [];
  if (!staticKeys && o.profile !== undefined) {
    const profile = profileCheck(o, o.profile, fromEnv);
    checks.push(profile);
    if (profile.status === 'fail') return { ok: false, checks };
  }
  const { ok, check, identity } = await identityCheck(o, r, access, staticKeys);
  checks.push(check);
  return identity === undefined ? { ok, checks } : { ok, checks, identity };
}

/** `--profile` names a profile of the shared credentials or config file. */
function profileCheck(o: ValidateOptions, profile: string, fromEnv: Readonly<Record<string, string>>): Check {
  const { pass, fail } = checksOf('credentials');
  const files = sharedFilePaths(o.env, o.home ?? os.homedir());
  const known = new Set<string>();
  for (const [kind, file] of [
    ['credentials', files.credentials],
    ['config', files.config],
  ] as const) {
    try {
      for (const name of profileNames(readFileSync(file, 'utf8'), kind)) known.add(name);
    } catch {
      // a missing file defines no profile
    }
  }
  const label = fromEnv['--profile'] ?? '--profile';
  if (!known.has(profile)) {
    return fail(
      'credentials.profile',
      `the profile ${JSON.stringify(profile)}${label === '--profile' ? '' : ` (set by the environment variable ${label})`} is in neither ${files.credentials} nor ${files.config}`,
      {
        source: label,
        code: 'AWS_PROFILE_UNKNOWN',
        hint:
          known.size > 0
            ? `Use one of the profiles there (${[...known].sort().join(', ')}), or create it with \`aws configure --profile ${profile}\`.`
            : `Create it with \`aws configure --profile ${profile}\` (or \`aws configure sso\`).`,
      },
    );
  }
  return pass('credentials.profile', `profile ${profile} (${label === '--profile' ? '--profile' : label})`);
}

/** The keys resolve, and STS says whose they are (when STS is worth asking). */
async function identityCheck(
  o: ValidateOptions,
  r: ResolvedFlags,
  access: AwsAccess,
  staticKeys: boolean,
): Promise<{ ok: boolean; check: Check; identity?: CallerIdentity }> {
  const { pass, skipped } = checksOf('credentials');
  const { createStsClient } = await import('../aws/sts.js');
  const sts = createStsClient(access);
  try {
    const found = await sts.resolveCredentials();
    const source = staticKeys
      ? 'the storage config'
      : o.profile !== undefined
        ? `profile ${o.profile}`
        : 'the default chain';
    if (!stsWorthAsking(r)) {
      return {
        ok: true,
        check: skipped(
          'credentials.identity',
          `skipped: access key ${found.accessKeyId} from ${source}; every service this run calls has an endpoint override, so STS at AWS is not asked`,
          { hint: 'Set AWS_ENDPOINT_URL_STS to check the identity against a stand-in too.' },
        ),
      };
    }
    const identity = await sts.getCallerIdentity();
    return {
      ok: true,
      check: pass(
        'credentials.identity',
        `${identity.arn} (account ${identity.account}; keys from ${source})`,
      ),
      identity,
    };
  } catch (error) {
    if (!isUserError(error)) throw error;
    if (error.code === 'STS_UNREACHABLE') {
      // The checks that follow tell whether the services the run needs are reachable.
      return {
        ok: true,
        check: checksOf('credentials').warn(
          'credentials.identity',
          `the identity could not be confirmed: ${error.message}`,
          {
            hint: error.hint,
            code: error.code,
          },
        ),
      };
    }
    return { ok: false, check: failFrom('credentials', 'credentials.identity', error) };
  } finally {
    sts.destroy();
  }
}

/** STS at AWS says nothing about identities of local stand-ins: ask it only when a service is AWS itself, or STS is overridden too. */
function stsWorthAsking(r: ResolvedFlags): boolean {
  const standIn = standInServices(r);
  return (
    r.endpoints.sts !== undefined ||
    r.services.filter((s) => s !== 'sts' && !standIn.has(s)).some((s) => r.endpoints[s] === undefined)
  );
}

async function tableGroup(
  storage: StorageConfig,
  region: string,
  access: AwsAccess,
  o: ValidateOptions,
  found: Found,
): Promise<Check[]> {
  const { createDynamoDbClient } = await import('../aws/dynamodb.js');
  const dynamo = createDynamoDbClient(access);
  try {
    const t = await dynamo.describeManifestTable(storage.table);
    if (t.exists) found.table = t;
    return tableChecks(
      {
        exists: t.exists,
        keySchemaOk: t.keySchemaOk,
        ttl: t.ttl,
        ...(t.status ? { status: t.status } : {}),
        ...(t.billingMode ? { billingMode: t.billingMode } : {}),
        ...(t.provisionedWcu !== undefined ? { provisionedWcu: t.provisionedWcu } : {}),
        ...(t.onDemandMaxWriteRequestUnits !== undefined
          ? { onDemandMaxWriteRequestUnits: t.onDemandMaxWriteRequestUnits }
          : {}),
        ...(t.ttlAttribute ? { ttlAttribute: t.ttlAttribute } : {}),
      },
      {
        table: storage.table,
        region,
        import: o.import !== undefined,
        importResumed: o.import?.resumed === true,
        ...(o.writeRate !== undefined ? { writeRate: o.writeRate } : {}),
        writeExpired: o.writeExpired ?? false,
      },
    );
  } catch (error) {
    if (!isUserError(error)) throw error;
    return groupFailed(
      'table',
      TABLE_CHECK_IDS,
      failFrom('table', 'table.exists', error),
      'skipped: the table could not be described',
    );
  } finally {
    dynamo.destroy();
  }
}

/**
 * The S3 staging prefix takes a write from this caller: validate PUTs a small marker object
 * (`<staging>/.populator-write-check`) and HEADs it back, the same access submit's jar upload and
 * status's report reads need.
 */
async function stagingGroup(
  staging: Extract<ArchiveLocation, { kind: 's3' }>,
  access: AwsAccess,
): Promise<Check[]> {
  const { pass } = checksOf('staging');
  const key = joinKey(staging.prefix, WRITE_CHECK_MARKER);
  const { createS3Client } = await import('../aws/s3.js');
  const s3 = createS3Client(access);
  try {
    await s3.putObject(
      staging.bucket,
      key,
      'Written by `populator validate` to check that this staging prefix is writable. Safe to delete.\n',
    );
    const back = await s3.headObject(staging.bucket, key);
    if (back === null) {
      return [
        checksOf('staging').fail(
          'staging.writable',
          `s3://${staging.bucket}/${key} was written but cannot be read back`,
          {
            code: 'STAGING_NOT_READABLE',
            hint: "Check the bucket for a lifecycle or replication rule that removes new objects, and the caller's s3:GetObject there.",
          },
        ),
      ];
    }
    return [pass('staging.writable', `s3://${staging.bucket}/${key} written and read back`)];
  } catch (error) {
    if (!isUserError(error)) throw error;
    return [failFrom('staging', 'staging.writable', error, '--staging')];
  } finally {
    s3.destroy();
  }
}

async function emrGroup(
  r: ResolvedFlags,
  region: string,
  emrAccess: AwsAccess,
  quotaAccess: AwsAccess | undefined,
  o: Opts,
  found: Found,
): Promise<Check[]> {
  const { fail } = checksOf('emr');
  const checks: Check[] = [];
  const createApplication = o.createApplication;
  if (r.applicationId === undefined && createApplication !== undefined) {
    // submit --create-application: only the release label it will use can be checked.
    const label = createLabel(o);
    checks.push(
      checksOf('emr').skipped(
        'emr.application',
        'skipped: submit creates the application (--create-application)',
      ),
      releaseCheck(
        label,
        o.release,
        createApplication.releaseLabel === undefined ? undefined : '--release-label',
      ),
    );
  } else if (r.applicationId === undefined) {
    checks.push(...skipAll('emr', EMR_CHECK_IDS, 'skipped: --application-id is missing or not valid'));
  } else {
    const { createEmrServerlessClient } = await import('../aws/emr-serverless.js');
    const emr = createEmrServerlessClient(clientConfig(emrAccess));
    try {
      const app = await emr.findApplication(r.applicationId);
      if (app === null) {
        checks.push(
          fail('emr.application', `there is no EMR Serverless application ${r.applicationId} in ${region}`, {
            source: '--application-id',
            code: 'APPLICATION_NOT_FOUND',
            hint: `Check the id and the region (\`aws emr-serverless list-applications --region ${region}\`).`,
          }),
          ...skipAll(
            'emr',
            EMR_CHECK_IDS.filter((id) => id !== 'emr.application'),
            'skipped: the application does not exist',
          ),
        );
      } else {
        found.application = app;
        checks.push(...applicationChecks(app, r.emrSizing, o.release));
      }
    } catch (error) {
      if (!isUserError(error)) throw error;
      checks.push(
        ...groupFailed(
          'emr',
          EMR_CHECK_IDS,
          fromError('emr', 'emr.application', error),
          'skipped: the application could not be read',
        ),
      );
    } finally {
      emr.destroy();
    }
  }
  if (quotaAccess === undefined) {
    checks.push(
      ...skipAll(
        'emr',
        ['emr.quota'],
        'skipped: EMR Serverless is an endpoint override (a stand-in): the account quota at AWS says nothing about it',
        'Set AWS_ENDPOINT_URL_SERVICE_QUOTAS to check it against a stand-in too.',
      ),
    );
    return checks;
  }
  const { createServiceQuotasClient } = await import('../aws/service-quotas.js');
  const quotas = createServiceQuotasClient(quotaAccess);
  try {
    const quota = await quotas.getQuota(EMR_VCPU_QUOTA.serviceCode, EMR_VCPU_QUOTA.quotaCode);
    checks.push(quotaCheck(quota ?? undefined, r.emrSizing, region));
  } catch (error) {
    if (!isUserError(error)) throw error;
    checks.push(fromError('emr', 'emr.quota', error));
  } finally {
    quotas.destroy();
  }
  return checks;
}

/**
 * With EMR Serverless itself an endpoint override (a stand-in, e.g. the emulator), IAM and Service
 * Quotas at AWS have nothing to say about its application and role: unless they are overridden
 * too, their checks are not made (and they do not make STS worth asking).
 */
function standInServices(r: ResolvedFlags): Set<AwsService> {
  const out = new Set<AwsService>();
  if (r.endpoints['emr-serverless'] === undefined) return out;
  for (const s of ['iam', 'service-quotas'] as const) if (r.endpoints[s] === undefined) out.add(s);
  return out;
}

function s3Place(l: ArchiveLocation | undefined): S3Place | undefined {
  return l?.kind === 's3' ? { bucket: l.bucket, prefix: l.prefix } : undefined;
}

async function roleGroup(
  r: ResolvedFlags,
  storage: StorageConfig,
  region: string,
  access: AwsAccess,
  identity: CallerIdentity | undefined,
  now: DateTime,
  found: Found,
  mode: { skipPresent: boolean; import: boolean },
): Promise<Check[]> {
  const role = r.roleArn;
  if (role === undefined) {
    return skipAll('role', ROLE_CHECK_IDS, 'skipped: --execution-role-arn is missing or not valid');
  }
  if (identity !== undefined && identity.account !== '' && identity.account !== role.account) {
    return otherAccountChecks(role, identity.account);
  }
  const applicationArn = emrApplicationArn(role.partition, region, role.account, r.applicationId ?? '*');
  const { createIamClient } = await import('../aws/iam.js');
  const iam = createIamClient(access);
  try {
    const existence = await existenceAndTrustChecks(iam, role, applicationArn);
    if (existence.missing) return existence.checks;
    const checks = existence.checks;
    const ctx = rolePolicyContext(r, storage, region, role);
    if (ctx === undefined) {
      checks.push(
        ...skipAll(
          'role',
          ['role.permissions'],
          'skipped: the archive and --staging must be s3:// locations',
        ),
      );
      return checks;
    }
    const requests = executionRoleRequests(ctx, {
      runId: found.selectedRuns?.[0] ?? '2017-01-26-00-01-25',
      runName: `populator-${now.toUTC().toFormat("yyyyMMdd'T'HHmmss")}`,
      skipPresent: mode.skipPresent,
      import: mode.import,
    });
    checks.push(await simulatedPermissionsCheck(iam, role, requests));
    return checks;
  } finally {
    iam.destroy();
  }
}

/** EMR Serverless runs a job as a role of the application's own account. */
function otherAccountChecks(role: RoleArn, callerAccount: string): Check[] {
  return [
    checksOf('role').fail(
      'role.exists',
      `the role is in account ${role.account}, the caller in ${callerAccount}`,
      {
        source: '--execution-role-arn',
        code: 'ROLE_OTHER_ACCOUNT',
        hint: "EMR Serverless runs a job as a role of its own account: give a role of the application's account.",
      },
    ),
    ...skipAll('role', ['role.trust', 'role.permissions'], 'skipped: the role is in another account'),
  ];
}

/** The role exists and trusts EMR Serverless for this application; `missing` when there is no such role. */
async function existenceAndTrustChecks(
  iam: IamClient,
  role: RoleArn,
  applicationArn: string,
): Promise<{ checks: Check[]; missing: boolean }> {
  const { pass, fail } = checksOf('role');
  const checks: Check[] = [];
  try {
    const described = await iam.getRole(role.name);
    if (described === null) {
      checks.push(
        fail('role.exists', `there is no IAM role ${role.name} in account ${role.account}`, {
          source: '--execution-role-arn',
          code: 'ROLE_NOT_FOUND',
          hint: 'Create it (`populator iam-policy` prints its trust and permissions policies) or fix the ARN.',
        }),
      );
      return {
        checks: [
          ...checks,
          ...skipAll('role', ['role.trust', 'role.permissions'], 'skipped: the role does not exist'),
        ],
        missing: true,
      };
    }
    checks.push(pass('role.exists', described.arn || role.arn));
    checks.push(
      trustCheck(role.arn, described.trustPolicy, {
        sourceAccount: role.account,
        sourceArn: applicationArn,
      }),
    );
  } catch (error) {
    if (!isUserError(error)) throw error;
    checks.push(fromError('role', 'role.exists', error), fromError('role', 'role.trust', error));
  }
  return { checks, missing: false };
}

/** The places the execution role's policy names, or undefined unless the archive and staging are on S3. */
function rolePolicyContext(
  r: ResolvedFlags,
  storage: StorageConfig,
  region: string,
  role: RoleArn,
): PolicyContext | undefined {
  const archive = s3Place(r.archive);
  const staging = s3Place(r.staging);
  if (archive === undefined || staging === undefined) return undefined;
  return {
    partition: role.partition,
    region,
    account: role.account,
    archive,
    staging,
    logs: s3Place(r.logPath) ?? defaultLogPlace(staging),
    table: storage.table,
    applicationId: r.applicationId ?? '*',
    roleArn: role.arn,
  };
}

/** The role's permissions, by IAM's simulation of requests shaped like the job's. */
async function simulatedPermissionsCheck(
  iam: IamClient,
  role: RoleArn,
  requests: SimulatedRequest[],
): Promise<Check> {
  try {
    const decisions = await iam.simulate(role.arn, requests);
    return permissionsCheck(
      role.arn,
      requests.map((request, i) => ({ request, decision: decisions[i] ?? 'implicitDeny' })),
    );
  } catch (error) {
    if (!isUserError(error)) throw error;
    return fromError('role', 'role.permissions', error);
  }
}
