/**
 * Working on a submitted run afterwards: find it (by name, by job run id, or the newest), open its
 * runner, and `status`, `cancel`, `logs` it; `runs` lists the records. No id needs typing: the
 * run record has the coordinates.
 */
import os from 'node:os';
import type { ImportView } from '../aws/dynamodb-import.js';
import { createEmrServerlessClient } from '../aws/emr-serverless.js';
import { createS3Client } from '../aws/s3.js';
import { resolveEndpoint } from '../domain/checks/flags.js';
import { DEFAULT_TTL_SECONDS, JOB_ARGS } from '../domain/contract.js';
import { EXIT_CODES, UserError, type ExitCode } from '../domain/errors.js';
import type { JobProgress } from '../domain/job-report.js';
import {
  RUN_NAME_PATTERN,
  RUN_RECORD_VERSION,
  type RunPlanFigures,
  type RunRecord,
} from '../domain/run-record.js';
import { createEmrServerlessRunner } from '../runners/emr-serverless.js';
import { followToEnd, sleep } from '../runners/follow.js';
import { createLocalRunner } from '../runners/local.js';
import type { DriverLog, Runner, RunSnapshot } from '../runners/runner.js';
import { listRunRecords, loadRunRecord, type BrokenRunRecord } from './run-records.js';
import { importExitCode, lookAtImport, refuseImportCancel, type RunImportState } from './run-import.js';

/** How to find a run. */
export interface RunLookup {
  recordsDir: string;
  /** A run name (`--run`). */
  run?: string;
  /** An EMR Serverless job run id (the positional argument). */
  jobRunId?: string;
  /** For a job run that was not submitted from here. */
  applicationId?: string;
  region?: string;
  profile?: string;
  env: NodeJS.ProcessEnv;
}

/** The record of the run asked for: by job run id, by name, or the newest. */
export async function findRun(o: RunLookup): Promise<RunRecord> {
  if (o.jobRunId === undefined) return loadRunRecord(o.recordsDir, o.run);
  const known = listRunRecords(o.recordsDir).records.find((r) => r.emr?.jobRunId === o.jobRunId);
  if (known !== undefined) return known;
  if (o.applicationId === undefined) {
    throw new UserError(`No run with job run id ${o.jobRunId} was submitted from here.`, {
      code: 'RUN_NOT_FOUND',
      hint: 'Give its application too (--application-id ID, and --region), or `populator runs` to see the runs submitted from here.',
    });
  }
  return adoptJobRun(o, o.applicationId, o.jobRunId);
}

/** A record made up from the job run itself (submitted elsewhere): its output and logs are in its request. */
async function adoptJobRun(o: RunLookup, applicationId: string, jobRunId: string): Promise<RunRecord> {
  const region = o.region ?? o.env.AWS_REGION ?? o.env.AWS_DEFAULT_REGION;
  if (region === undefined) {
    throw new UserError('The region of the job run is not known.', {
      code: 'REGION_MISSING',
      hint: 'Give --region (or AWS_REGION).',
    });
  }
  const emr = createEmrServerlessClient({
    region,
    profile: o.profile,
    endpoint: endpoint(o.env, 'EMR_SERVERLESS', undefined),
  });
  try {
    const j = await emr.getJobRun(applicationId, jobRunId);
    const arg = (name: string): string | undefined => {
      const i = j.entryPointArguments.indexOf(name);
      return i < 0 ? undefined : j.entryPointArguments[i + 1];
    };
    const output = arg(JOB_ARGS.output);
    if (output === undefined) {
      throw new UserError(
        `Job run ${jobRunId} is not a populator run (it has no ${JOB_ARGS.output} argument).`,
        {
          code: 'RUN_NOT_POPULATOR',
          hint: 'Give the id of a job run `populator submit` started.',
        },
      );
    }
    const name = j.name !== undefined && RUN_NAME_PATTERN.test(j.name) ? j.name : jobRunId;
    return {
      version: RUN_RECORD_VERSION,
      runName: name,
      runner: 'emr-serverless',
      createdAt: j.createdAt ?? new Date().toISOString(),
      region,
      table: arg(JOB_ARGS.table) ?? '',
      staging: output,
      output,
      ...(j.logUri === undefined ? {} : { log: j.logUri }),
      ...(o.profile === undefined ? {} : { profile: o.profile }),
      inputs: {
        archive: arg(JOB_ARGS.archive) ?? '',
        storageConfig: '',
        resolver: '',
        since: arg(JOB_ARGS.since) ?? null,
        until: arg(JOB_ARGS.until) ?? null,
        etlTime: arg(JOB_ARGS.etlTime) === 'event' ? 'event' : 'run',
        // The job's own defaults where an argument is absent.
        ttlSeconds: Number(arg(JOB_ARGS.ttlSeconds) ?? DEFAULT_TTL_SECONDS),
        // What the job was told is whether it skipped expired items; --write-expired itself is not
        // in its arguments (false, the default, is the one reading that fits every table).
        writeExpired: false,
        skipExpired: arg(JOB_ARGS.skipExpired) === 'true',
      },
      emr: {
        applicationId,
        jobRunId,
        executionRoleArn: j.executionRole ?? '',
        ...(j.entryPoint === undefined ? {} : { jar: j.entryPoint }),
        ...(j.releaseLabel === undefined ? {} : { releaseLabel: j.releaseLabel }),
      },
    };
  } finally {
    emr.destroy();
  }
}

