/**
 * `populator submit`: three steps. The checks (the validator of `populator validate`, then
 * `checkSubmitInputs`, which resolves what the runner needs), the plan (printed first; all
 * `--dry-run` does), then the runner: the local one runs the jar on
 * Spark local[*] here and follows it; the EMR Serverless one stages the jar, starts one job run
 * (the same submit twice finds the same run) and, with `--wait`, follows it to its end.
 */
import os from 'node:os';
import path from 'node:path';
import type { DateTime } from 'luxon';
import {
  DEFAULT_TTL_SECONDS,
  JOB_ARGS,
  JOB_ENV,
  JOB_EXIT,
  JOB_MAIN_CLASS,
  JOB_OUTPUT,
  type EtlTimeMode,
} from '../domain/contract.js';
import {
  clientTokenFor,
  DEFAULT_RELEASE_LABEL,
  sparkSubmitParameters,
  type ResourceHours,
} from '../domain/emr.js';
import { sizingSparkConf } from '../domain/emr-sizing.js';
import { EXIT_CODES, UserError } from '../domain/errors.js';
import type { JobProgress, JobSummary, UnreadableFile } from '../domain/job-report.js';
import { buildPlan, type Plan, type PlanCompute } from '../domain/plan.js';
import {
  resumeDifferences,
  RUN_RECORD_VERSION,
  type RunnerName,
  type RunRecord,
  type RunSettings,
} from '../domain/run-record.js';
import { joinS3Uri } from '../domain/s3-uri.js';
import type { StorageConfig } from '../domain/storage-config.js';
import { toJobRunId } from '../domain/time-range.js';
import type { WriteRateSource } from '../domain/write-rate.js';
import { resolveSparkClasspath } from '../local/classpath.js';
import { makeFolder } from '../local/folders.js';
import { processStartTime } from '../local/process.js';
import { resolveSparkHome } from '../local/spark-home.js';
import { isLocalCluster, localRunnerMaster, masterCores } from '../domain/spark-master.js';
import { ensureJobJar } from '../local/jar.js';
import { findToolchain } from '../local/toolchain.js';
import { createEmrServerlessRunner, type EmrJobSpec } from '../runners/emr-serverless.js';
import { createLocalRunner } from '../runners/local.js';
import type { RunSnapshot } from '../runners/runner.js';
import { followToEnd } from '../runners/follow.js';
import { inventoryArchive } from './archive-inventory.js';
import { ensureApplication } from './emr-application.js';
import { stageJar } from './package-jar.js';
import type { ResumableRun } from './resume.js';
import { listRunRecords, loadRunRecord, reserveRunRecord, saveRunRecord } from './run-records.js';
import { chooseRunner, prepareSubmit, type CheckedSubmit, type SubmitInputs } from './submit-inputs.js';
import { requireValid, validateInputs, warningLines, type ValidateOptions } from './validate.js';

export { DEFAULT_LOCAL_STAGING } from './submit-inputs.js';

export interface SubmitOptions extends SubmitInputs {
  etlTime: EtlTimeMode;
  maxInFlight?: number;
  ttlSeconds: number;
  /** Look every key up first (BatchGetItem, eventually consistent) and write only the missing ones. */
  skipPresent?: boolean;
  /** Where run records are kept; no record when absent (the demo). */
  recordsDir?: string;
  /** The plan only: no write request to any service, no run record. */
  dryRun?: boolean;
  /** EMR Serverless: follow the job run to its end (the local runner always does). */
  wait?: boolean;
  /** EMR Serverless with `wait`: cancel the job run on Ctrl-C instead of leaving it running. */
  cancelOnInterrupt?: boolean;
  master: string;
  /** Flags whose value came from an environment variable, with that variable (for messages). */
  fromEnv?: Readonly<Record<string, string>>;
  cacheDir: string;
  now: DateTime;
  onProgress: (p: JobProgress) => void;
  /** The plan, as soon as it is known (before anything is written). */
  onPlan?: (plan: Plan) => void;
  /** Bytes of the jar uploaded so far. */
  onUpload?: (sent: number, total: number) => void;
  signal?: AbortSignal;
  /** Between looks at an EMR job run; default 10 s. */
  followIntervalMs?: number;
  /**
   * `--resume`: the failed or stopped run to go on from. The job gets `--resume-from <its folder>`
   * and sends only what its progress records do not show as written; the inputs must be its own.
   */
  resume?: ResumableRun;
}

