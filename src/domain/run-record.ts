/**
 * What the CLI remembers of a submitted run (DESIGN 2: `populator runs`), so that `status`, `cancel`,
 * `logs`, `verify` and `submit --resume` work on it afterwards with no ids typed. Pure: the type,
 * run names, and a parser that says what is wrong with a record file. Never holds a secret: the
 * storage config is referenced by path, its keys are not copied.
 */
import type { SparkFamily } from './spark-family.js';
import type { ImportBilling } from './import-plan.js';
import { ETL_TIME_MODES, type EtlTimeMode } from './contract.js';

export const RUN_RECORD_VERSION = 1;

export const RUNNERS = ['local', 'emr-serverless'] as const;
export type RunnerName = (typeof RUNNERS)[number];

/** The inputs that decide what a run reads and writes (a resume must match them). */
export interface RunInputs {
  /** The archive as the job reads it (`file:///...` or `s3://bucket/prefix/`). */
  archive: string;
  /** Absolute paths of the two config files as given to submit. */
  storageConfig: string;
  resolver: string;
  /** Normalized run ids (`yyyy-MM-dd-HH-mm-ss`) or null. */
  since: string | null;
  until: string | null;
  etlTime: EtlTimeMode;
  ttlSeconds: number;
  writeExpired: boolean;
  /**
   * Whether the job skipped items whose ttl is past (TTL on the table's `ttl` and no
   * --write-expired): what the job itself compares on a resume. Absent in older records.
   */
  skipExpired?: boolean;
}

/** How a run was paced and sized: a resume keeps these unless a flag says otherwise. */
export interface RunSettings {
  /** --write-rate, when it was given (a derived rate is derived again from the table). */
  writeRate?: number;
  maxInFlight?: number;
  /** The sizing flags given (EMR Serverless workers, or the local runner's executors). */
  sizing?: {
    executors?: number;
    executorCpu?: number;
    executorMemory?: string;
    driverCpu?: number;
    driverMemory?: string;
  };
}

/** EMR Serverless coordinates of a run (absent for local runs). */
export interface EmrRunCoordinates {
  applicationId: string;
  jobRunId: string;
  executionRoleArn: string;
  /** The jar the run executes (`s3://.../jars/populator-job-<version>-<sha>.jar`). */
  jar?: string;
  releaseLabel?: string;
  /** The StartJobRun clientToken, derived from the request: the same submit finds the same job run. */
  clientToken?: string;
}

/** The process running a local job (so that another terminal can follow or stop it). */
export interface LocalRunProcess {
  /** The pid of the `populator submit` process. */
  pid: number;
  hostname: string;
  /** When that process started (processStartTime): a later process with the same pid is not it. */
  pidStart?: string;
  /** When the run was stopped (Ctrl-C in its terminal, or `populator cancel`): ISO-8601 UTC. */
  stoppedAt?: string;
}

/** What the plan expected, kept to show progress against it. */
export interface RunPlanFigures {
  objects: number;
  bytes: number;
  events: number;
  writes: number;
}

/** One submitted run. */
export interface RunRecord {
  version: typeof RUN_RECORD_VERSION;
  runName: string;
  runner: RunnerName;
  /** ISO-8601 UTC time of the submit. */
  createdAt: string;
  region: string;
  table: string;
  /** Staging root (local folder or `s3://` prefix); the run's output is `output`. */
  staging: string;
  /** The run's own folder: `<staging>/runs/<runName>/` (summary.json, progress.json, bad-rows/). */
  output: string;
  /** Local runner: the driver log file. EMR Serverless: the S3 log URI given as --log-path. */
  log?: string;
  /** Endpoint overrides in force at submit (stand-ins, VPC endpoints); never credentials. */
  endpoints?: { dynamodb?: string; s3?: string; emrServerless?: string };
  /** The AWS profile the submit used, if any (a name, not a secret). */
  profile?: string;
  inputs: RunInputs;
  emr?: EmrRunCoordinates;
  local?: LocalRunProcess;
  plan?: RunPlanFigures;
  settings?: RunSettings;
  /** A resume (`submit --resume`): the name of the run it resumed. */
  resumedFrom?: string;
  /** The Spark family the job ran on (absent in older records: 3.5). A resume keeps it. */
  spark?: SparkFamily;
  /** `submit --import`: the table is created by DynamoDB's import from the files the job wrote. */
  import?: RunImport;
}