/** An endpoint override: the environment's now, else the one the run was submitted with. */
function endpoint(
  env: NodeJS.ProcessEnv,
  service: 'S3' | 'EMR_SERVERLESS',
  recorded: string | undefined,
): string | undefined {
  return resolveEndpoint(service === 'S3' ? 's3' : 'emr-serverless', undefined, env, {}, recorded)?.url;
}

/** The runner that works on a recorded run (its clients built from the record). */
export function runnerFor(record: RunRecord, env: NodeJS.ProcessEnv, profile?: string): Runner {
  if (record.runner === 'local') return createLocalRunner({ pid: process.pid, hostname: os.hostname() });
  const access = { region: record.region, profile: profile ?? record.profile };
  return createEmrServerlessRunner({
    emr: createEmrServerlessClient({
      ...access,
      endpoint: endpoint(env, 'EMR_SERVERLESS', record.endpoints?.emrServerless),
    }),
    s3: createS3Client({ ...access, endpoint: endpoint(env, 'S3', record.endpoints?.s3) }),
  });
}

/** The exit code of a look at a run: 0 SUCCESS, 4 FAILED or CANCELLED, 5 not final yet. */
export function exitCodeOf(s: RunSnapshot): ExitCode {
  if (!s.final) return EXIT_CODES.notFinal;
  return s.state === 'SUCCESS' ? EXIT_CODES.ok : EXIT_CODES.jobFailed;
}

/** A run as `status`, `cancel` and `runs` show it: what was submitted, no secret. */
export interface RunView {
  runName: string;
  runner: RunRecord['runner'];
  createdAt: string;
  region: string;
  table: string;
  archive: string;
  since: string | null;
  until: string | null;
  output: string;
  log: string | null;
  applicationId: string | null;
  jobRunId: string | null;
  /** What the plan expected, for progress against it. */
  plan: RunPlanFigures | null;
  /** A resume: the run it went on from. */
  resumedFrom: string | null;
}

export function runView(r: RunRecord): RunView {
  return {
    runName: r.runName,
    runner: r.runner,
    createdAt: r.createdAt,
    region: r.region,
    table: r.table,
    archive: r.inputs.archive,
    since: r.inputs.since,
    until: r.inputs.until,
    output: r.output,
    log: r.log ?? null,
    applicationId: r.emr?.applicationId ?? null,
    jobRunId: r.emr?.jobRunId ?? null,
    plan: r.plan ?? null,
    resumedFrom: r.resumedFrom ?? null,
  };
}

export interface StatusOptions extends RunLookup {
  watch: boolean;
  /** With `watch`: cancel the run on Ctrl-C instead of leaving it running. */
  cancelOnInterrupt?: boolean;
  intervalMs?: number;
  signal?: AbortSignal;
  log: (line: string) => void;
  onProgress: (p: JobProgress) => void;
  /** With `watch` on an import run: each look at the import. */
  onImport?: (v: ImportView) => void;
}

export interface StatusResult {
  run: RunView;
  jobRun: RunSnapshot;
  /** `submit --import` runs: the import after the job; null otherwise. */
  import: RunImportState | null;
  exitCode: ExitCode;
}

/** `populator status`: one look, or with `watch` looks until the run is final (or Ctrl-C). */
export async function runStatus(o: StatusOptions): Promise<StatusResult> {
  const record = await findRun(o);
  const runner = runnerFor(record, o.env, o.profile);
  try {
    // The dashboard link is rate-limited (1/s): asked for once, in the last look.
    const dashboard = record.runner === 'emr-serverless';
    let s: RunSnapshot;
    if (o.watch) {
      s = await followToEnd(runner, record, {
        signal: o.signal,
        log: o.log,
        onProgress: o.onProgress,
        followIntervalMs: o.intervalMs,
        cancelOnInterrupt: o.cancelOnInterrupt,
      });
      if (dashboard) s = { ...s, dashboardUrl: (await runner.status(record, { dashboard })).dashboardUrl };
    } else {
      s = await runner.status(record, { dashboard });
    }
    const imp = await lookAtImport(record, s, {
      env: o.env,
      profile: o.profile,
      watch: o.watch && s.state === 'SUCCESS',
      signal: o.signal,
      onUpdate: o.onImport,
    });
    return { run: runView(record), jobRun: s, import: imp, exitCode: importExitCode(s, imp, exitCodeOf(s)) };
  } finally {
    runner.close();
  }
}