/** EMR Serverless coordinates of a submitted run. */
export interface SubmittedEmrRun {
  applicationId: string;
  jobRunId: string;
  /** The application was created by this submit. */
  createdApplication: boolean;
  /** This submit found the job run an earlier identical submit started: nothing new was started. */
  reused: boolean;
  clientToken: string;
  jar: string;
  jarUploaded: boolean;
  logUri: string;
  releaseLabel: string;
}

/** What every outcome has. */
interface SubmitFacts {
  runner: RunnerName;
  archive: string;
  table: string;
  region: string;
  etlTime: EtlTimeMode;
  since: string | null;
  until: string | null;
  writeRate: number;
  writeRateSource: 'flag' | WriteRateSource;
  skipExpired: boolean;
  /** The staging root. */
  staging: string;
  /** `--resume`: the run this one goes on from. */
  resumedFrom: string | null;
  plan: Plan;
  warnings: string[];
}

/** `--dry-run`: the plan, nothing else. */
export interface PlannedSubmit extends SubmitFacts {
  status: 'PLANNED';
}

/** Started and not followed to its end (no `--wait`, or Ctrl-C while waiting). */
export interface PendingSubmit extends SubmitFacts {
  status: 'SUBMITTED' | 'RUNNING';
  runName: string;
  output: string;
  recordFile: string | null;
  emr: SubmittedEmrRun;
  jobRun: RunSnapshot;
}

/** The job ran and succeeded. */
export interface SubmitResult extends SubmitFacts {
  status: 'SUCCEEDED';
  runName: string;
  /** The run's own folder: summary.json, progress.json, bad-rows/. */
  output: string;
  recordFile: string | null;
  /** The local driver log, or the EMR driver's stderr object. */
  logFile: string;
  badRows: string;
  /** Files the job could not read to their end (also in `summary`); the job still succeeded. */
  unreadableFiles: UnreadableFile[];
  summary: JobSummary;
  emr: SubmittedEmrRun | null;
  /** What EMR Serverless billed, priced at us-east-1 x86 rates (null for the local runner). */
  billed: (ResourceHours & { usd: number }) | null;
}

export type SubmitOutcome = PlannedSubmit | PendingSubmit | SubmitResult;

/** Thrown when the job ran and failed, or was stopped: the message is its own reason. Exit code 4. */
export class JobFailedError extends UserError {}

/** Runs a whole local back-fill and returns the job's report (`submit --runner local`). */
export async function submitLocal(o: SubmitOptions): Promise<SubmitResult> {
  const r = await submit({ ...o, runner: 'local', dryRun: false });
  if (r.status !== 'SUCCEEDED') throw new Error(`a local run ended ${r.status}`);
  return r;
}

/** Checks, plans and (unless a dry run) runs a back-fill. */
/** The validator's view of a submit: the same inputs, the runner submit picks, no write for --dry-run. */
function validateOptionsFor(o: SubmitOptions): ValidateOptions {
  const runner = chooseRunner(o.runner, o.emr);
  return {
    ...o,
    runner,
    applicationId: o.emr?.applicationId,
    ...(o.emr?.createApplication === true
      ? { createApplication: { releaseLabel: o.emr.releaseLabel ?? DEFAULT_RELEASE_LABEL } }
      : {}),
    executionRoleArn: o.emr?.executionRoleArn,
    submitFlags: o.emr,
    // The local runner takes --executors/--executor-cpu/--executor-memory as a local cluster.
    sizing: { driverMemory: o.driverMemory, ...o.emr?.sizing },
    offline: false,
    writes: o.dryRun !== true,
  };
}