/** The import of a `submit --import` run, as far as it went. */
export interface RunImport {
  /** `s3://bucket/prefix/runs/<run>/import/`: the job's files, what ImportTable reads. */
  folder: string;
  billing: ImportBilling;
  /** ImportTable's ClientToken (derived from the inputs; not a secret). */
  clientToken?: string;
  /** Set once ImportTable answered. */
  importArn?: string;
  /** The last status seen (DescribeImport), and when the import was started. */
  status?: string;
  startedAt?: string;
  /** Imports started for this run's files: a resume after a failed one counts up. */
  attempts?: number;
  /** TTL switched on for `ttl` after the import completed. */
  ttlEnabled?: boolean;
}

/**
 * What a resume must keep from the run it resumes, named for the user: the recorded inputs that
 * decide what is written against the ones in force now (the same normalisation: archive URI, run
 * ids), the table and region (from the storage config, which may be another file holding the same)
 * and the runner. Empty when they match.
 */
export function resumeDifferences(
  recorded: Pick<RunRecord, 'inputs' | 'table' | 'region' | 'runner'>,
  now: Pick<RunRecord, 'inputs' | 'table' | 'region' | 'runner'>,
): string[] {
  const out: string[] = [];
  const show = (v: unknown): string => (v === null ? '(none)' : JSON.stringify(v));
  const same = (what: string, a: unknown, b: unknown): void => {
    if (a !== b) out.push(`${what} was ${show(a)}, now ${show(b)}`);
  };
  same('the runner', recorded.runner, now.runner);
  // The same folder with or without its trailing slash.
  const folder = (uri: string): string => uri.replace(/\/+$/, '');
  if (folder(recorded.inputs.archive) !== folder(now.inputs.archive))
    same('the archive', recorded.inputs.archive, now.inputs.archive);
  same('the table', recorded.table, now.table);
  same('the region', recorded.region, now.region);
  same('--since', recorded.inputs.since, now.inputs.since);
  same('--until', recorded.inputs.until, now.inputs.until);
  same('--etl-time', recorded.inputs.etlTime, now.inputs.etlTime);
  same('--ttl-seconds', recorded.inputs.ttlSeconds, now.inputs.ttlSeconds);
  same('--write-expired', recorded.inputs.writeExpired, now.inputs.writeExpired);
  // What the job compares: TTL switched on or off between the runs changes it with the same flags.
  if (
    recorded.inputs.skipExpired !== undefined &&
    now.inputs.skipExpired !== undefined &&
    recorded.inputs.skipExpired !== now.inputs.skipExpired &&
    recorded.inputs.writeExpired === now.inputs.writeExpired
  ) {
    out.push(
      recorded.inputs.skipExpired
        ? 'items whose ttl is past were skipped (TTL was on for ttl), now they would be written (TTL is off): give --write-expired or switch TTL back on'
        : 'items whose ttl is past were written (TTL was off), now they would be skipped (TTL is on for ttl): give --write-expired to write them as the run did',
    );
  }
  return out;
}

/** A run name is also a folder and file name: letters, digits, `.`, `_`, `-`; 1-100 characters. */
export const RUN_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export type ParsedRunRecord = { ok: true; record: RunRecord } | { ok: false; problem: string };

function isString(v: unknown): v is string {
  return typeof v === 'string';
}

function optionalString(v: unknown): boolean {
  return v === undefined || typeof v === 'string';
}