export interface CancelOptions extends RunLookup {
  wait: boolean;
  intervalMs?: number;
  log: (line: string) => void;
}

export interface CancelResult {
  run: RunView;
  jobRun: RunSnapshot;
  /** The run had already ended: nothing was asked. */
  alreadyFinal: boolean;
}

/** `populator cancel`: asks the run to stop and (unless `wait` is off) waits until it is CANCELLED. */
export async function cancelRun(o: CancelOptions): Promise<CancelResult> {
  const record = await findRun(o);
  const runner = runnerFor(record, o.env, o.profile);
  try {
    const before = await runner.status(record);
    if (before.final) {
      refuseImportCancel(record, await lookAtImport(record, before, { env: o.env, profile: o.profile }));
      return { run: runView(record), jobRun: before, alreadyFinal: true };
    }
    await runner.cancel(record);
    o.log(`Asked ${before.jobRunId ?? record.runName} to stop.`);
    const after = o.wait
      ? await runner.follow(record, {
          intervalMs: o.intervalMs ?? 5000,
          onSnapshot: (s) => {
            if (!s.final) o.log(`${s.jobRunId ?? s.runName}: ${s.state}`);
          },
        })
      : await runner.status(record);
    return { run: runView(record), jobRun: after, alreadyFinal: false };
  } finally {
    runner.close();
  }
}

export interface LogsOptions extends RunLookup {
  stream: 'stdout' | 'stderr';
  follow: boolean;
  /** Between looks with `follow`; default 15 s (EMR re-uploads the logs about that often). */
  intervalMs?: number;
  signal?: AbortSignal;
  /** Text as it comes (with `follow`: only what is new). */
  write: (text: string) => void;
}

export interface LogsResult {
  run: RunView;
  logs: DriverLog[];
}

/** `populator logs`: the driver's output, every attempt; with `follow`, new output until the run ends. */
export async function runLogs(o: LogsOptions): Promise<LogsResult> {
  const record = await findRun(o);
  const runner = runnerFor(record, o.env, o.profile);
  try {
    const printed = new Map<string, number>();
    let logs: DriverLog[] = [];
    const printNew = (several: boolean): void => {
      for (const l of logs) {
        const done = printed.get(l.location) ?? 0;
        if (l.text.length <= done) continue;
        if (several && done === 0) o.write(`==> attempt ${l.attempt}: ${l.location} <==\n`);
        o.write(l.text.slice(done));
        printed.set(l.location, l.text.length);
      }
    };
    for (;;) {
      logs = await runner.logs(record, o.stream);
      printNew(logs.length > 1);
      if (!o.follow || o.signal?.aborted) break;
      const s = await runner.status(record);
      if (s.final) {
        // The last upload happens as the run ends: one more read gets it.
        logs = await runner.logs(record, o.stream);
        printNew(logs.length > 1);
        break;
      }
      await sleep(o.intervalMs ?? 15_000, o.signal);
    }
    if (logs.length === 0 && !o.follow) {
      throw new UserError(`No driver ${o.stream} of run ${record.runName} is there yet.`, {
        code: 'NO_LOGS',
        hint:
          record.runner === 'emr-serverless'
            ? 'EMR Serverless uploads the driver logs about every 15 s once the driver runs: try again shortly, or `populator logs --follow`.'
            : 'The local runner writes its log when the job starts.',
      });
    }
    return { run: runView(record), logs };
  } finally {
    runner.close();
  }
}

/** A listed run with how it stands now. */
export interface ListedRun extends RunView {
  /** The run's state now (SUCCESS, FAILED, CANCELLED, RUNNING, ...), or UNKNOWN when it cannot be seen. */
  state: string;
}

export interface RunsResult {
  runs: ListedRun[];
  broken: BrokenRunRecord[];
}

/**
 * `populator runs`: the runs submitted from here, newest first, each with its state now (a local
 * run's from its folder; an EMR Serverless run's from the service, a few at a time). A run that
 * cannot be seen (no credentials, no network) is UNKNOWN, and the list is still given.
 */
export async function listRuns(
  recordsDir: string,
  o: { env: NodeJS.ProcessEnv; profile?: string },
): Promise<RunsResult> {
  const { records, broken } = listRunRecords(recordsDir);
  const runs: ListedRun[] = [];
  for (let i = 0; i < records.length; i += 4) {
    const batch = records.slice(i, i + 4);
    runs.push(
      ...(await Promise.all(batch.map(async (r) => ({ ...runView(r), state: await stateOf(r, o) })))),
    );
  }
  return { runs, broken };
}

async function stateOf(record: RunRecord, o: { env: NodeJS.ProcessEnv; profile?: string }): Promise<string> {
  const runner = runnerFor(record, o.env, o.profile);
  try {
    return (await runner.status(record)).state;
  } catch {
    return 'UNKNOWN';
  } finally {
    runner.close();
  }
}