export async function submit(o: SubmitOptions): Promise<SubmitOutcome> {
  // Every check `validate` makes comes first: all problems at once, and nothing is planned, built,
  // uploaded or started (not even Java) for inputs validate would refuse.
  const validation = await validateInputs(validateOptionsFor(o));
  const validated = requireValid(validation);
  // What the checks found is what submit plans and runs from: nothing is read twice.
  const c = await prepareSubmit(o, validated);
  c.warnings = [...new Set([...warningLines(validation), ...ttlWarnings(o.ttlSeconds)])];
  try {
    if (o.resume !== undefined) requireSameInputs(o.resume.record, c, o);
    const s3 = c.clients.s3;
    const inventory = await inventoryArchive({
      archive: c.archive,
      files: validated.archiveFiles ?? [],
      runsInArchive: validated.archiveTop?.runIds.length ?? 0,
      s3,
    });
    const compute: PlanCompute =
      c.emr !== undefined
        ? {
            runner: 'emr-serverless',
            workers: 1 + c.emr.sizing.executors,
            executorCpu: c.emr.sizing.executors * c.emr.sizing.executor.cpu,
            totalCpu: c.emr.sizing.totalCpu,
            totalMemoryGb: c.emr.sizing.totalMemoryGb,
            billedStorageGb: 0,
          }
        : { runner: 'local', cores: masterCores(localMasterOf(o), os.availableParallelism()) };
    const plan = buildPlan({
      archive: c.archive.uri,
      runsInArchive: inventory.runsInArchive,
      runs: inventory.runs,
      sample: inventory.sample,
      table: {
        name: c.storage.table,
        region: c.region,
        billingMode: c.table.billingMode,
        provisionedWcu: c.table.provisionedWcu,
        ttlEnabled: c.table.ttl === 'ENABLED',
        ...(c.table.itemCount !== undefined ? { itemCount: c.table.itemCount } : {}),
      },
      writeRate: c.rate.rate,
      ttlSeconds: o.ttlSeconds,
      skipExpired: c.skipExpired,
      nowSeconds: Math.floor(o.now.toSeconds()),
      compute,
      ...(o.resume !== undefined
        ? { resume: { from: o.resume.record.runName, keysSettled: o.resume.keysSettled } }
        : {}),
      skipPresent: o.skipPresent === true,
    });
    if (
      c.emr !== undefined &&
      c.emr.timeoutMinutes === undefined &&
      plan.duration.totalSeconds > 0.8 * 720 * 60
    ) {
      plan.warnings.push(
        `The job may run about ${(plan.duration.totalSeconds / 3600).toFixed(1)} hours, near or beyond EMR Serverless's default 12-hour timeout: give --timeout MINUTES (up to 10080).`,
      );
    }
    o.onPlan?.(plan);
    const facts: SubmitFacts = {
      runner: c.runner,
      archive: c.archive.uri,
      table: c.storage.table,
      region: c.region,
      etlTime: o.etlTime,
      since: c.range.since ? toJobRunId(c.range.since) : null,
      until: c.range.until ? toJobRunId(c.range.until) : null,
      writeRate: c.rate.rate,
      writeRateSource: c.rate.source,
      skipExpired: c.skipExpired,
      staging: c.emr?.staging ?? c.local?.staging ?? '',
      resumedFrom: o.resume?.record.runName ?? null,
      plan,
      warnings: c.warnings,
    };
    if (o.dryRun === true) return { ...facts, status: 'PLANNED' };
    return c.runner === 'local' ? await runLocal(c, facts, o) : await runEmr(c, facts, o);
  } finally {
    c.close();
  }
}

/** The local runner's master: `local-cluster[N,C,M]` for `--executors N` (the validator checked them), else `--master`. */
function localMasterOf(o: SubmitOptions): string {
  const m = localRunnerMaster(o.master, o.emr?.sizing ?? {});
  return m.ok ? m.master : o.master;
}

/** The job's arguments (never a secret). `now` only locally: on EMR the request must not change with the clock. */
export function jobArguments(
  c: Pick<
    CheckedSubmit,
    'archive' | 'storage' | 'region' | 'dynamodbEndpoint' | 'range' | 'rate' | 'skipExpired'
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
    JOB_ARGS.writeRate,
    String(c.rate.rate),
    ...(o.maxInFlight !== undefined ? [JOB_ARGS.maxInFlight, String(o.maxInFlight)] : []),
    JOB_ARGS.skipExpired,
    String(c.skipExpired),
    ...(now !== undefined ? [JOB_ARGS.now, String(Math.floor(now.toSeconds()))] : []),
    ...(o.resume !== undefined ? [JOB_ARGS.resumeFrom, o.resume.record.output] : []),
    ...(o.skipPresent === true ? [JOB_ARGS.skipPresent, 'true'] : []),
  ];
}