/** Parses a record file's text; `problem` names the first field that is missing or wrong. */
export function parseRunRecord(text: string): ParsedRunRecord {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    return { ok: false, problem: `not JSON (${(e as Error).message})` };
  }
  if (typeof raw !== 'object' || raw === null) return { ok: false, problem: 'not a JSON object' };
  const r = raw as Record<string, unknown>;
  if (r.version !== RUN_RECORD_VERSION) {
    return { ok: false, problem: `version ${JSON.stringify(r.version)} is not ${RUN_RECORD_VERSION}` };
  }
  for (const f of ['runName', 'runner', 'createdAt', 'region', 'table', 'staging', 'output'] as const) {
    if (!isString(r[f])) return { ok: false, problem: `${f} is missing or not a string` };
  }
  if (!RUN_NAME_PATTERN.test(r.runName as string)) return { ok: false, problem: 'runName is not a run name' };
  if (!(RUNNERS as readonly string[]).includes(r.runner as string)) {
    return { ok: false, problem: `runner ${JSON.stringify(r.runner)} is not one of ${RUNNERS.join(', ')}` };
  }
  if (
    !optionalString(r.log) ||
    !optionalString(r.profile) ||
    !optionalString(r.resumedFrom) ||
    !optionalString(r.spark)
  ) {
    return { ok: false, problem: 'log, profile, resumedFrom or spark is not a string' };
  }
  const i = r.inputs as Record<string, unknown> | undefined;
  if (typeof i !== 'object' || i === null) return { ok: false, problem: 'inputs is missing' };
  for (const f of ['archive', 'storageConfig', 'resolver'] as const) {
    if (!isString(i[f])) return { ok: false, problem: `inputs.${f} is missing or not a string` };
  }
  for (const f of ['since', 'until'] as const) {
    if (i[f] !== null && !isString(i[f]))
      return { ok: false, problem: `inputs.${f} is not a string or null` };
  }
  if (!(ETL_TIME_MODES as readonly unknown[]).includes(i.etlTime)) {
    return { ok: false, problem: 'inputs.etlTime is not run or event' };
  }
  if (typeof i.ttlSeconds !== 'number' || typeof i.writeExpired !== 'boolean') {
    return { ok: false, problem: 'inputs.ttlSeconds or inputs.writeExpired is missing' };
  }
  const emr = r.emr as Record<string, unknown> | undefined;
  if (emr !== undefined) {
    if (typeof emr !== 'object' || emr === null) return { ok: false, problem: 'emr is not an object' };
    for (const f of ['applicationId', 'jobRunId', 'executionRoleArn'] as const) {
      if (!isString(emr[f])) return { ok: false, problem: `emr.${f} is missing or not a string` };
    }
  }
  const local = r.local as Record<string, unknown> | undefined;
  if (local !== undefined && (typeof local !== 'object' || local === null || typeof local.pid !== 'number')) {
    return { ok: false, problem: 'local.pid is missing or not a number' };
  }
  return { ok: true, record: raw as RunRecord };
}

/** The pacing and sizing flags as given now, and what a resume uses: these, else the run's own. */
export interface SettingsInput {
  writeRate?: number;
  maxInFlight?: number;
  executors?: number;
  executorCpu?: number;
  executorMemory?: string;
  driverCpu?: number;
  driverMemory?: string;
}

/**
 * A resume keeps the resumed run's --write-rate, --max-in-flight and sizing unless a flag is given
 * now (someone who throttled a back-fill to protect a live table expects it to stay so). Returns
 * the settings to use and, for the plan, the flags that came from the run.
 */
export function resumedSettings(
  run: RunSettings | undefined,
  given: SettingsInput,
): { settings: SettingsInput; fromRun: string[] } {
  const recorded: SettingsInput = {
    ...(typeof run?.writeRate === 'number' ? { writeRate: run.writeRate } : {}),
    ...(typeof run?.maxInFlight === 'number' ? { maxInFlight: run.maxInFlight } : {}),
    ...(run?.sizing ?? {}),
  };
  const flag: Record<keyof SettingsInput, string> = {
    writeRate: '--write-rate',
    maxInFlight: '--max-in-flight',
    executors: '--executors',
    executorCpu: '--executor-cpu',
    executorMemory: '--executor-memory',
    driverCpu: '--driver-cpu',
    driverMemory: '--driver-memory',
  };
  const settings: SettingsInput = { ...given };
  const fromRun: string[] = [];
  for (const key of Object.keys(flag) as (keyof SettingsInput)[]) {
    const value = recorded[key];
    if (given[key] !== undefined || value === undefined) continue;
    (settings as Record<string, unknown>)[key] = value;
    fromRun.push(`${flag[key]} ${value}`);
  }
  return { settings, fromRun };
}