/** The inputs a run's record keeps (what a resume must reproduce). */
function recordedInputs(c: CheckedSubmit, o: SubmitOptions): RunRecord['inputs'] {
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
function requireSameInputs(resumed: RunRecord, c: CheckedSubmit, o: SubmitOptions): void {
  const diff = resumeDifferences(resumed, {
    inputs: recordedInputs(c, o),
    table: c.storage.table,
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
function baseRecord(
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
    ...(o.resume !== undefined ? { resumedFrom: o.resume.record.runName } : {}),
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

const isoNow = (now: DateTime): string => now.toUTC().toISO() ?? new Date(now.toMillis()).toISOString();

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

async function runLocal(c: CheckedSubmit, facts: SubmitFacts, o: SubmitOptions): Promise<SubmitResult> {
  const local = c.local;
  if (local === undefined) throw new Error('local runner without local settings');
  const runName = localRunName(c, o, facts.plan);
  const output = path.join(local.staging, 'runs', runName);
  const logDir = local.logPath === undefined ? output : path.join(local.logPath, runName);
  const logFile = path.join(logDir, 'driver.log');
  // The same submit again finds the run it started: nothing is run (or paid) twice.
  const previous = o.recordsDir === undefined ? undefined : findRunRecord(o.recordsDir, runName);
  if (previous !== undefined) return answerIdenticalSubmit(previous, facts, o);
  makeFolder(output);
  // Reserved before any slow step (Maven, the classpath), so that another terminal sees it at once
  // and a second identical submit started meanwhile is answered instead of run beside it.
  let record: RunRecord = {
    ...baseRecord(c, o, {
      runName,
      createdAt: isoNow(o.now),
      staging: local.staging,
      output,
      log: logFile,
      plan: facts.plan,
    }),
    local: { pid: process.pid, hostname: os.hostname(), ...pidStartOf(process.pid) },
  };
  let recordFile: string | null = null;
  if (o.recordsDir !== undefined) {
    recordFile = reserveRunRecord(o.recordsDir, record);
    if (recordFile === null) return answerIdenticalSubmit(loadRunRecord(o.recordsDir, runName), facts, o);
  }

  const master = localMasterOf(o);
  // SPARK_HOME, when set, was checked by the validator (toolchain.spark-home).
  const cluster = isLocalCluster(master);
  const toolchain = await findToolchain(o.env, { needMaven: true });
  let jar: string;
  let classpath: string[];
  try {
    jar =
      local.jar ?? (await ensureJobJar(path.join(o.projectRoot, 'spark'), toolchain, o.log, o.signal)).jar;
    classpath = await resolveSparkClasspath(path.join(o.projectRoot, 'spark'), o.cacheDir, toolchain, o.log, {
      s3: c.archive.kind === 's3',
      signal: o.signal,
    });
  } catch (e) {
    throwIfInterrupted(o.signal); // a Maven run stopped by Ctrl-C is an interruption, not a failure
    throw e;
  }
  throwIfInterrupted(o.signal);
  const sparkHome = cluster ? resolveSparkHome(o.env, classpath, o.cacheDir) : undefined;

  const runner = createLocalRunner({
    pid: process.pid,
    hostname: os.hostname(),
    launch: {
      toolchain,
      jar,
      classpath,
      env: jobEnvironment(o.env, c.storage, c.region, o.profile),
      master,
      sparkHome,
      driverMemory: local.driverMemory,
      // S3A settings only; the keys stay in the environment above.
      s3: c.archive.kind === 's3' ? { region: c.region, endpoint: c.s3Endpoint } : undefined,
    },
  });
  o.log(`Running the job on Spark ${master} (log: ${logFile})`);
  if (sparkHome !== undefined) {
    o.log(
      `Executor JVMs start from ${sparkHome.from === 'SPARK_HOME' ? `SPARK_HOME (${path.dirname(sparkHome.jarsDir)})` : 'the Maven-resolved Spark classpath'}; their logs: ${path.join(path.dirname(logFile), 'spark-cluster', 'work')}`,
    );
  }
  record = await runner.start({
    record,
    // A resume judges expiry at the resumed run's "now" (the job takes it from its write plan).
    jobArgs: jobArguments(c, o, output, o.resume === undefined ? o.now : undefined),
    signal: o.signal,
    onProgress: o.onProgress,
  });
  const last = await runner.follow(record);
  if (last.state === 'CANCELLED') {
    // Said in the record: status (from any terminal) shows it stopped, with when, not failed.
    if (o.recordsDir !== undefined && record.local !== undefined) {
      saveRunRecord(o.recordsDir, {
        ...record,
        local: { ...record.local, stoppedAt: new Date().toISOString() },
      });
    }
    throw new JobFailedError('The job was stopped (Ctrl-C).', {
      code: 'INTERRUPTED',
      exitCode: EXIT_CODES.jobFailed,
      hint: `Items written so far stay in the table. ${againHint(o, runName)}`,
    });
  }
  if (last.state !== 'SUCCESS' || last.summary === null) {
    const inputProblem = last.exitCode === JOB_EXIT.input;
    throw new JobFailedError(last.stateDetails ?? 'The job failed.', {
      exitCode: inputProblem ? EXIT_CODES.usage : EXIT_CODES.jobFailed,
      code: inputProblem ? 'JOB_INPUT' : 'JOB_FAILED',
      hint: inputProblem
        ? 'Fix the input named above and submit again; nothing was written.'
        : `See the driver log for details: ${logFile}. ${againHint(o, runName)}`,
    });
  }
  return {
    ...facts,
    status: 'SUCCEEDED',
    runName,
    output,
    recordFile,
    logFile,
    badRows: path.join(output, JOB_OUTPUT.badRows),
    unreadableFiles: last.summary.unreadableFiles,
    summary: last.summary,
    emr: null,
    billed: null,
  };
}

/**
 * A local run's name: --name, else derived from what decides its writes (the inputs, the table, the
 * selection's objects and bytes, --skip-present, the run it resumes), as EMR Serverless runs are
 * named from their request: the same submit gets the same name, and finds the same run.
 */
function localRunName(c: CheckedSubmit, o: SubmitOptions, plan: Plan): string {
  if (o.emr?.name !== undefined) return o.emr.name;
  const token = clientTokenFor({
    runner: 'local',
    inputs: recordedInputs(c, o),
    table: c.storage.table,
    region: c.region,
    selection: { runs: plan.runs.selected, objects: plan.objects, bytes: plan.bytes },
    skipPresent: o.skipPresent === true,
    resumedFrom: o.resume?.record.runName ?? null,
  });
  return `populator-${token.slice(-12)}`;
}

/** This process's start time, so that a later process given the same pid is not taken for it. */
function pidStartOf(pid: number): { pidStart?: string } {
  const t = processStartTime(pid);
  return t === undefined ? {} : { pidStart: t };
}

/** The record of a run by name, or undefined. */
function findRunRecord(dir: string, runName: string): RunRecord | undefined {
  return listRunRecords(dir).records.find((r) => r.runName === runName);
}

/**
 * The answer to a local submit that matches a run started before: its report when it succeeded
 * (nothing new runs), or what to do when it is still running or ended otherwise.
 */
async function answerIdenticalSubmit(
  previous: RunRecord,
  facts: SubmitFacts,
  o: SubmitOptions,
): Promise<SubmitResult> {
  const runner = createLocalRunner({ pid: process.pid, hostname: os.hostname() });
  const s = await runner.status(previous);
  const name = previous.runName;
  const again =
    'To run the same inputs again on purpose, give the run a name of its own: --name NAME (with --skip-present, keys the table already holds are looked up, not written again).';
  if (s.state === 'SUCCESS' && s.summary !== null) {
    o.log(
      `This submit matches run ${name}, which succeeded (${s.endedAt ?? 'earlier'}): nothing new was started. ${again}`,
    );
    return {
      ...facts,
      status: 'SUCCEEDED',
      runName: name,
      output: previous.output,
      recordFile: null,
      logFile: previous.log ?? path.join(previous.output, 'driver.log'),
      badRows: path.join(previous.output, JOB_OUTPUT.badRows),
      unreadableFiles: s.summary.unreadableFiles,
      summary: s.summary,
      emr: null,
      billed: null,
    };
  }
  if (!s.final) {
    throw new UserError(`This submit matches run ${name}, which is still running: nothing new was started.`, {
      code: 'RUN_IN_PROGRESS',
      exitCode: EXIT_CODES.notFinal,
      hint: `Follow it: populator status --watch --run ${name}; stop it: populator cancel --run ${name}.`,
    });
  }
  throw new JobFailedError(
    `This submit matches run ${name}, which ended ${s.state}: nothing new was started.`,
    {
      code: 'RUN_ENDED',
      exitCode: EXIT_CODES.jobFailed,
      hint: `Finish it without paying again for what it wrote: populator submit --resume --run ${name}. ${again}`,
    },
  );
}

/** How to finish a run that stopped: a resume when it is recorded, else the same command again. */
function againHint(o: Pick<SubmitOptions, 'recordsDir'>, runName: string): string {
  return o.recordsDir === undefined
    ? "Running the same command again is safe and finishes the rest (items already there are rewritten with the same etlTime and this run's ttl)."
    : `Finish the rest without paying again for what was written: populator submit --resume --run ${runName}.`;
}

/** How a second, identical submit is told it found the first one's job run. */
const REUSED_AFTER_MS = 5 * 60_000;

async function runEmr(
  c: CheckedSubmit,
  facts: SubmitFacts,
  o: SubmitOptions,
): Promise<PendingSubmit | SubmitResult> {
  const e = c.emr;
  const s3 = c.clients.s3;
  const emr = c.clients.emr;
  if (e === undefined || s3 === undefined || emr === undefined)
    throw new Error('EMR runner without its settings');

  const jar = await stageJar({
    jar: e.jar,
    info: e.jarInfo,
    staging: e.staging,
    s3,
    projectRoot: o.projectRoot,
    env: o.env,
    log: o.log,
    onUpload: o.onUpload,
    signal: o.signal,
  });
  throwIfInterrupted(o.signal);
  const app = await ensureApplication({
    emr,
    application: e.application,
    region: c.region,
    log: o.log,
    signal: o.signal,
  });
  throwIfInterrupted(o.signal);

  const params = sparkSubmitParameters(JOB_MAIN_CLASS, sizingSparkConf(e.sizing));
  const outputOf = (runName: string): string => joinS3Uri(e.staging, 'runs', runName);
  // The token covers the whole request, the run's name aside (it is derived from the token unless
  // given): the same inputs give the same request, and EMR Serverless answers with the same run.
  const clientToken = clientTokenFor({
    applicationId: app.applicationId,
    executionRoleArn: e.executionRoleArn,
    entryPoint: jar.uri,
    jarSha256: jar.sha256,
    entryPointArguments: jobArguments(c, o, outputOf('<run>'), undefined),
    sparkSubmitParameters: params,
    logUri: e.logUri,
    tags: e.tags,
    executionTimeoutMinutes: e.timeoutMinutes,
    name: e.name ?? null,
  });
  const runName = e.name ?? `populator-${clientToken.slice(-12)}`;
  const output = outputOf(runName);
  const previous =
    o.recordsDir === undefined
      ? undefined
      : listRunRecords(o.recordsDir).records.find((r) => r.runName === runName);
  const spec: EmrJobSpec = {
    applicationId: app.applicationId,
    executionRoleArn: e.executionRoleArn,
    releaseLabel: app.releaseLabel,
    entryPoint: jar.uri,
    sparkSubmitParameters: params,
    logUri: e.logUri,
    tags: { ...e.tags, 'populator-run': runName },
    executionTimeoutMinutes: e.timeoutMinutes,
    clientToken,
  };
  const runner = createEmrServerlessRunner({ emr, s3, job: spec });
  let record = baseRecord(c, o, {
    runName,
    createdAt: previous?.createdAt ?? isoNow(o.now),
    staging: e.staging,
    output,
    log: e.logUri,
    plan: facts.plan,
  });
  record = await runner.start({ record, jobArgs: jobArguments(c, o, output, undefined) });
  const recordFile = o.recordsDir === undefined ? null : saveRunRecord(o.recordsDir, record);
  let snapshot = await runner.status(record);
  const jobRunId = snapshot.jobRunId ?? '';
  const createdMs = snapshot.createdAt === null ? NaN : Date.parse(snapshot.createdAt);
  const reused =
    previous?.emr?.jobRunId === jobRunId ||
    (Number.isFinite(createdMs) && o.now.toMillis() - createdMs > REUSED_AFTER_MS);
  if (reused) {
    o.log(
      `This submit matches job run ${jobRunId}, started ${snapshot.createdAt ?? 'earlier'} with the same inputs (now ${snapshot.state}): nothing new was started. ` +
        'To start another run of the same inputs, give it a name of its own: --name NAME.',
    );
  } else {
    o.log(`Started job run ${jobRunId} on application ${app.applicationId} (run ${runName}).`);
  }
  const emrRun: SubmittedEmrRun = {
    applicationId: app.applicationId,
    jobRunId,
    createdApplication: app.created,
    reused,
    clientToken,
    jar: jar.uri,
    jarUploaded: jar.uploaded,
    logUri: e.logUri,
    releaseLabel: app.releaseLabel,
  };
  const pending = (status: 'SUBMITTED' | 'RUNNING', jobRun: RunSnapshot): PendingSubmit => ({
    ...facts,
    status,
    runName,
    output,
    recordFile,
    emr: emrRun,
    jobRun,
  });
  if (o.wait !== true && !snapshot.final) return pending('SUBMITTED', snapshot);

  snapshot = await followToEnd(runner, record, o);
  if (!snapshot.final) return pending('RUNNING', snapshot);
  const done = finalOutcome(snapshot, record);
  return {
    ...facts,
    status: 'SUCCEEDED',
    runName,
    output,
    recordFile,
    logFile: snapshot.logs.stderr ?? e.logUri,
    badRows: joinS3Uri(output, JOB_OUTPUT.badRows),
    unreadableFiles: done.unreadableFiles,
    summary: done,
    emr: emrRun,
    billed: snapshot.billed,
  };
}

/** A final run's summary, or the error that says why it has none. */
export function finalOutcome(s: RunSnapshot, record: RunRecord): JobSummary {
  if (s.state === 'SUCCESS' && s.summary !== null) return s.summary;
  if (s.state === 'SUCCESS') {
    throw new JobFailedError(
      `The job run succeeded but wrote no report at ${joinS3Uri(record.output, JOB_OUTPUT.summary)}.`,
      {
        code: 'JOB_NO_REPORT',
        exitCode: EXIT_CODES.jobFailed,
        hint: `See its driver log: populator logs --run ${record.runName} --stderr.`,
      },
    );
  }
  const cancelled = s.state === 'CANCELLED';
  throw new JobFailedError(
    `The job run ${s.jobRunId ?? record.runName} ${cancelled ? 'was cancelled' : 'failed'}${s.stateDetails ? `: ${s.stateDetails}` : '.'}`,
    {
      code: cancelled ? 'JOB_CANCELLED' : 'JOB_FAILED',
      exitCode: EXIT_CODES.jobFailed,
      hint:
        `Driver log: ${s.logs.stderr ?? 'none'} (populator logs --run ${record.runName} --stderr). ` +
        `populator submit --resume --run ${record.runName} goes on from where it stopped, sending only what it did not write.`,
    },
  );
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

/**
 * Warnings about a `--ttl-seconds` other than the shredder's: the manifest's items then expire at
 * another time than the shredder's own, and a put with the same etlTime replaces an item that is
 * already there, so existing items get this run's ttl too.
 */
export function ttlWarnings(ttlSeconds: number): string[] {
  if (ttlSeconds === DEFAULT_TTL_SECONDS) return [];
  const days = (s: number): string => `${Number((s / 86_400).toFixed(2))} days`;
  return [
    `--ttl-seconds ${ttlSeconds} (${days(ttlSeconds)}) differs from the shredder's default ${DEFAULT_TTL_SECONDS} (${days(DEFAULT_TTL_SECONDS)}): ` +
      'items written now expire at etlTime + that, and items already in the manifest with the same etlTime are rewritten with it ' +
      '(DynamoDB TTL deletes them then, whatever the shredder would have chosen).',
  ];
}
